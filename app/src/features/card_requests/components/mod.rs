mod card_page;
mod notifications_section;
mod send_email_action;

pub use card_page::{CardRequestPage, PayDone};
pub use notifications_section::NotificationsSection;
pub use send_email_action::SendEmailAction;

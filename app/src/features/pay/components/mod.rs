mod card_page;
mod confirm_payment;

pub use card_page::{CardRequestPage, PayDone};
pub use confirm_payment::ConfirmPayment;

mod send_email_action;

pub use send_email_action::SendEmailAction;

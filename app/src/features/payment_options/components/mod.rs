mod create_payment_option_action;
mod payment_options_section;

pub use create_payment_option_action::CreatePaymentOptionAction;
pub use payment_options_section::PaymentOptionsSection;

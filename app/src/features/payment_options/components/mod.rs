mod payment_options_section;

pub use payment_options_section::PaymentOptionsSection;

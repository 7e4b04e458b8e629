mod resend_confirmation;
mod sign_up;

pub use resend_confirmation::ResendConfirmation;
pub use sign_up::SignUpPage;

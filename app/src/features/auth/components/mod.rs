pub mod shell;
mod sign_in;
mod sign_up;

pub use shell::{BusinessNameSignal, DemoPaymentsSignal, MerchantShell};
pub use sign_in::SignInPage;
pub use sign_up::SignUpPage;

pub mod shell;
mod sign_in;

pub use shell::{BusinessNameSignal, DemoPaymentsSignal, MerchantShell};
pub use sign_in::SignInPage;

mod sign_in;
mod sign_up;

pub use sign_in::SignInPage;
pub use sign_up::SignUpPage;

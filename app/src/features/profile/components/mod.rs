mod customer_profile_page;
mod live_updates;

pub use customer_profile_page::CustomerProfilePage;

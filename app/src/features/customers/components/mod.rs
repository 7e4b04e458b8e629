mod customer_fields;
mod customer_profile_page;
mod customers_page;
mod edit_customer_page;
mod live_updates;
mod new_customer_page;

pub use customer_profile_page::CustomerProfilePage;
pub use customers_page::CustomersPage;
pub use edit_customer_page::EditCustomerPage;
pub use new_customer_page::NewCustomerPage;

mod customer_fields;
mod customers_page;
mod edit_customer_page;
mod new_customer_page;

pub use customers_page::CustomersPage;
pub use edit_customer_page::EditCustomerPage;
pub use new_customer_page::NewCustomerPage;

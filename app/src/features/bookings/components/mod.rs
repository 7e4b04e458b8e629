mod bookings_page;
mod bookings_section;
mod new_booking_action;

pub use bookings_page::BookingsPage;
pub use bookings_section::BookingsSection;
pub use new_booking_action::NewBookingAction;

mod notifications_section;

pub use notifications_section::NotificationsSection;

mod activity_section;

pub use activity_section::ActivitySection;

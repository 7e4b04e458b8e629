//! What every email template gives the outbox: two bodies, rendered before the outbox row is
//! written, so a template error never leaves a half-sent request.

use askama::Template;

use crate::error::AppError;

/// An email's two bodies: HTML (escaped by askama) and plain text.
pub struct Bodies {
    pub text: String,
    pub html: String,
}

/// Renders one body; a template error is internal (logged with a reference).
pub fn render(template: &impl Template) -> Result<String, AppError> {
    template.render().map_err(AppError::internal)
}

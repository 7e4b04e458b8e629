//! The email confirming a new merchant's address (`app/templates/email/`): HTML escaped by
//! askama, text plain.

use askama::Template;

use crate::error::AppError;
use crate::features::notifications::template::{Bodies, render};

/// To the owner who signed up: the link that confirms their address.
pub struct ConfirmationEmail<'a> {
    pub name: &'a str,
    pub business_name: &'a str,
    pub link: &'a str,
    pub expires_at: &'a str,
}

#[derive(Template)]
#[template(path = "email/email_confirmation.html")]
struct ConfirmationHtml<'a> {
    e: &'a ConfirmationEmail<'a>,
}

#[derive(Template)]
#[template(path = "email/email_confirmation.txt")]
struct ConfirmationText<'a> {
    e: &'a ConfirmationEmail<'a>,
}

impl ConfirmationEmail<'_> {
    pub fn subject(&self) -> String {
        "Confirm your email address for Card on File".to_owned()
    }

    pub fn render(&self) -> Result<Bodies, AppError> {
        Ok(Bodies {
            text: render(&ConfirmationText { e: self })?,
            html: render(&ConfirmationHtml { e: self })?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_carries_the_link_and_escapes_the_business_name() {
        let email = ConfirmationEmail {
            name: "Maya",
            business_name: "Paint & <Paddle>",
            link: "https://app.example/confirm-email/abc",
            expires_at: "2026-12-02 12:00 UTC",
        };
        let bodies = email.render().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            bodies
                .text
                .contains("https://app.example/confirm-email/abc")
        );
        assert!(bodies.text.contains("Paint & <Paddle>"));
        assert!(
            bodies
                .html
                .contains("href=\"https://app.example/confirm-email/abc\"")
        );
        assert!(!bodies.html.contains("<Paddle>"), "escaped in HTML");
    }
}

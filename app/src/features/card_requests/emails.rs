//! The card-request emails, as compile-time-checked templates (`app/templates/email/`): HTML is
//! escaped by askama, text is plain. Rendering happens before the outbox row is written, so a
//! template error never leaves a half-sent request.

use askama::Template;

use crate::error::AppError;
use crate::features::notifications::template::{Bodies, render};

/// To the customer: the link to the card page.
pub struct CardRequestEmail<'a> {
    pub first_name: &'a str,
    pub merchant_name: &'a str,
    pub note: &'a str,
    pub link: &'a str,
    pub expires_at: &'a str,
}

#[derive(Template)]
#[template(path = "email/card_request.html")]
struct CardRequestHtml<'a> {
    e: &'a CardRequestEmail<'a>,
}

#[derive(Template)]
#[template(path = "email/card_request.txt")]
struct CardRequestText<'a> {
    e: &'a CardRequestEmail<'a>,
}

impl CardRequestEmail<'_> {
    pub fn subject(&self) -> String {
        format!("{} asks you to add a card", self.merchant_name)
    }

    pub fn render(&self) -> Result<Bodies, AppError> {
        Ok(Bodies {
            text: render(&CardRequestText { e: self })?,
            html: render(&CardRequestHtml { e: self })?,
        })
    }
}

/// To the staff member who sent the request: the card is on file.
pub struct CardSavedEmail<'a> {
    pub staff_name: &'a str,
    pub customer_name: &'a str,
    pub card: &'a str,
    pub profile_link: &'a str,
    pub requested_on: &'a str,
}

#[derive(Template)]
#[template(path = "email/card_saved_notice.html")]
struct CardSavedHtml<'a> {
    e: &'a CardSavedEmail<'a>,
}

#[derive(Template)]
#[template(path = "email/card_saved_notice.txt")]
struct CardSavedText<'a> {
    e: &'a CardSavedEmail<'a>,
}

impl CardSavedEmail<'_> {
    pub fn subject(&self) -> String {
        format!("{} added a card", self.customer_name)
    }

    pub fn render(&self) -> Result<Bodies, AppError> {
        Ok(Bodies {
            text: render(&CardSavedText { e: self })?,
            html: render(&CardSavedHtml { e: self })?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(
        note: &'a str,
        first_name: &'a str,
        merchant_name: &'a str,
    ) -> CardRequestEmail<'a> {
        CardRequestEmail {
            first_name,
            merchant_name,
            note,
            link: "https://example.test/pay/abc",
            expires_at: "2026-12-06 10:00 UTC",
        }
    }

    #[test]
    fn html_escapes_what_people_typed_and_text_keeps_it() {
        let email = request("<script>alert(1)</script>", "<b>Ann</b>", "Tours & Co");
        let bodies = email.render().unwrap_or_else(|e| panic!("{e}"));
        // Escaped (askama writes numeric entities), so nothing typed becomes markup.
        assert!(!bodies.html.contains("<script>"), "{}", bodies.html);
        assert!(!bodies.html.contains("<b>Ann</b>"), "{}", bodies.html);
        assert!(bodies.html.contains("alert(1)"));
        assert!(!bodies.html.contains("Tours & Co"), "{}", bodies.html);
        assert!(
            bodies
                .html
                .contains("href=\"https://example.test/pay/abc\"")
        );
        assert!(bodies.text.contains("Hi <b>Ann</b>,"));
        assert!(bodies.text.contains("https://example.test/pay/abc"));
        assert!(bodies.text.contains("No account or login needed"));
        assert!(bodies.text.contains("2026-12-06 10:00 UTC"));
        assert_eq!(email.subject(), "Tours & Co asks you to add a card");
    }

    #[test]
    fn the_note_block_is_left_out_when_empty() {
        let bodies = request("", "Ann", "Demo Tours")
            .render()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!bodies.text.contains("A note from"));
        assert!(!bodies.html.contains("A note from"));
    }

    #[test]
    fn the_notice_names_customer_and_card() {
        let notice = CardSavedEmail {
            staff_name: "Sam",
            customer_name: "Jane Doe",
            card: "Visa •••• 4242 — expires 12/34",
            profile_link: "https://example.test/customers/1",
            requested_on: "2026-11-29",
        };
        let bodies = notice.render().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            bodies
                .text
                .contains("Jane Doe added a card: Visa •••• 4242 — expires 12/34.")
        );
        assert!(bodies.html.contains("https://example.test/customers/1"));
        assert_eq!(notice.subject(), "Jane Doe added a card");
    }
}

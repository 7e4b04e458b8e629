//! The card-request emails, as compile-time-checked templates (`app/templates/email/`): HTML is
//! escaped by askama, text is plain. Rendering happens before the outbox row is written, so a
//! template error never leaves a half-sent request.

use askama::Template;

use crate::error::AppError;

/// To the customer: the link to the card page.
#[derive(Template)]
#[template(path = "email/card_request.html")]
pub struct CardRequestHtml<'a> {
    pub first_name: &'a str,
    pub merchant_name: &'a str,
    pub note: &'a str,
    pub link: &'a str,
    pub expires_at: &'a str,
}

#[derive(Template)]
#[template(path = "email/card_request.txt")]
pub struct CardRequestText<'a> {
    pub first_name: &'a str,
    pub merchant_name: &'a str,
    pub note: &'a str,
    pub link: &'a str,
    pub expires_at: &'a str,
}

/// To the staff member who sent the request: the card is on file.
#[derive(Template)]
#[template(path = "email/card_saved_notice.html")]
pub struct CardSavedHtml<'a> {
    pub staff_name: &'a str,
    pub customer_name: &'a str,
    pub card: &'a str,
    pub profile_link: &'a str,
    pub requested_on: &'a str,
}

#[derive(Template)]
#[template(path = "email/card_saved_notice.txt")]
pub struct CardSavedText<'a> {
    pub staff_name: &'a str,
    pub customer_name: &'a str,
    pub card: &'a str,
    pub profile_link: &'a str,
    pub requested_on: &'a str,
}

/// The subject of the customer's email.
pub fn card_request_subject(merchant_name: &str) -> String {
    format!("{merchant_name} asks you to add a card")
}

pub fn card_saved_subject(customer_name: &str) -> String {
    format!("{customer_name} added a card")
}

pub fn render(template: &impl Template) -> Result<String, AppError> {
    template.render().map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_what_people_typed_and_text_keeps_it() {
        let fields = (
            "<b>Ann</b>",
            "Tours & Co",
            "<script>alert(1)</script>",
            "https://example.test/pay/abc",
            "2026-12-06 10:00 UTC",
        );
        let html = render(&CardRequestHtml {
            first_name: fields.0,
            merchant_name: fields.1,
            note: fields.2,
            link: fields.3,
            expires_at: fields.4,
        })
        .unwrap_or_default();
        // Escaped (askama writes numeric entities), so nothing typed becomes markup.
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>Ann</b>"), "{html}");
        assert!(html.contains("alert(1)"));
        assert!(!html.contains("Tours & Co"), "{html}");
        assert!(html.contains("href=\"https://example.test/pay/abc\""));
        let text = render(&CardRequestText {
            first_name: fields.0,
            merchant_name: fields.1,
            note: fields.2,
            link: fields.3,
            expires_at: fields.4,
        })
        .unwrap_or_default();
        assert!(text.contains("Hi <b>Ann</b>,"));
        assert!(text.contains("https://example.test/pay/abc"));
        assert!(text.contains("No account or login needed"));
        assert!(text.contains("2026-12-06 10:00 UTC"));
    }

    #[test]
    fn the_note_block_is_left_out_when_empty() {
        let text = render(&CardRequestText {
            first_name: "Ann",
            merchant_name: "Demo Tours",
            note: "",
            link: "https://x.test/pay/t",
            expires_at: "soon",
        })
        .unwrap_or_default();
        assert!(!text.contains("A note from"));
    }
}

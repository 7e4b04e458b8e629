//! Emails about charges, as compile-time-checked templates (`app/templates/email/`): the receipt
//! and the confirm-your-payment link to the customer, the outcome of a confirmation to the staff
//! member who charged. Rendered before the outbox row is written.

use askama::Template;

use crate::error::AppError;
use crate::features::notifications::template::{Bodies, render};

/// To the customer, when they asked for one: what was charged.
pub struct ReceiptEmail<'a> {
    pub first_name: &'a str,
    pub merchant_name: &'a str,
    pub amount: &'a str,
    pub description: &'a str,
    pub card: &'a str,
    pub date: &'a str,
}

#[derive(Template)]
#[template(path = "email/charge_receipt.html")]
struct ReceiptHtml<'a> {
    e: &'a ReceiptEmail<'a>,
}

#[derive(Template)]
#[template(path = "email/charge_receipt.txt")]
struct ReceiptText<'a> {
    e: &'a ReceiptEmail<'a>,
}

impl ReceiptEmail<'_> {
    pub fn subject(&self) -> String {
        format!("Your receipt from {}: {}", self.merchant_name, self.amount)
    }

    pub fn render(&self) -> Result<Bodies, AppError> {
        Ok(Bodies {
            text: render(&ReceiptText { e: self })?,
            html: render(&ReceiptHtml { e: self })?,
        })
    }
}

/// To the customer: their bank wants them to confirm a payment; the link opens the confirm page.
pub struct ConfirmPaymentEmail<'a> {
    pub first_name: &'a str,
    pub merchant_name: &'a str,
    pub amount: &'a str,
    pub description: &'a str,
    pub card: &'a str,
    pub link: &'a str,
    pub expires_at: &'a str,
}

#[derive(Template)]
#[template(path = "email/payment_confirmation.html")]
struct ConfirmHtml<'a> {
    e: &'a ConfirmPaymentEmail<'a>,
}

#[derive(Template)]
#[template(path = "email/payment_confirmation.txt")]
struct ConfirmText<'a> {
    e: &'a ConfirmPaymentEmail<'a>,
}

impl ConfirmPaymentEmail<'_> {
    pub fn subject(&self) -> String {
        format!(
            "Please confirm your payment of {} to {}",
            self.amount, self.merchant_name
        )
    }

    pub fn render(&self) -> Result<Bodies, AppError> {
        Ok(Bodies {
            text: render(&ConfirmText { e: self })?,
            html: render(&ConfirmHtml { e: self })?,
        })
    }
}

/// To the staff member who charged: the customer confirmed (or the payment failed after all).
pub struct PaymentOutcomeEmail<'a> {
    pub staff_name: &'a str,
    pub customer_name: &'a str,
    pub amount: &'a str,
    pub description: &'a str,
    pub succeeded: bool,
    /// Why it failed, when it did.
    pub reason: &'a str,
    pub profile_link: &'a str,
}

#[derive(Template)]
#[template(path = "email/payment_outcome_notice.html")]
struct OutcomeHtml<'a> {
    e: &'a PaymentOutcomeEmail<'a>,
}

#[derive(Template)]
#[template(path = "email/payment_outcome_notice.txt")]
struct OutcomeText<'a> {
    e: &'a PaymentOutcomeEmail<'a>,
}

impl PaymentOutcomeEmail<'_> {
    pub fn subject(&self) -> String {
        if self.succeeded {
            format!(
                "{} confirmed the payment of {}",
                self.customer_name, self.amount
            )
        } else {
            format!("{}'s payment of {} failed", self.customer_name, self.amount)
        }
    }

    pub fn render(&self) -> Result<Bodies, AppError> {
        Ok(Bodies {
            text: render(&OutcomeText { e: self })?,
            html: render(&OutcomeHtml { e: self })?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirm_email_carries_link_amount_and_escapes_names() {
        let email = ConfirmPaymentEmail {
            first_name: "<b>Ann</b>",
            merchant_name: "Tours & Co",
            amount: "$50.00",
            description: "Kayak <tour>",
            card: "Visa •••• 3184",
            link: "https://example.test/pay/abc",
            expires_at: "2026-12-06 10:00 UTC",
        };
        let bodies = email.render().unwrap_or_else(|e| panic!("{e}"));
        assert!(!bodies.html.contains("<b>Ann</b>"));
        assert!(!bodies.html.contains("Kayak <tour>"));
        assert!(
            bodies
                .html
                .contains("href=\"https://example.test/pay/abc\"")
        );
        assert!(bodies.text.contains("https://example.test/pay/abc"));
        assert!(bodies.text.contains("$50.00"));
        assert!(bodies.text.contains("Visa •••• 3184"));
        assert_eq!(
            email.subject(),
            "Please confirm your payment of $50.00 to Tours & Co"
        );
    }

    #[test]
    fn the_outcome_notice_says_which_way_it_went() {
        let mut notice = PaymentOutcomeEmail {
            staff_name: "Sam",
            customer_name: "Jane Doe",
            amount: "$50.00",
            description: "Kayak tour",
            succeeded: true,
            reason: "",
            profile_link: "https://example.test/customers/1",
        };
        assert_eq!(notice.subject(), "Jane Doe confirmed the payment of $50.00");
        let bodies = notice.render().unwrap_or_else(|e| panic!("{e}"));
        assert!(bodies.text.contains("succeeded"));
        notice.succeeded = false;
        notice.reason = "the customer did not complete authentication";
        assert_eq!(notice.subject(), "Jane Doe's payment of $50.00 failed");
        let bodies = notice.render().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            bodies
                .text
                .contains("the customer did not complete authentication")
        );
    }
}

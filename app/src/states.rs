//! The states and kinds that the database stores and the browser reads, as enums: a component
//! `match`es on them and the compiler checks every case. Each is one type on both sides of the
//! wire — serde for the DTOs, SeaORM's `DeriveActiveEnum` (server only) for the columns — stored
//! as the same lower-case strings the tables have always held.

use serde::{Deserialize, Serialize};

/// Declares a stored enum: `Variant = "stored value"`, with `as_str` for logs and templates.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter))]
        #[cfg_attr(
            feature = "ssr",
            sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::None)")
        )]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $value)]
                #[cfg_attr(feature = "ssr", sea_orm(string_value = $value))]
                $variant,
            )+
        }

        impl $name {
            /// The stored value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $value,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_enum! {
    /// Where a charge is. Only `Pending` and `RequiresAction` can still change.
    ChargeStatus {
        /// The row is written; Stripe's answer is not recorded yet (the reconciler settles it).
        Pending = "pending",
        Succeeded = "succeeded",
        /// The bank wants the customer to authenticate; they were emailed a link to confirm.
        RequiresAction = "requires_action",
        Failed = "failed",
        /// Left pending past Stripe's idempotency window and Stripe could not say what became of
        /// it: the merchant checks Stripe's dashboard before charging again.
        Unknown = "unknown",
    }
}

impl ChargeStatus {
    /// Stripe may still change it: the webhook, the customer or the reconciler settles it.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::RequiresAction)
    }
}

stored_enum! {
    RefundStatus {
        Pending = "pending",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

stored_enum! {
    /// A customer link's life: pending until used (completed) or replaced (revoked). Expiry is
    /// not stored: it is `expires_at` passing.
    LinkStatus {
        Pending = "pending",
        Completed = "completed",
        Revoked = "revoked",
    }
}

stored_enum! {
    /// What a customer link is for.
    LinkPurpose {
        /// Save a card to the customer's Stripe customer (a card request).
        SaveCard = "save_card",
        /// Confirm a charge the bank wants the customer to authenticate (3-D Secure).
        ConfirmPayment = "confirm_payment",
    }
}

stored_enum! {
    /// An outbox email's delivery.
    EmailState {
        Queued = "queued",
        /// Leased by a worker that is talking to the SMTP server.
        Sending = "sending",
        /// Accepted by the SMTP server.
        Sent = "sent",
        Failed = "failed",
    }
}

stored_enum! {
    /// Which email an outbox row carries.
    EmailKind {
        /// To the customer: the link to save a card.
        CardRequest = "card_request",
        /// To the staff member who sent the request: the card is on file.
        CardSavedNotice = "card_saved_notice",
        /// To the customer: a receipt for a charge.
        ChargeReceipt = "charge_receipt",
        /// To the customer: the link to confirm a payment their bank wants them to authenticate.
        PaymentConfirmation = "payment_confirmation",
        /// To the staff member: what became of a payment the customer was asked to confirm.
        PaymentOutcomeNotice = "payment_outcome_notice",
        /// To a new merchant's owner: the link that confirms their email address.
        EmailConfirmation = "email_confirmation",
    }
}

impl EmailKind {
    /// The title of the email in the profile's Notifications.
    pub fn title(self) -> &'static str {
        match self {
            Self::CardRequest => "Card request",
            Self::CardSavedNotice => "Card saved notice",
            Self::ChargeReceipt => "Receipt",
            Self::PaymentConfirmation => "Payment confirmation request",
            Self::PaymentOutcomeNotice => "Payment update",
            Self::EmailConfirmation => "Email address confirmation",
        }
    }

    /// Sent to a merchant's customer (what the daily quota counts), not to the merchant's staff.
    pub fn is_to_customer(self) -> bool {
        match self {
            Self::CardRequest | Self::ChargeReceipt | Self::PaymentConfirmation => true,
            Self::CardSavedNotice | Self::PaymentOutcomeNotice | Self::EmailConfirmation => false,
        }
    }
}

stored_enum! {
    /// How a card came to be on file.
    CardSource {
        /// Saved by the customer through an emailed link.
        CustomerLink = "customer_link",
        /// Entered by a staff member.
        Staff = "staff",
    }
}

stored_enum! {
    /// What an activity entry records.
    ActivityKind {
        CardAdded = "card_added",
        CardRemoved = "card_removed",
        DefaultCard = "default_card",
        BookingCreated = "booking_created",
        ChargeSucceeded = "charge_succeeded",
        ChargeFailed = "charge_failed",
        ChargeRequiresAction = "charge_requires_action",
        /// A charge whose outcome Stripe could not tell (see `ChargeStatus::Unknown`).
        ChargeUnknown = "charge_unknown",
        Refund = "refund",
    }
}

stored_enum! {
    /// Who an activity entry names.
    ActorKind {
        Staff = "staff",
        Customer = "customer",
        Stripe = "stripe",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_and_storage_use_the_same_lower_case_values() {
        for (status, stored) in [
            (ChargeStatus::RequiresAction, "requires_action"),
            (ChargeStatus::Pending, "pending"),
        ] {
            assert_eq!(status.as_str(), stored);
            assert_eq!(
                serde_json::to_string(&status).ok(),
                Some(format!("\"{stored}\""))
            );
        }
        assert_eq!(
            serde_json::from_str::<EmailKind>("\"payment_outcome_notice\"").ok(),
            Some(EmailKind::PaymentOutcomeNotice)
        );
    }
}

//! Stripe's test cards (<https://docs.stripe.com/testing>): their numbers, the test PaymentMethod
//! ids that stand for them (`pm_card_visa`…), and how each behaves when set up or charged.
//!
//! Only test card numbers are accepted, as in Stripe's test mode: a Luhn-valid number that is not
//! a test card is declined with `test_mode_live_card`.

use crate::errors::{ApiError, Decline};

/// What happens when a card is set up, attached or charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behaviour {
    /// Always succeeds.
    Succeeds,
    /// 4000 0000 0000 7726 ("Asynchronous success" under Stripe's refund test cards): charges
    /// succeed; a refund starts `pending` and succeeds some time later with a `refund.updated`
    /// event (here: when `POST /emulator/refunds/{id}/settle` says the time has come).
    PendingRefund,
    /// 4000 0025 0000 3155: authentication is required on-session (SetupIntent confirm, on-session
    /// payment) unless the card was set up with a SetupIntent; off-session charges of a card set
    /// up that way succeed.
    AuthUnlessSetUp,
    /// 4000 0027 6000 3184: authentication is required at setup and on every on-session payment;
    /// every off-session payment fails with `authentication_required`.
    AuthAlways,
    /// 4000 0000 0000 0341: setup and attach succeed, every charge is declined.
    DeclineCharges(Decline),
    /// Declined when the issuer is contacted: at setup, at attach and at charge.
    Decline(Decline),
}

/// One test card.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TestCard {
    pub(crate) number: &'static str,
    /// `card.brand`: visa, mastercard, amex, discover, diners, jcb, unionpay.
    pub(crate) brand: &'static str,
    /// `card.display_brand`: visa, mastercard, american_express, discover, diners_club, jcb, union_pay.
    pub(crate) display_brand: &'static str,
    pub(crate) funding: &'static str,
    pub(crate) country: &'static str,
    pub(crate) behaviour: Behaviour,
}

const GENERIC_DECLINE: Decline = Decline {
    code: "card_declined",
    decline_code: "generic_decline",
    message: "Your card was declined.",
    param: None,
};

/// The decline of an off-session payment that the issuer wants authenticated.
pub(crate) const AUTHENTICATION_REQUIRED: Decline = Decline {
    code: "authentication_required",
    decline_code: "authentication_required",
    message: "Your card was declined. This transaction requires authentication.",
    param: None,
};

/// A Luhn-valid number that is not a test card, refused in test mode.
pub(crate) const TEST_MODE_LIVE_CARD: Decline = Decline {
    code: "card_declined",
    decline_code: "test_mode_live_card",
    message: "Your card was declined. Your request was in test mode, but used a non test card. \
              For a list of valid test cards, visit: https://stripe.com/docs/testing.",
    param: None,
};

const fn card(
    number: &'static str,
    brand: &'static str,
    display_brand: &'static str,
    funding: &'static str,
    country: &'static str,
    behaviour: Behaviour,
) -> TestCard {
    TestCard {
        number,
        brand,
        display_brand,
        funding,
        country,
        behaviour,
    }
}

const fn visa(number: &'static str, country: &'static str, behaviour: Behaviour) -> TestCard {
    card(number, "visa", "visa", "credit", country, behaviour)
}

const fn declined(
    code: &'static str,
    decline_code: &'static str,
    message: &'static str,
    param: Option<&'static str>,
) -> Behaviour {
    Behaviour::Decline(Decline {
        code,
        decline_code,
        message,
        param,
    })
}

/// The test cards the emulator knows, as Stripe documents them.
pub(crate) const CARDS: &[TestCard] = &[
    visa("4242424242424242", "US", Behaviour::Succeeds),
    card(
        "4000056655665556",
        "visa",
        "visa",
        "debit",
        "US",
        Behaviour::Succeeds,
    ),
    card(
        "5555555555554444",
        "mastercard",
        "mastercard",
        "credit",
        "US",
        Behaviour::Succeeds,
    ),
    card(
        "2223003122003222",
        "mastercard",
        "mastercard",
        "credit",
        "US",
        Behaviour::Succeeds,
    ),
    card(
        "5200828282828210",
        "mastercard",
        "mastercard",
        "debit",
        "US",
        Behaviour::Succeeds,
    ),
    card(
        "5105105105105100",
        "mastercard",
        "mastercard",
        "prepaid",
        "US",
        Behaviour::Succeeds,
    ),
    card(
        "378282246310005",
        "amex",
        "american_express",
        "credit",
        "US",
        Behaviour::Succeeds,
    ),
    card(
        "371449635398431",
        "amex",
        "american_express",
        "credit",
        "US",
        Behaviour::Succeeds,
    ),
    card(
        "6011111111111117",
        "discover",
        "discover",
        "credit",
        "US",
        Behaviour::Succeeds,
    ),
    card(
        "6011000990139424",
        "discover",
        "discover",
        "credit",
        "US",
        Behaviour::Succeeds,
    ),
    card(
        "3056930009020004",
        "diners",
        "diners_club",
        "credit",
        "US",
        Behaviour::Succeeds,
    ),
    card(
        "36227206271667",
        "diners",
        "diners_club",
        "credit",
        "US",
        Behaviour::Succeeds,
    ),
    card(
        "3566002020360505",
        "jcb",
        "jcb",
        "credit",
        "JP",
        Behaviour::Succeeds,
    ),
    card(
        "6200000000000005",
        "unionpay",
        "union_pay",
        "credit",
        "CN",
        Behaviour::Succeeds,
    ),
    // Refunds.
    visa("4000000000007726", "US", Behaviour::PendingRefund),
    // 3-D Secure. The digits after 40000 are the ISO numeric country code of the issuer
    // (250 France, 276 Germany), which is what Stripe reports as `card.country`.
    visa("4000002500003155", "FR", Behaviour::AuthUnlessSetUp),
    visa("4000002760003184", "DE", Behaviour::AuthAlways),
    visa("4000000000003220", "US", Behaviour::AuthAlways),
    visa("4000000000003063", "US", Behaviour::AuthAlways),
    // Declines.
    visa(
        "4000000000000341",
        "US",
        Behaviour::DeclineCharges(GENERIC_DECLINE),
    ),
    visa(
        "4000000000000002",
        "US",
        Behaviour::Decline(GENERIC_DECLINE),
    ),
    visa(
        "4000000000009995",
        "US",
        declined(
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
            None,
        ),
    ),
    visa(
        "4000000000009987",
        "US",
        declined(
            "card_declined",
            "lost_card",
            "Your card was declined.",
            None,
        ),
    ),
    visa(
        "4000000000009979",
        "US",
        declined(
            "card_declined",
            "stolen_card",
            "Your card was declined.",
            None,
        ),
    ),
    visa(
        "4000000000000069",
        "US",
        declined(
            "expired_card",
            "expired_card",
            "Your card has expired.",
            Some("exp_month"),
        ),
    ),
    visa(
        "4000000000000127",
        "US",
        declined(
            "incorrect_cvc",
            "incorrect_cvc",
            "Your card's security code is incorrect.",
            Some("cvc"),
        ),
    ),
    visa(
        "4000000000000119",
        "US",
        declined(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
            None,
        ),
    ),
];

/// Test PaymentMethod ids usable wherever a PaymentMethod id is accepted; each use creates a new
/// `pm_…` for the card, as Stripe does.
pub(crate) const TEST_PAYMENT_METHODS: &[(&str, &str)] = &[
    ("pm_card_visa", "4242424242424242"),
    ("pm_card_visa_debit", "4000056655665556"),
    ("pm_card_mastercard", "5555555555554444"),
    ("pm_card_mastercard_debit", "5200828282828210"),
    ("pm_card_mastercard_prepaid", "5105105105105100"),
    ("pm_card_amex", "378282246310005"),
    ("pm_card_discover", "6011111111111117"),
    ("pm_card_diners", "3056930009020004"),
    ("pm_card_jcb", "3566002020360505"),
    ("pm_card_unionpay", "6200000000000005"),
    ("pm_card_pendingRefund", "4000000000007726"),
    ("pm_card_authenticationRequiredOnSetup", "4000002500003155"),
    ("pm_card_authenticationRequired", "4000002760003184"),
    ("pm_card_threeDSecure2Required", "4000000000003220"),
    ("pm_card_threeDSecureRequired", "4000000000003063"),
    ("pm_card_chargeCustomerFail", "4000000000000341"),
    ("pm_card_visa_chargeDeclined", "4000000000000002"),
    ("pm_card_chargeDeclined", "4000000000000002"),
    (
        "pm_card_visa_chargeDeclinedInsufficientFunds",
        "4000000000009995",
    ),
    (
        "pm_card_chargeDeclinedInsufficientFunds",
        "4000000000009995",
    ),
    ("pm_card_visa_chargeDeclinedLostCard", "4000000000009987"),
    ("pm_card_chargeDeclinedLostCard", "4000000000009987"),
    ("pm_card_visa_chargeDeclinedStolenCard", "4000000000009979"),
    ("pm_card_chargeDeclinedStolenCard", "4000000000009979"),
    ("pm_card_chargeDeclinedExpiredCard", "4000000000000069"),
    ("pm_card_chargeDeclinedIncorrectCvc", "4000000000000127"),
    ("pm_card_chargeDeclinedProcessingError", "4000000000000119"),
];

pub(crate) fn test_card(number: &str) -> Option<&'static TestCard> {
    CARDS.iter().find(|c| c.number == number)
}

/// The card number a test PaymentMethod id stands for.
pub(crate) fn test_payment_method(id: &str) -> Option<&'static TestCard> {
    TEST_PAYMENT_METHODS
        .iter()
        .find(|(pm, _)| *pm == id)
        .and_then(|(_, number)| test_card(number))
}

/// The Luhn checksum every card number satisfies.
pub(crate) fn luhn_valid(number: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in number.chars().rev().enumerate() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !number.is_empty() && sum.is_multiple_of(10)
}

/// (year, month) of a Unix time, UTC (civil-from-days, Howard Hinnant's algorithm), so expiry
/// checks need no date library.
pub(crate) fn year_month(unix: i64) -> (i64, i64) {
    let z = unix.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

/// Card details after validation: what a PaymentMethod keeps.
#[derive(Debug, Clone)]
pub(crate) struct ValidCard {
    pub(crate) card: &'static TestCard,
    pub(crate) exp_month: i64,
    pub(crate) exp_year: i64,
    pub(crate) cvc_provided: bool,
}

/// Validates raw card details as Stripe does when a PaymentMethod is created: number format and
/// checksum, expiry in the future, CVC format; then only test cards pass.
///
/// `name` renders the full parameter name (`card[number]`, `payment_method_data[card][number]`).
pub(crate) fn validate(
    number: Option<&str>,
    exp_month: Option<&str>,
    exp_year: Option<&str>,
    cvc: Option<&str>,
    now: i64,
    name: &dyn Fn(&str) -> String,
) -> Result<ValidCard, ApiError> {
    let number: String = number
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::missing_param(&name("number")))?
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if !number.chars().all(|c| c.is_ascii_digit()) || !(12..=19).contains(&number.len()) {
        return Err(ApiError::card(
            "invalid_number",
            "The card number is not a valid credit card number.",
        )
        .with_param(&name("number")));
    }
    if !luhn_valid(&number) {
        return Err(
            ApiError::card("incorrect_number", "Your card number is incorrect.")
                .with_param(&name("number")),
        );
    }
    let exp_month_raw = exp_month
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing_param(&name("exp_month")))?;
    let exp_year_raw = exp_year
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing_param(&name("exp_year")))?;
    let bad_month = || {
        ApiError::card(
            "invalid_expiry_month",
            "Your card's expiration month is invalid.",
        )
        .with_param(&name("exp_month"))
    };
    let bad_year = || {
        ApiError::card(
            "invalid_expiry_year",
            "Your card's expiration year is invalid.",
        )
        .with_param(&name("exp_year"))
    };
    let exp_month: i64 = exp_month_raw.trim().parse().map_err(|_| bad_month())?;
    let mut exp_year: i64 = exp_year_raw.trim().parse().map_err(|_| bad_year())?;
    // Two-digit years are accepted and mean 20xx, as Stripe.js sends them.
    if (0..100).contains(&exp_year) {
        exp_year += 2000;
    }
    if !(1..=12).contains(&exp_month) {
        return Err(bad_month());
    }
    let (year, month) = year_month(now);
    if exp_year < year || exp_year > year + 50 {
        return Err(bad_year());
    }
    if exp_year == year && exp_month < month {
        return Err(bad_month());
    }
    let cvc = cvc.filter(|c| !c.is_empty());
    if let Some(c) = cvc
        && (!c.chars().all(|ch| ch.is_ascii_digit()) || !(3..=4).contains(&c.len()))
    {
        return Err(
            ApiError::card("invalid_cvc", "Your card's security code is invalid.")
                .with_param(&name("cvc")),
        );
    }
    let card = test_card(&number)
        .ok_or_else(|| TEST_MODE_LIVE_CARD.to_error().with_param(&name("number")))?;
    Ok(ValidCard {
        card,
        exp_month,
        exp_year,
        cvc_provided: cvc.is_some(),
    })
}

/// Why the card is being used, which decides whether 3-D Secure cards ask for authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Confirming a SetupIntent (always with the customer present).
    Setup,
    /// Attaching directly to a customer (a validation without authentication).
    Attach,
    /// A payment; `off_session` when the customer is not present.
    Payment { off_session: bool },
}

/// The result of contacting the (imaginary) issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Succeeded,
    RequiresAction,
    Declined(Decline),
}

impl TestCard {
    /// Whether a refund of a charge to this card starts `pending` instead of succeeding at once.
    pub(crate) fn refunds_start_pending(&self) -> bool {
        self.behaviour == Behaviour::PendingRefund
    }
}

/// How a card responds for a purpose. `set_up` tells whether the card was set up for future use
/// through a SetupIntent (after authentication when it needed one).
pub(crate) fn outcome(card: &TestCard, purpose: Purpose, set_up: bool) -> Outcome {
    match (card.behaviour, purpose) {
        (Behaviour::Succeeds | Behaviour::PendingRefund, _) => Outcome::Succeeded,
        (Behaviour::Decline(d), _) => Outcome::Declined(d),
        (Behaviour::DeclineCharges(d), Purpose::Payment { .. }) => Outcome::Declined(d),
        (Behaviour::DeclineCharges(_), _) => Outcome::Succeeded,
        (Behaviour::AuthUnlessSetUp | Behaviour::AuthAlways, Purpose::Attach) => Outcome::Succeeded,
        (Behaviour::AuthUnlessSetUp | Behaviour::AuthAlways, Purpose::Setup) => {
            Outcome::RequiresAction
        }
        (Behaviour::AuthUnlessSetUp, Purpose::Payment { .. }) if set_up => Outcome::Succeeded,
        (
            Behaviour::AuthUnlessSetUp | Behaviour::AuthAlways,
            Purpose::Payment { off_session: true },
        ) => Outcome::Declined(AUTHENTICATION_REQUIRED),
        (
            Behaviour::AuthUnlessSetUp | Behaviour::AuthAlways,
            Purpose::Payment { off_session: false },
        ) => Outcome::RequiresAction,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

    fn name(k: &str) -> String {
        format!("card[{k}]")
    }

    #[test]
    fn all_test_cards_pass_luhn_and_all_test_ids_resolve() {
        for c in CARDS {
            assert!(luhn_valid(c.number), "{}", c.number);
        }
        for (id, _) in TEST_PAYMENT_METHODS {
            assert!(test_payment_method(id).is_some(), "{id}");
        }
        assert!(!luhn_valid("4242424242424241"));
    }

    #[test]
    fn year_month_is_utc_civil_date() {
        assert_eq!(year_month(0), (1970, 1));
        assert_eq!(year_month(NOW), (2026, 1));
        assert_eq!(year_month(NOW - 1), (2025, 12));
        assert_eq!(year_month(951_782_400), (2000, 2)); // 2000-02-29
    }

    #[test]
    fn validation_errors_match_stripe_codes() {
        let v = |n: &str, m: &str, y: &str, c: Option<&str>| {
            validate(Some(n), Some(m), Some(y), c, NOW, &name)
        };
        assert!(v("4242 4242 4242 4242", "12", "2030", Some("123")).is_ok());
        assert!(v("4242424242424242", "1", "26", None).is_ok());
        assert_eq!(
            v("4242424242424241", "12", "2030", None)
                .unwrap_err()
                .code(),
            Some("incorrect_number")
        );
        assert_eq!(
            v("42424242", "12", "2030", None).unwrap_err().code(),
            Some("invalid_number")
        );
        assert_eq!(
            v("4242424242424242", "12", "2025", None)
                .unwrap_err()
                .code(),
            Some("invalid_expiry_year")
        );
        assert_eq!(
            v("4242424242424242", "13", "2030", None)
                .unwrap_err()
                .code(),
            Some("invalid_expiry_month")
        );
        let err = v("4242424242424242", "12", "2030", Some("12")).unwrap_err();
        assert_eq!(err.code(), Some("invalid_cvc"));
        assert_eq!(err.body["param"], "card[cvc]");
        let live = v("4111111111111111", "12", "2030", None).unwrap_err();
        assert_eq!(live.body["decline_code"], "test_mode_live_card");
    }

    #[test]
    fn three_d_secure_cards_follow_stripe_documentation() {
        let c3155 = test_card("4000002500003155").unwrap();
        assert_eq!(
            outcome(c3155, Purpose::Setup, false),
            Outcome::RequiresAction
        );
        assert_eq!(
            outcome(c3155, Purpose::Payment { off_session: true }, true),
            Outcome::Succeeded
        );
        assert_eq!(
            outcome(c3155, Purpose::Payment { off_session: true }, false),
            Outcome::Declined(AUTHENTICATION_REQUIRED)
        );
        let c3184 = test_card("4000002760003184").unwrap();
        assert_eq!(
            outcome(c3184, Purpose::Setup, false),
            Outcome::RequiresAction
        );
        assert_eq!(
            outcome(c3184, Purpose::Payment { off_session: true }, true),
            Outcome::Declined(AUTHENTICATION_REQUIRED)
        );
        let c0341 = test_card("4000000000000341").unwrap();
        assert_eq!(outcome(c0341, Purpose::Attach, false), Outcome::Succeeded);
        assert!(matches!(
            outcome(c0341, Purpose::Payment { off_session: true }, true),
            Outcome::Declined(_)
        ));
    }
}

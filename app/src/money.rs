//! Money: an integer count of a currency's minor units (cents), never a float. Amounts typed by
//! people are parsed here once; amounts shown to people are formatted here. Compiled into the
//! WASM too, so the browser formats exactly as the server does.

use std::fmt;

/// A currency we take payments in: its ISO code (lower case, as Stripe writes it), how many
/// decimals its minor unit has, and how people write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    pub code: &'static str,
    pub exponent: u32,
    pub symbol: &'static str,
}

/// The currencies a merchant can choose. Stripe supports many more; each one added here needs
/// only its exponent right (zero-decimal currencies such as JPY are charged in whole units).
pub const CURRENCIES: &[Currency] = &[
    Currency {
        code: "usd",
        exponent: 2,
        symbol: "$",
    },
    Currency {
        code: "eur",
        exponent: 2,
        symbol: "€",
    },
    Currency {
        code: "gbp",
        exponent: 2,
        symbol: "£",
    },
    Currency {
        code: "cad",
        exponent: 2,
        symbol: "CA$",
    },
    Currency {
        code: "aud",
        exponent: 2,
        symbol: "A$",
    },
    Currency {
        code: "nzd",
        exponent: 2,
        symbol: "NZ$",
    },
    Currency {
        code: "chf",
        exponent: 2,
        symbol: "CHF ",
    },
    Currency {
        code: "jpy",
        exponent: 0,
        symbol: "¥",
    },
];

impl Currency {
    /// `usd`, `USD` → US dollars; anything else is refused with the sentence shown to people.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_lowercase();
        CURRENCIES
            .iter()
            .find(|c| c.code == code)
            .copied()
            .ok_or_else(|| {
                let known: Vec<String> = CURRENCIES.iter().map(|c| c.code.to_uppercase()).collect();
                format!("Choose one of {}.", known.join(", "))
            })
    }

    /// The largest amount Stripe accepts in one charge: eight digits of minor units.
    pub fn max_minor(self) -> i64 {
        99_999_999
    }

    /// `1234` minor units → `"12.34"` (no symbol; the form's own value).
    pub fn plain(self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        if self.exponent == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10_u64.pow(self.exponent);
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = self.exponent as usize
        )
    }

    /// `1234` → `"$12.34"`, `-500` → `"-$5.00"`, with thousands separated: `"$1,234.50"`.
    pub fn format(self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let scale = 10_u64.pow(self.exponent);
        let whole = group_thousands(abs / scale);
        if self.exponent == 0 {
            format!("{sign}{}{whole}", self.symbol)
        } else {
            format!(
                "{sign}{}{whole}.{:0width$}",
                self.symbol,
                abs % scale,
                width = self.exponent as usize
            )
        }
    }

    /// An amount typed by a person (`50`, `50.5`, `1,250.00`) → minor units, greater than zero
    /// and at most [`Currency::max_minor`]. The error is the sentence for the form field.
    pub fn parse_amount(self, raw: &str) -> Result<i64, String> {
        let text: String = raw.trim().chars().filter(|c| *c != ',').collect();
        let text = text
            .strip_prefix(self.symbol.trim())
            .unwrap_or(&text)
            .trim();
        if text.is_empty() {
            return Err("Enter an amount.".to_owned());
        }
        if text.starts_with('-') {
            return Err("Enter an amount greater than zero.".to_owned());
        }
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits_only = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !digits_only(whole) || !digits_only(fraction)
        {
            return Err("Enter an amount as a number, like 49.99.".to_owned());
        }
        if fraction.len() > self.exponent as usize {
            return Err(if self.exponent == 0 {
                format!(
                    "{} has no cents: enter a whole amount.",
                    self.code.to_uppercase()
                )
            } else {
                format!("Enter at most {} decimal places.", self.exponent)
            });
        }
        let too_big = || format!("Enter at most {}.", self.format(self.max_minor()));
        // More digits than any allowed amount has: refuse before the arithmetic could overflow.
        if whole.trim_start_matches('0').len() > 12 {
            return Err(too_big());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| too_big())?
        };
        let padded = format!("{fraction:0<width$}", width = self.exponent as usize);
        let fraction: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| too_big())?
        };
        let minor = whole
            .checked_mul(10_i64.pow(self.exponent))
            .and_then(|w| w.checked_add(fraction))
            .ok_or_else(too_big)?;
        if minor == 0 {
            return Err("Enter an amount greater than zero.".to_owned());
        }
        if minor > self.max_minor() {
            return Err(too_big());
        }
        Ok(minor)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code.to_uppercase())
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What is still owed on a booking: total − paid + refunded, in minor units. Refunds give money
/// back, so they raise the balance again; the result can be negative only if more was paid than
/// the total (shown as a credit).
pub fn balance_due(total: i64, paid: i64, refunded: i64) -> i64 {
    total.saturating_sub(paid).saturating_add(refunded)
}

/// What can still be refunded of a charge.
pub fn refundable(charged: i64, refunded: i64) -> i64 {
    (charged - refunded).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn formats_with_symbol_separators_and_decimals() {
        assert_eq!(usd().format(123_450), "$1,234.50");
        assert_eq!(usd().format(5), "$0.05");
        assert_eq!(usd().format(-500), "-$5.00");
        assert_eq!(Currency::parse("jpy").unwrap().format(1500), "¥1,500");
        assert_eq!(usd().plain(4999), "49.99");
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(usd().parse_amount("50"), Ok(5000));
        assert_eq!(usd().parse_amount(" 50.5 "), Ok(5050));
        assert_eq!(usd().parse_amount("$1,250.00"), Ok(125_000));
        assert_eq!(usd().parse_amount(".99"), Ok(99));
        assert_eq!(
            Currency::parse("jpy").unwrap().parse_amount("1500"),
            Ok(1500)
        );
    }

    #[test]
    fn refuses_bad_amounts_with_a_specific_sentence() {
        assert_eq!(usd().parse_amount(""), Err("Enter an amount.".into()));
        assert_eq!(
            usd().parse_amount("-5"),
            Err("Enter an amount greater than zero.".into())
        );
        assert_eq!(
            usd().parse_amount("0.00"),
            Err("Enter an amount greater than zero.".into())
        );
        assert_eq!(
            usd().parse_amount("1.234"),
            Err("Enter at most 2 decimal places.".into())
        );
        assert_eq!(
            usd().parse_amount("12abc"),
            Err("Enter an amount as a number, like 49.99.".into())
        );
        assert_eq!(
            usd().parse_amount("1e3"),
            Err("Enter an amount as a number, like 49.99.".into())
        );
        assert_eq!(
            usd().parse_amount("1000000"),
            Err("Enter at most $999,999.99.".into())
        );
        assert_eq!(
            usd().parse_amount("99999999999999999999999"),
            Err("Enter at most $999,999.99.".into())
        );
        assert!(Currency::parse("jpy").unwrap().parse_amount("1.5").is_err());
        assert!(Currency::parse("xyz").is_err());
    }

    proptest! {
        #[test]
        fn plain_form_parses_back_to_the_same_amount(minor in 1_i64..=99_999_999) {
            for currency in CURRENCIES {
                prop_assert_eq!(currency.parse_amount(&currency.plain(minor)), Ok(minor));
                prop_assert_eq!(currency.parse_amount(&currency.format(minor)), Ok(minor));
            }
        }

        #[test]
        fn parsed_amounts_are_positive_and_bounded(raw in "[-0-9.,$ ]{0,20}") {
            if let Ok(minor) = usd().parse_amount(&raw) {
                prop_assert!(minor > 0 && minor <= usd().max_minor());
            }
        }

        #[test]
        fn balance_moves_by_exactly_each_payment_and_refund(
            total in 0_i64..=99_999_999,
            payments in proptest::collection::vec(1_i64..=10_000_000, 0..6),
            refund_share in proptest::collection::vec(0_i64..=100, 0..6),
        ) {
            let paid: i64 = payments.iter().sum();
            // Each refund is at most what is left of its payment.
            let refunded: i64 = payments
                .iter()
                .zip(refund_share.iter().chain(std::iter::repeat(&0)))
                .map(|(p, share)| refundable(*p, 0) * share / 100)
                .sum();
            let balance = balance_due(total, paid, refunded);
            prop_assert_eq!(balance + paid - refunded, total);
            prop_assert!(balance <= total);
            // Refunding everything brings the balance back to the total.
            prop_assert_eq!(balance_due(total, paid, paid), total);
        }

        #[test]
        fn refundable_never_negative(charged in 0_i64..=99_999_999, refunded in 0_i64..=199_999_998) {
            let left = refundable(charged, refunded);
            prop_assert!(left >= 0 && left <= charged);
        }
    }
}

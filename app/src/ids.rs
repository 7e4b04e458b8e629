//! Typed ids for the functions that take more than one. A merchant's id and a customer's id are
//! both strings: passed the wrong way round, a call compiled and found nothing (or, worse, the
//! wrong rows). With these, the call names which is which and a swap does not compile.

/// Declares a borrowed id: `Name(&str)`, usable wherever SeaORM takes a value.
macro_rules! borrowed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name<'a>(pub &'a str);

        impl<'a> $name<'a> {
            pub fn as_str(self) -> &'a str {
                self.0
            }
        }

        impl std::fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }

        impl From<$name<'_>> for sea_orm::Value {
            fn from(id: $name<'_>) -> Self {
                id.0.into()
            }
        }
    };
}

borrowed_id! {
    /// A merchant's id (`merchants.id`, and `merchant_id` on every merchant-scoped row).
    MerchantId
}

borrowed_id! {
    /// A customer's id (`customers.id`, `customer_id` elsewhere).
    CustomerId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_binds_as_its_string() {
        let merchant = MerchantId("m-1");
        assert_eq!(merchant.to_string(), "m-1");
        assert_eq!(sea_orm::Value::from(merchant), sea_orm::Value::from("m-1"));
        assert_ne!(CustomerId("c-1").as_str(), merchant.as_str());
    }
}

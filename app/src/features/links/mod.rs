//! Customer links: what a customer holds instead of a login.
//!
//! A link has a purpose ([`LinkPurpose`]: save a card, or confirm a payment), a token, an expiry
//! and a single use. The contract, kept by this module alone:
//! - the token is 256 bits from the OS CSPRNG, base64url in the emailed URL; only its SHA-256 is
//!   stored (`token`);
//! - the first GET of `/pay/<token>` trades the token for a short-lived HttpOnly page cookie and
//!   redirects to a clean `/pay` address, so the token leaves the address bar, the history and
//!   every Referer at once (`exchange`); the page's server functions read the cookie (`cookie`);
//! - unknown and tampered tokens take the same path as real ones; a client that keeps guessing is
//!   refused before any lookup (`guesses`);
//! - a link is pending until it is used (completed), replaced (revoked) or past `expires_at`;
//!   every state change is a conditional UPDATE, so two tabs use a link once (`service`).
//!
//! The capabilities above (card requests, charges, the pay page) issue, find and use links only
//! through these functions; none writes the `customer_links` table itself.
//!
//! [`LinkPurpose`]: crate::states::LinkPurpose

#[cfg(feature = "ssr")]
pub mod cookie;
#[cfg(feature = "ssr")]
pub mod exchange;
#[cfg(feature = "ssr")]
pub mod guesses;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod token;

#[cfg(feature = "ssr")]
pub use service::{NewLink, Usable};

//! Where a signed-out visitor was going: the merchant page they opened becomes the sign-in page's
//! `next`, and signing in comes back to it. Only a path of this site is ever followed, so a link
//! like `/sign-in?next=https://evil.example` cannot send someone elsewhere after they sign in.

/// Where signing in leads when there is no (acceptable) `next`.
pub const DEFAULT_AFTER_SIGN_IN: &str = "/customers";

/// Longer than any page of ours with its query; a longer `next` is refused rather than cut.
const MAX_LEN: usize = 1024;

/// `next` if it is a path on this site, else [`DEFAULT_AFTER_SIGN_IN`].
pub fn after_sign_in(next: Option<&str>) -> &str {
    next.filter(|path| is_local_path(path))
        .unwrap_or(DEFAULT_AFTER_SIGN_IN)
}

/// A path of this site: starts with one `/`, not `//` or `/\` (which browsers read as another
/// host), printable ASCII only (a path as a browser sends it, percent-encoded — and always a
/// valid `Location`), and not the sign-in or sign-up page itself (no loop).
fn is_local_path(path: &str) -> bool {
    path.len() <= MAX_LEN
        && path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.chars().all(|c| c.is_ascii_graphic() && c != '\\')
        && !["/sign-in", "/sign-up"]
            .iter()
            .any(|page| path == *page || path.starts_with(&format!("{page}?")))
}

/// The sign-in page's address for a visitor who opened `path_and_query` signed out.
pub fn sign_in_page_for(path_and_query: &str) -> String {
    if path_and_query == "/" || !is_local_path(path_and_query) {
        return "/sign-in".to_owned();
    }
    format!("/sign-in?next={}", encode_component(path_and_query))
}

/// Percent-encodes everything but RFC 3986's unreserved characters and `/` (readable paths).
fn encode_component(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 0x0f)] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_of_this_site_is_followed() {
        assert_eq!(after_sign_in(Some("/customers/c1")), "/customers/c1");
        assert_eq!(
            after_sign_in(Some("/customers?q=ada&after=x")),
            "/customers?q=ada&after=x"
        );
    }

    #[test]
    fn anything_that_could_leave_the_site_goes_to_the_default() {
        for next in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "/x\\y",
            "javascript:alert(1)",
            "customers",
            "",
            "/sign-in",
            "/sign-in?next=/customers",
            "/sign-up",
            "/customers\r\nSet-Cookie: x=1",
            "/customers?q=ada lovelace",
            "/café",
        ] {
            assert_eq!(after_sign_in(Some(next)), DEFAULT_AFTER_SIGN_IN, "{next:?}");
        }
        assert_eq!(after_sign_in(None), DEFAULT_AFTER_SIGN_IN);
        let long = format!("/{}", "a".repeat(MAX_LEN));
        assert_eq!(after_sign_in(Some(&long)), DEFAULT_AFTER_SIGN_IN);
    }

    #[test]
    fn the_sign_in_page_carries_the_page_opened() {
        assert_eq!(sign_in_page_for("/customers"), "/sign-in?next=/customers");
        // As the browser sent it (percent-encoded), encoded once more as a query value.
        assert_eq!(
            sign_in_page_for("/customers?q=ada%20lovelace&after=x"),
            "/sign-in?next=/customers%3Fq%3Dada%2520lovelace%26after%3Dx"
        );
        assert_eq!(sign_in_page_for("/"), "/sign-in");
        assert_eq!(sign_in_page_for("//evil.example"), "/sign-in");
    }
}

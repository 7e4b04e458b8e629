//! Request guards that apply to every route.

use std::net::SocketAddr;
use std::sync::Arc;

use app::client_address::{ClientAddress, TrustedProxies, client_address};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Puts the client's address on each request (`ClientAddress`), read through the trusted proxies
/// only (see `app::client_address`): the one place the per-client limits get it from.
pub async fn client_addresses(
    State(trusted): State<Arc<TrustedProxies>>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied()
    {
        let address = client_address(peer.ip(), request.headers(), &trusted);
        request.extensions_mut().insert(ClientAddress(address));
    }
    next.run(request).await
}

/// The configured base URL's origin (`https://pay.example.com`): the only `Origin` our own pages
/// send. A request's `Host` is the client's to choose, so it proves nothing.
#[derive(Clone)]
pub struct BaseOrigin(pub Arc<str>);

/// Refuses state-changing requests that a browser marks as coming from another site, so a
/// session cookie can't be ridden by a cross-site form or fetch (SameSite=Lax is the second
/// line). Clients that are not browsers send neither header and are judged by their cookie alone.
pub async fn same_origin_writes(
    State(BaseOrigin(origin)): State<BaseOrigin>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) && is_cross_site(request.headers(), &origin)
    {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site write");
        return (StatusCode::FORBIDDEN, "Cross-site request refused").into_response();
    }
    next.run(request).await
}

fn is_cross_site(headers: &HeaderMap, base_origin: &str) -> bool {
    // Fetch metadata, where the browser sends it, is the answer: it is computed from the real
    // initiator (a sandboxed frame of ours is not "same-origin"), while `Origin` is `null` for a
    // plain form post from a page whose referrer policy is `no-referrer`.
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        // Opaque origins (sandboxed frames, some redirects) can't be checked: refuse.
        Some(Ok(origin)) => !origin.eq_ignore_ascii_case(base_origin),
        Some(Err(_)) => true,
        None => false,
    }
}

/// A server function whose arguments can't be decoded fails before our code runs, and Leptos
/// answers 500. It is the caller's mistake: answer 400 (the body already says `REQUEST`).
pub async fn undecodable_requests_are_client_errors(
    request: Request<Body>,
    next: Next,
) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response();
    };
    let code = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned));
    if code.as_deref() == Some("REQUEST") {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    const BASE: &str = "https://pay.example.com";

    #[test]
    fn judges_fetch_metadata_and_origin() {
        let cross = |pairs: &[(&'static str, &'static str)]| is_cross_site(&headers(pairs), BASE);
        assert!(!cross(&[]));
        assert!(!cross(&[("sec-fetch-site", "same-origin")]));
        assert!(cross(&[("sec-fetch-site", "cross-site")]));
        assert!(cross(&[("sec-fetch-site", "same-site")]));
        assert!(!cross(&[("origin", "https://pay.example.com")]));
        assert!(!cross(&[("origin", "HTTPS://Pay.Example.com")]));
        assert!(cross(&[("origin", "https://evil.test")]));
        assert!(cross(&[("origin", "null")]));
        // Same host, other scheme or port: another origin.
        assert!(cross(&[("origin", "http://pay.example.com")]));
        assert!(cross(&[("origin", "https://pay.example.com:8443")]));
        // A form posted from a no-referrer page: Origin is null, fetch metadata says same-origin.
        assert!(!cross(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "null")
        ]));
    }

    #[test]
    fn a_forged_host_does_not_make_an_origin_ours() {
        assert!(is_cross_site(
            &headers(&[("origin", "https://evil.test"), ("host", "evil.test")]),
            BASE
        ));
        assert!(!is_cross_site(
            &headers(&[
                ("origin", "https://pay.example.com"),
                ("host", "internal:3000")
            ]),
            BASE
        ));
    }
}

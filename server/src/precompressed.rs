//! Serves `/pkg/*` from files compressed ahead of time (`scripts/precompress.sh` writes `X.br` at
//! brotli's highest quality after a release build) when the browser takes brotli. On-the-fly
//! compression has to be fast, so it compresses the WASM noticeably worse; the card page, opened
//! on a phone, is where those bytes matter. A `.br` older than its file (a newer build without the
//! script) is ignored, so a stale bundle is never served.

use std::path::{Component, Path, PathBuf};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

#[derive(Clone)]
pub struct SiteRoot(pub PathBuf);

pub async fn serve_brotli(
    State(root): State<SiteRoot>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let accepts_brotli = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|c| c.trim().starts_with("br")));
    let path = request.uri().path();
    if !accepts_brotli || !path.starts_with("/pkg/") {
        return next.run(request).await;
    }
    let Some(file) = file_under(&root.0, path) else {
        return next.run(request).await;
    };
    let Some(content_type) = content_type(&file) else {
        return next.run(request).await;
    };
    let compressed = file.with_file_name(format!(
        "{}.br",
        file.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    ));
    if !is_fresh(&compressed, &file).await {
        return next.run(request).await;
    }
    match tokio::fs::read(&compressed).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CONTENT_ENCODING, HeaderValue::from_static("br")),
                (header::VARY, HeaderValue::from_static("accept-encoding")),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => next.run(request).await,
    }
}

/// The file a `/pkg/...` path names, refusing anything that would leave the site root.
fn file_under(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.trim_start_matches('/'));
    relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| root.join(relative))
}

fn content_type(file: &Path) -> Option<&'static str> {
    match file.extension()?.to_str()? {
        "wasm" => Some("application/wasm"),
        "js" => Some("text/javascript"),
        "css" => Some("text/css"),
        _ => None,
    }
}

async fn is_fresh(compressed: &Path, original: &Path) -> bool {
    let modified = |p: &Path| {
        let p = p.to_owned();
        async move { tokio::fs::metadata(p).await.and_then(|m| m.modified()).ok() }
    };
    match (modified(compressed).await, modified(original).await) {
        (Some(c), Some(o)) => c >= o,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_under_the_root_are_served() {
        let root = Path::new("/site");
        assert_eq!(
            file_under(root, "/pkg/app.wasm"),
            Some(PathBuf::from("/site/pkg/app.wasm"))
        );
        assert_eq!(file_under(root, "/pkg/../../etc/passwd"), None);
        assert_eq!(content_type(Path::new("a.wasm")), Some("application/wasm"));
        assert_eq!(content_type(Path::new("a.json")), None);
    }
}

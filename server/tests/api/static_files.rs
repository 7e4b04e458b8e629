//! `/pkg` files as a browser and a cache see them: brotli when it is taken and fresh, the file
//! itself otherwise, both with a strong ETag to revalidate against (`no-cache`: the names carry no
//! content hash) and `Vary: Accept-Encoding`; a changed file is a new ETag at once.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, SystemTime};

use leptos::config::LeptosOptions;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};

use crate::world::{TestApp, spawn_app};

const CSS: &str = "body { color: #1d4ed8; font-family: system-ui, sans-serif; }\n";
/// Stands in for the brotli of `CSS`: the server sends the `.br` as it is.
const CSS_BR: &[u8] = b"precompressed stand-in for app.css, not real brotli";

/// The app's router over a site root of the test's own, on a port of its own.
async fn serve_site(app: &TestApp, root: &Path) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let options = LeptosOptions::builder()
        .output_name("cardonfile")
        .site_root(root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(address)
        .build();
    let router = server::startup::build_router(app.state.clone(), options);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    format!("http://{address}")
}

/// `pkg/app.css` with `content`, written at `modified`.
fn write_css(root: &Path, content: &[u8], modified: SystemTime) {
    write_file(&root.join("pkg/app.css"), content, modified);
}

fn write_file(path: &Path, content: &[u8], modified: SystemTime) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
}

struct Answer {
    status: StatusCode,
    encoding: Option<String>,
    etag: Option<String>,
    vary: Option<String>,
    cache_control: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

async fn get(url: &str, accept_encoding: Option<&str>, if_none_match: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new().get(url);
    if let Some(value) = accept_encoding {
        request = request.header(ACCEPT_ENCODING, value);
    }
    if let Some(value) = if_none_match {
        request = request.header(IF_NONE_MATCH, value);
    }
    let response = request.send().await.unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    Answer {
        status: response.status(),
        encoding: header(CONTENT_ENCODING),
        etag: header(ETAG),
        vary: header(VARY),
        cache_control: header(CACHE_CONTROL),
        content_type: header(CONTENT_TYPE),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

fn varies_by_encoding(answer: &Answer) -> bool {
    answer
        .vary
        .as_deref()
        .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
}

#[tokio::test]
async fn brotli_and_identity_carry_their_own_etag_and_revalidate_with_304() {
    let app = spawn_app().await;
    let site = tempfile::tempdir().unwrap();
    let built = SystemTime::now() - Duration::from_secs(60);
    write_css(site.path(), CSS.as_bytes(), built);
    write_file(&site.path().join("pkg/app.css.br"), CSS_BR, built);
    let url = format!("{}/pkg/app.css", serve_site(&app, site.path()).await);

    // As a browser asks: the precompressed file.
    let brotli = get(&url, Some("gzip, deflate, br, zstd"), None).await;
    assert_eq!(brotli.status, StatusCode::OK);
    assert_eq!(brotli.encoding.as_deref(), Some("br"));
    assert_eq!(brotli.body, CSS_BR);
    assert_eq!(brotli.content_type.as_deref(), Some("text/css"));
    assert_eq!(brotli.cache_control.as_deref(), Some("no-cache"));
    assert!(varies_by_encoding(&brotli), "{:?}", brotli.vary);
    let brotli_tag = brotli.etag.clone().expect("an ETag on the brotli answer");
    assert!(
        brotli_tag.starts_with('"') && !brotli_tag.starts_with("W/"),
        "a strong ETag: {brotli_tag}"
    );

    // A client that takes no compression: the file itself, with an ETag of its own.
    let identity = get(&url, None, None).await;
    assert_eq!(identity.status, StatusCode::OK);
    assert_eq!(identity.encoding, None);
    assert_eq!(identity.body, CSS.as_bytes());
    assert_eq!(identity.cache_control.as_deref(), Some("no-cache"));
    assert!(varies_by_encoding(&identity), "{:?}", identity.vary);
    let identity_tag = identity
        .etag
        .clone()
        .expect("an ETag on the identity answer");
    assert_ne!(identity_tag, brotli_tag, "two representations, two ETags");

    // Revalidation: the ETag it holds gets 304 and no body.
    for (accept, tag) in [
        (Some("gzip, deflate, br, zstd"), &brotli_tag),
        (None, &identity_tag),
    ] {
        let again = get(&url, accept, Some(tag)).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{accept:?}");
        assert!(again.body.is_empty());
        assert_eq!(again.etag.as_ref(), Some(tag));
        assert!(varies_by_encoding(&again));
    }
    // The other representation's ETag does not stand for this one.
    let crossed = get(&url, None, Some(&brotli_tag)).await;
    assert_eq!(crossed.status, StatusCode::OK);
    assert_eq!(crossed.body, CSS.as_bytes());
}

#[tokio::test]
async fn a_changed_file_gets_a_new_etag_and_its_stale_brotli_is_never_sent() {
    let app = spawn_app().await;
    let site = tempfile::tempdir().unwrap();
    let built = SystemTime::now() - Duration::from_secs(60);
    write_css(site.path(), CSS.as_bytes(), built);
    write_file(&site.path().join("pkg/app.css.br"), CSS_BR, built);
    let url = format!("{}/pkg/app.css", serve_site(&app, site.path()).await);
    let first = get(&url, None, None).await;
    let old_tag = first.etag.expect("an ETag");

    // A new build rewrites the CSS but not its `.br` (no precompress run).
    let rebuilt = "body { color: #b91c1c; font-family: Georgia, serif; }\n";
    write_css(site.path(), rebuilt.as_bytes(), SystemTime::now());

    let after = get(&url, None, Some(&old_tag)).await;
    assert_eq!(
        after.status,
        StatusCode::OK,
        "the old ETag no longer matches"
    );
    assert_eq!(after.body, rebuilt.as_bytes());
    let new_tag = after.etag.expect("an ETag");
    assert_ne!(new_tag, old_tag);
    assert_eq!(
        get(&url, None, Some(&new_tag)).await.status,
        StatusCode::NOT_MODIFIED
    );

    // A browser now gets the new CSS compressed on the fly, never the old `.br`.
    let browser = get(&url, Some("br"), None).await;
    assert_eq!(browser.status, StatusCode::OK);
    assert_eq!(browser.encoding.as_deref(), Some("br"));
    assert_ne!(browser.body, CSS_BR);
    assert_ne!(
        browser.etag.as_ref(),
        Some(&new_tag),
        "compressed bytes, not the file's"
    );
    assert!(varies_by_encoding(&browser), "{:?}", browser.vary);
}

#[tokio::test]
async fn a_missing_file_is_still_not_found() {
    let app = spawn_app().await;
    let site = tempfile::tempdir().unwrap();
    write_css(site.path(), CSS.as_bytes(), SystemTime::now());
    let base = serve_site(&app, site.path()).await;
    for accept in [None, Some("br")] {
        let missing = get(&format!("{base}/pkg/missing.css"), accept, None).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{accept:?}");
    }
}

//! Serves `/pkg/*` (the WASM, JS and CSS of the build) from memory, with validators.
//!
//! - Brotli: `scripts/precompress.sh` writes `X.br` at brotli's highest quality after a release
//!   build, and a browser that takes brotli gets it. On-the-fly compression has to be fast, so it
//!   compresses the WASM noticeably worse; the card page, opened on a phone, is where those bytes
//!   matter. A `.br` older than its file (a newer build without the script) is ignored, so a stale
//!   bundle is never served.
//! - Memory: each file is read once and kept, keyed by its path, until its modification time or
//!   length changes (a new build): a request costs a `stat`, never a read.
//! - Caching: the file names under `/pkg` carry no content hash, so a browser may keep a copy only
//!   if it asks again first (`Cache-Control: no-cache`). Each representation has a strong ETag
//!   (a digest of the bytes sent), and `If-None-Match` with it gets `304 Not Modified` without a
//!   body. Every answer says `Vary: Accept-Encoding`, since brotli and identity share the URL.
//!
//! A client that takes gzip or brotli but finds no fresh `.br` is left to the static file service
//! (asked for the file itself, never a `.br` or `.gz` beside it) and the compression layer after
//! it: that layer would compress our identity bytes on the way out and they would no longer match
//! the ETag. Anything else this module does not know (another method, another file type, a missing
//! file) goes to the static file service as it came.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

/// The site's root folder and the files of it already in memory.
#[derive(Clone)]
pub struct SiteRoot {
    root: PathBuf,
    files: Arc<RwLock<HashMap<PathBuf, Arc<Loaded>>>>,
}

impl SiteRoot {
    pub fn new(root: PathBuf) -> Self {
        Self {
            root,
            files: Arc::default(),
        }
    }

    /// The file's bytes and ETag, read from disk only the first time or after it changed.
    async fn load(&self, file: &Path, stamp: Stamp) -> Option<Arc<Loaded>> {
        if let Some(loaded) = self.read_cache().get(file).filter(|l| l.stamp == stamp) {
            return Some(Arc::clone(loaded));
        }
        let bytes = Bytes::from(tokio::fs::read(file).await.ok()?);
        let loaded = Arc::new(Loaded {
            stamp,
            etag: etag_of(&bytes),
            bytes,
        });
        self.files
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(file.to_owned(), Arc::clone(&loaded));
        Some(loaded)
    }

    fn read_cache(&self) -> std::sync::RwLockReadGuard<'_, HashMap<PathBuf, Arc<Loaded>>> {
        // A panic elsewhere while holding the lock leaves a map that is still consistent: every
        // insert is a single call.
        self.files
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// When a file was last written and how long it is: what says its copy in memory is still it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: SystemTime,
    len: u64,
}

impl Stamp {
    /// A synchronous `stat`: on a file the kernel has cached it takes about a microsecond,
    /// less than handing it to tokio's blocking pool and back.
    fn of(file: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(file).ok()?;
        if !metadata.is_file() {
            return None;
        }
        Some(Self {
            modified: metadata.modified().ok()?,
            len: metadata.len(),
        })
    }
}

struct Loaded {
    stamp: Stamp,
    bytes: Bytes,
    etag: HeaderValue,
}

/// A strong validator: a digest of exactly the bytes sent, the same on every instance.
fn etag_of(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..18]);
    HeaderValue::from_str(&format!("\"{text}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

pub async fn serve_brotli(
    State(site): State<SiteRoot>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    // The parts, not the request: a `&Body` is not `Send`, and the answer awaits a file read.
    let served = from_memory(
        &site,
        request.method(),
        request.uri().path(),
        request.headers(),
    )
    .await;
    match served {
        Served::Answer(response) => response,
        Served::CompressOnTheFly => {
            // The static file service sends an `X.br` or `X.gz` beside the file whatever its age.
            // Asked for the file itself, it sends the current one; the compression layer read
            // the client's `Accept-Encoding` on the way in and compresses it on the way out.
            request.headers_mut().insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_static("identity"),
            );
            next.run(request).await
        }
        Served::NotOurs => next.run(request).await,
    }
}

/// What to do with a request.
enum Served {
    /// Answered from memory.
    Answer(Response),
    /// A file of ours, for a client that takes compression, with no fresh `.br` beside it.
    CompressOnTheFly,
    /// Not a `/pkg` file this module knows (another method or type, a missing file).
    NotOurs,
}

async fn from_memory(site: &SiteRoot, method: &Method, path: &str, headers: &HeaderMap) -> Served {
    if !matches!(*method, Method::GET | Method::HEAD) || !path.starts_with("/pkg/") {
        return Served::NotOurs;
    }
    let Some(file) = file_under(&site.root, path) else {
        return Served::NotOurs;
    };
    let (Some(content_type), Some(original)) = (content_type(&file), Stamp::of(&file)) else {
        return Served::NotOurs;
    };
    let accepted = Accepted::from(headers);
    let brotli = if accepted.brotli {
        brotli_beside(&file, original)
    } else {
        None
    };
    let (source, stamp, encoding) = match brotli {
        Some((compressed, stamp)) => (compressed, stamp, Some("br")),
        // The compression layer would compress our bytes: see the module's doc.
        None if accepted.brotli || accepted.gzip => return Served::CompressOnTheFly,
        None => (file, original, None),
    };
    match site.load(&source, stamp).await {
        Some(loaded) => Served::Answer(answer(headers, &loaded, content_type, encoding)),
        // Removed between the `stat` and the read (a build in progress).
        None => Served::NotOurs,
    }
}

fn answer(
    request: &HeaderMap,
    loaded: &Loaded,
    content_type: &'static str,
    encoding: Option<&'static str>,
) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, loaded.etag.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if none_match(request, &loaded.etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    (headers, loaded.bytes.clone()).into_response()
}

/// Does the client's `If-None-Match` name this representation? (RFC 9110 §13.1.2: weak
/// comparison, so a `W/` prefix a proxy added still matches; `*` matches any.)
fn none_match(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(ours) = etag.to_str() else {
        return false;
    };
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours)
}

/// What the client's `Accept-Encoding` lets us send. A coding with `q=0` is refused, not
/// accepted.
#[derive(Debug, Default, PartialEq, Eq)]
struct Accepted {
    brotli: bool,
    /// gzip, or `*`: the compression layer would compress an identity answer on the way out.
    gzip: bool,
}

impl From<&HeaderMap> for Accepted {
    fn from(headers: &HeaderMap) -> Self {
        let mut accepted = Self::default();
        let codings = headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','));
        for coding in codings {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            if name.eq_ignore_ascii_case("br") {
                accepted.brotli = true;
            } else if name.eq_ignore_ascii_case("gzip") || name == "*" {
                accepted.gzip = true;
            }
        }
        accepted
    }
}

/// `X.br` beside `file`, if it was written after `file` was.
fn brotli_beside(file: &Path, original: Stamp) -> Option<(PathBuf, Stamp)> {
    let name = file.file_name()?.to_str()?;
    let compressed = file.with_file_name(format!("{name}.br"));
    let stamp = Stamp::of(&compressed)?;
    (stamp.modified >= original.modified).then_some((compressed, stamp))
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

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_static(value)))
            .collect()
    }

    #[test]
    fn a_coding_refused_with_q_zero_is_not_accepted() {
        let accepted = |value| Accepted::from(&headers(&[(header::ACCEPT_ENCODING, value)]));
        assert_eq!(
            accepted("gzip, deflate, br, zstd"),
            Accepted {
                brotli: true,
                gzip: true
            }
        );
        assert_eq!(
            accepted("br;q=0, gzip;q=0.5"),
            Accepted {
                brotli: false,
                gzip: true
            }
        );
        assert_eq!(accepted("identity"), Accepted::default());
        assert_eq!(Accepted::from(&HeaderMap::new()), Accepted::default());
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_stars() {
        let etag = HeaderValue::from_static("\"abc\"");
        let matches = |value| none_match(&headers(&[(header::IF_NONE_MATCH, value)]), &etag);
        assert!(matches("\"abc\""));
        assert!(matches("W/\"abc\""));
        assert!(matches("\"old\", \"abc\""));
        assert!(matches("*"));
        assert!(!matches("\"abcd\""));
        assert!(!matches("abc"));
        assert!(!none_match(&HeaderMap::new(), &etag));
    }
}

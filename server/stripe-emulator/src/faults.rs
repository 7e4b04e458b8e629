//! Fault injection and the request log, one middleware around every route.
//!
//! A fault is consumed when a request matches it, before anything else happens to the request,
//! so "the next `times` matching requests" holds whatever the request turns out to be. Every
//! request is logged on arrival and its entry completed when the answer leaves (or is lost):
//! tests read what the client sent and what "Stripe" did with it, without a proxy.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Notify;

use crate::errors::ApiError;
use crate::http::{api_response, new_request_id, set};
use crate::state::{Shared, lock, now};

/// What an injected [`Fault`] does to a request it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answers at once with this status, without processing the request: nothing is created and
    /// no idempotency key is saved, so a retry with the same key executes afresh. 429 gets
    /// Stripe's rate-limit error (`invalid_request_error`, code `rate_limit`); any other status
    /// (meant for 500–504) gets an `api_error`. Both carry `Stripe-Should-Retry: true`.
    Status(u16),
    /// Waits, then processes the request normally. A client whose timeout is shorter gives up
    /// first, and since the emulator stops handling a request whose connection closed, nothing
    /// happens at "Stripe" (the log shows [`Outcome::NotProcessed`]).
    DelayBeforeProcessing(Duration),
    /// Processes the request (objects created, idempotency key saved, events and webhooks
    /// emitted), then waits before answering: a client with a shorter timeout never sees the
    /// answer ([`Outcome::Lost`]).
    DelayAfterProcessing(Duration),
    /// Closes the connection without answering and without processing: a network failure on
    /// the way to Stripe. (On a listener of your own, see below.)
    DropBeforeProcessing,
    /// Processes the request completely, then closes the connection without answering: the
    /// response lost after Stripe acted on the request. The client sees a connection error at
    /// once, no timeout needed. (Served through [`crate::Emulator::router`] on a listener of
    /// your own, the connection cannot be closed: the answer is withheld until the client
    /// gives up.)
    DropAfterProcessing,
}

/// A fault for the next `times` requests (1 unless set) whose method and path match.
///
/// The path is a pattern over `/`-separated segments and matches exactly unless it says
/// otherwise: `*` stands for any one segment, and `**`, as the last segment only, for any
/// number of segments including none. So `/v1/payment_intents` matches creating a
/// PaymentIntent and nothing else, `/v1/payment_intents/*/confirm` confirming any one, and
/// `/v1/payment_intents/**` every PaymentIntent path. The query string is not part of the path.
///
/// ```
/// use std::time::Duration;
/// use stripe_emulator::{Fault, FaultKind, Method};
/// let rate_limited =
///     Fault::new(Method::POST, "/v1/payment_intents", FaultKind::Status(429)).times(2);
/// let slow_reads = Fault::new(
///     Method::GET,
///     "/v1/**",
///     FaultKind::DelayBeforeProcessing(Duration::from_secs(5)),
/// );
/// # let _ = (rate_limited, slow_reads);
/// ```
#[derive(Debug, Clone)]
pub struct Fault {
    method: Method,
    path: String,
    kind: FaultKind,
    times: u32,
}

impl Fault {
    /// A fault for the next request with this method and path.
    ///
    /// # Panics
    /// When `path` does not start with `/`, or has `**` anywhere but as its last segment:
    /// a pattern that could never match is a mistake in the test.
    pub fn new(method: Method, path: &str, kind: FaultKind) -> Self {
        assert!(
            path.starts_with('/'),
            "fault path {path:?} must start with /"
        );
        let segments: Vec<&str> = path[1..].split('/').collect();
        assert!(
            !segments[..segments.len() - 1].contains(&"**"),
            "`**` may only end a fault path: {path:?}"
        );
        Self {
            method,
            path: path.to_string(),
            kind,
            times: 1,
        }
    }

    /// Applies the fault to the next `times` matching requests (0: to none).
    #[must_use]
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        *method == self.method && path_matches(&self.path, path)
    }
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pattern = pattern.trim_start_matches('/').split('/');
    let mut path = path.trim_start_matches('/').split('/');
    loop {
        match (pattern.next(), path.next()) {
            (Some("**"), _) => return true,
            (Some("*"), Some(segment)) if !segment.is_empty() => {}
            (Some(p), Some(segment)) if p == segment => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The injected faults not yet used up, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Faults(Mutex<Vec<Fault>>);

impl Faults {
    pub(crate) fn inject(&self, fault: Fault) {
        if fault.times > 0 {
            lock(&self.0).push(fault);
        }
    }

    pub(crate) fn clear(&self) {
        lock(&self.0).clear();
    }

    /// Uses up one application of the oldest fault matching the request, if any.
    fn take(&self, method: &Method, path: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.0);
        let index = faults.iter().position(|f| f.matches(method, path))?;
        let fault = &mut faults[index];
        fault.times -= 1;
        let kind = fault.kind;
        if fault.times == 0 {
            faults.remove(index);
        }
        Some(kind)
    }
}

/// What became of a logged request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Still being handled, or waiting out a delay.
    InFlight,
    /// Processed (or refused by a status fault) and answered with this status.
    Answered(u16),
    /// Processed with this status, but the answer never left: the connection was dropped by a
    /// fault, or the client gave up while the answer was delayed.
    Lost(u16),
    /// Never processed: the connection was dropped by a fault, or the client gave up while the
    /// request was delayed.
    NotProcessed,
}

/// One request as the emulator saw it (see [`crate::Emulator::requests`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: Method,
    /// The path without the query string.
    pub path: String,
    /// The `Idempotency-Key` header as sent, if any.
    pub idempotency_key: Option<String>,
    /// The `Request-Id` of the answer (`req_…`; events name it too), once there is one. The
    /// Stripe.js pages have none.
    pub request_id: Option<String>,
    pub outcome: Outcome,
    /// The fault applied to this request, if any.
    pub fault: Option<FaultKind>,
    /// Whether the answer was an idempotent replay of a saved response
    /// (`Idempotent-Replayed: true`).
    pub replayed: bool,
}

impl LoggedRequest {
    /// The status the emulator answered or would have answered; `None` while in flight or
    /// when the request was never processed.
    pub fn status(&self) -> Option<u16> {
        match self.outcome {
            Outcome::Answered(status) | Outcome::Lost(status) => Some(status),
            Outcome::InFlight | Outcome::NotProcessed => None,
        }
    }
}

/// How many requests the log keeps: plenty for any test, bounded for a long demo.
pub(crate) const LOG_CAPACITY: usize = 5_000;

/// The last [`LOG_CAPACITY`] requests, oldest first, each with its arrival number.
#[derive(Debug, Default)]
pub(crate) struct RequestLog(Mutex<LogEntries>);

#[derive(Debug, Default)]
struct LogEntries {
    next: u64,
    entries: VecDeque<(u64, LoggedRequest)>,
}

impl RequestLog {
    fn start(&self, request: LoggedRequest) -> u64 {
        let mut log = lock(&self.0);
        let number = log.next;
        log.next += 1;
        if log.entries.len() == LOG_CAPACITY {
            log.entries.pop_front();
        }
        log.entries.push_back((number, request));
        number
    }

    fn update(&self, number: u64, f: impl FnOnce(&mut LoggedRequest)) {
        let mut log = lock(&self.0);
        // Arrival numbers increase along the deque: a request still running is near the end.
        if let Some((_, entry)) = log.entries.iter_mut().rev().find(|(n, _)| *n == number) {
            f(entry);
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<LoggedRequest> {
        lock(&self.0)
            .entries
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }
}

/// Completes a request's log entry, also when its handling is dropped half-way (the client
/// left, or a fault closed the connection).
struct Tracker<'a> {
    log: &'a RequestLog,
    number: u64,
    processed: Option<u16>,
    finished: bool,
}

impl Tracker<'_> {
    fn processed(&mut self, response: &Response) {
        let status = response.status().as_u16();
        let headers = response.headers();
        let request_id = header(headers, "request-id");
        let replayed = header(headers, "idempotent-replayed").as_deref() == Some("true");
        self.processed = Some(status);
        self.log.update(self.number, |entry| {
            entry.request_id = request_id;
            entry.replayed = replayed;
        });
    }

    fn answered(mut self) {
        if let Some(status) = self.processed {
            self.log.update(self.number, |entry| {
                entry.outcome = Outcome::Answered(status);
            });
        }
        self.finished = true;
    }
}

impl Drop for Tracker<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let outcome = self.processed.map_or(Outcome::NotProcessed, Outcome::Lost);
        self.log
            .update(self.number, |entry| entry.outcome = outcome);
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Closes the connection a request came on; put into each request's extensions by the
/// emulator's own server ([`crate::serve`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectionKill(pub(crate) Arc<Notify>);

/// Ends the request without an answer: the connection is closed if the emulator serves it,
/// otherwise the answer is withheld until the client gives up.
async fn drop_connection(kill: Option<ConnectionKill>) -> Response {
    if let Some(kill) = kill {
        // A stored permit: the connection task sees it even if it is not waiting yet.
        kill.0.notify_one();
    }
    std::future::pending().await
}

/// Stripe's answer to a request refused by a status fault.
fn refusal(code: u16, request_headers: &HeaderMap) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let error = if status == StatusCode::TOO_MANY_REQUESTS {
        ApiError::rate_limited()
    } else {
        ApiError::server_error(status)
    };
    let request_id = new_request_id();
    let body = error.response_json(&request_id, now());
    let mut response = api_response(status, body, &request_id, request_headers);
    // Nothing was executed, so a retry is safe; clients (async-stripe included) retry on it.
    set(response.headers_mut(), "stripe-should-retry", "true");
    response
}

/// The middleware: logs the request and applies the first matching fault.
pub(crate) async fn intercept(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let fault = shared.faults.take(&method, &path);
    if let Some(kind) = fault {
        tracing::info!(%method, %path, ?kind, "stripe emulator: injecting a fault");
    }
    let number = shared.log.start(LoggedRequest {
        method: method.clone(),
        path,
        idempotency_key: header(request.headers(), "idempotency-key"),
        request_id: None,
        outcome: Outcome::InFlight,
        fault,
        replayed: false,
    });
    let mut tracker = Tracker {
        log: &shared.log,
        number,
        processed: None,
        finished: false,
    };
    let kill = request.extensions().get::<ConnectionKill>().cloned();
    let response = match fault {
        None => next.run(request).await,
        Some(FaultKind::Status(code)) => refusal(code, request.headers()),
        Some(FaultKind::DelayBeforeProcessing(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Some(FaultKind::DelayAfterProcessing(delay)) => {
            let response = next.run(request).await;
            tracker.processed(&response);
            tokio::time::sleep(delay).await;
            response
        }
        Some(FaultKind::DropBeforeProcessing) => drop_connection(kill).await,
        Some(FaultKind::DropAfterProcessing) => {
            let response = next.run(request).await;
            tracker.processed(&response);
            drop_connection(kill).await
        }
    };
    tracker.processed(&response);
    tracker.answered();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_exactly_unless_the_pattern_widens() {
        let exact = "/v1/payment_intents";
        assert!(path_matches(exact, "/v1/payment_intents"));
        assert!(!path_matches(exact, "/v1/payment_intents/pi_1/confirm"));
        assert!(!path_matches(exact, "/v1/payment_intents_x"));
        assert!(!path_matches(exact, "/v1"));

        let one = "/v1/payment_intents/*/confirm";
        assert!(path_matches(one, "/v1/payment_intents/pi_1/confirm"));
        assert!(!path_matches(one, "/v1/payment_intents//confirm"));
        assert!(!path_matches(one, "/v1/payment_intents/pi_1/cancel"));
        assert!(!path_matches(one, "/v1/payment_intents/pi_1"));

        let below = "/v1/payment_intents/**";
        assert!(path_matches(below, "/v1/payment_intents"));
        assert!(path_matches(below, "/v1/payment_intents/pi_1/confirm"));
        assert!(!path_matches(below, "/v1/payment_intents_x"));
        assert!(!path_matches(below, "/v1/setup_intents/seti_1"));
    }

    #[test]
    #[should_panic(expected = "`**` may only end")]
    fn a_double_star_inside_a_pattern_is_refused() {
        let _ = Fault::new(Method::POST, "/v1/**/confirm", FaultKind::Status(500));
    }

    #[test]
    #[should_panic(expected = "must start with /")]
    fn a_relative_pattern_is_refused() {
        let _ = Fault::new(Method::POST, "v1/customers", FaultKind::Status(500));
    }

    #[test]
    fn faults_are_used_up_in_order() {
        let faults = Faults::default();
        let customers = |kind| Fault::new(Method::POST, "/v1/customers", kind);
        faults.inject(customers(FaultKind::Status(429)).times(2));
        faults.inject(customers(FaultKind::Status(500)));
        let refunds = Fault::new(Method::POST, "/v1/refunds", FaultKind::Status(503));
        faults.inject(refunds.times(0));
        let post = |path| faults.take(&Method::POST, path);
        assert_eq!(faults.take(&Method::GET, "/v1/customers"), None);
        assert_eq!(post("/v1/customers"), Some(FaultKind::Status(429)));
        assert_eq!(post("/v1/customers"), Some(FaultKind::Status(429)));
        assert_eq!(post("/v1/customers"), Some(FaultKind::Status(500)));
        assert_eq!(post("/v1/customers"), None);
        assert_eq!(post("/v1/refunds"), None);
    }

    fn request(path: &str) -> LoggedRequest {
        LoggedRequest {
            method: Method::GET,
            path: path.to_string(),
            idempotency_key: None,
            request_id: None,
            outcome: Outcome::InFlight,
            fault: None,
            replayed: false,
        }
    }

    #[test]
    fn the_log_keeps_the_latest_requests() {
        let log = RequestLog::default();
        let first = log.start(request("/first"));
        for n in 0..LOG_CAPACITY {
            log.start(request(&format!("/{n}")));
        }
        // Updating an entry that has been evicted is harmless.
        log.update(first, |r| r.outcome = Outcome::Answered(200));
        let kept = log.snapshot();
        assert_eq!(kept.len(), LOG_CAPACITY);
        assert_eq!(kept[0].path, "/0");
        assert_eq!(
            kept[LOG_CAPACITY - 1].path,
            format!("/{}", LOG_CAPACITY - 1)
        );
        assert!(kept.iter().all(|r| r.outcome == Outcome::InFlight));
    }

    #[test]
    fn a_request_dropped_half_way_is_logged_as_lost_or_not_processed() {
        let log = RequestLog::default();
        let never = log.start(request("/never"));
        let lost = log.start(request("/lost"));
        drop(Tracker {
            log: &log,
            number: never,
            processed: None,
            finished: false,
        });
        drop(Tracker {
            log: &log,
            number: lost,
            processed: Some(200),
            finished: false,
        });
        let outcomes: Vec<_> = log.snapshot().iter().map(|r| r.outcome).collect();
        assert_eq!(outcomes, [Outcome::NotProcessed, Outcome::Lost(200)]);
    }
}

//! The server's backstop against hanging requests: a request whose answer has not started after
//! the configured limit gets [`AppError::TimedOut`] (503, the same JSON as any server function's
//! error) and its handler is dropped, so a database write in flight is rolled back.
//!
//! Only the wait for the response head is bounded: a response that has started (the live
//! profile updates' event stream) runs as long as it likes. Stripe's webhook route is left
//! outside (see `startup::build_router`): its handlers' Stripe calls are bounded by their own
//! retry policy, and cutting one half-way would only make Stripe deliver the event again.

use std::time::Duration;

use app::error::AppError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The limit, as the middleware's state.
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout(pub Duration);

pub async fn cut_off_slow_requests(
    State(RequestTimeout(limit)): State<RequestTimeout>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let path = app::features::links::exchange::loggable_path(&path);
            tracing::warn!(%path, limit_ms = limit.as_millis(), "request timed out");
            AppError::TimedOut.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::Router;
    use axum::body::{Body, Bytes};
    use axum::routing::get;
    use futures::StreamExt;
    use http::StatusCode;
    use tower::ServiceExt;

    use super::*;

    const LIMIT: Duration = Duration::from_millis(100);

    fn app(router: Router) -> Router {
        router.layer(axum::middleware::from_fn_with_state(
            RequestTimeout(LIMIT),
            cut_off_slow_requests,
        ))
    }

    fn get_request(path: &str) -> Request {
        Request::builder().uri(path).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn a_request_that_never_answers_gets_a_clear_retryable_error() {
        let router = app(Router::new().route("/stuck", get(std::future::pending::<&str>)));
        let response = router.oneshot(get_request("/stuck")).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let error: AppError = serde_json::from_slice(&body).unwrap();
        assert_eq!(error, AppError::TimedOut);
        assert_eq!(
            error.user_message(),
            "This is taking too long. Please try again in a moment."
        );
    }

    #[tokio::test]
    async fn a_stream_that_has_started_is_never_cut() {
        // An event stream: one event at once, the next long after the limit.
        let stream = || async {
            let events = futures::stream::iter([Bytes::from("ready\n")]).chain(
                futures::stream::once(async {
                    tokio::time::sleep(LIMIT * 3).await;
                    Bytes::from("changed\n")
                }),
            );
            Body::from_stream(events.map(Ok::<_, std::convert::Infallible>))
        };
        let router = app(Router::new().route("/events", get(stream)));
        let response = router.oneshot(get_request("/events")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(&body[..], b"ready\nchanged\n");
    }
}

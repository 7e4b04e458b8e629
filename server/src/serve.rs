//! The accept loop: HTTP/1.1 and HTTP/2 over plain TCP, like `axum::serve`, plus what it lacks —
//! idle connections are closed and the number of open connections is capped.
//!
//! `axum::serve` sets no timer on hyper, so a keep-alive connection that never sends another
//! request stays open for ever. A soak showed the cost: hundreds of idle sockets (browsers' and
//! webhook clients' pools), each holding buffers, and memory climbing with them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// How connections are kept: `idle` without a new request closes one, at most `max` at once.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub idle: Duration,
    pub max: usize,
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting and waits for
/// the requests in flight to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper's header-read timeout starts whenever the connection waits for a request head, so it
    // bounds both a slow client's headers and an idle keep-alive.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle);
    // HTTP/2: ping the client while idle and give up on one that stops answering.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.idle)
        .keep_alive_timeout(limits.idle);
    let slots = Arc::new(Semaphore::new(limits.max));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);

    loop {
        // At the cap, stop accepting: new clients wait in the kernel's queue, not in our memory.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                // Only a closed semaphore refuses, and this one is never closed.
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Without TCP_NODELAY a response written in two pieces (head, then body: every static
        // file) waits for the client's delayed ACK, about 40 ms a request on Linux.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::warn!(%err, "could not set TCP_NODELAY on a connection");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
            // What `into_make_service_with_connect_info` would give: the socket peer.
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request)
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, err = %err, "connection ended with an error");
            }
            drop(slot);
        });
    }

    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

//! The emulator's HTTP/1 server. `axum::serve` cannot close one connection on demand, which the
//! drop faults need ([`crate::FaultKind::DropAfterProcessing`]): here each request carries a
//! [`ConnectionKill`] for its connection.

use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::faults::ConnectionKill;

/// Accepts connections until the task is aborted; the open connections end with it.
pub(crate) async fn serve(listener: TcpListener, router: Router) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, router.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: pass, rather than spin.
                    tracing::warn!(error = %e, "stripe emulator: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn connection(stream: TcpStream, router: Router) {
    // Small requests and answers: Nagle's delay would only slow tests down.
    let _ = stream.set_nodelay(true);
    let kill = ConnectionKill::default();
    let service = {
        let kill = kill.clone();
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(kill.clone());
            router.clone().oneshot(request)
        })
    };
    let served =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = served => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "stripe emulator: connection ended with an error");
            }
        }
        // Dropping the connection closes the socket with nothing written.
        () = kill.0.notified() => {}
    }
}

//! The accept loop: idle and half-sent connections are closed, and the connection cap holds
//! new clients back instead of piling them up.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::world::spawn_app_with;

/// Long enough for any of these reads on a loaded machine; a connection left open by the
/// server never ends the read at all, so the test then fails here.
const PATIENCE: Duration = Duration::from_secs(20);

async fn connect(address: &str) -> TcpStream {
    TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// Sends `GET /health` and reads its whole response (the body is small JSON with a length).
async fn health_over(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut chunk))
            .await
            .expect("the response arrives")
            .expect("read");
        assert!(
            read > 0,
            "the connection closed before the response was complete"
        );
        received.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .expect("a content-length");
            if body.len() >= length {
                return text;
            }
        }
    }
}

/// Reads until the server closes the connection; whatever it still sends first is returned.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut received))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn a_keep_alive_connection_left_idle_is_closed() {
    let app = spawn_app_with(&[("APP__SERVER__IDLE_TIMEOUT_MS", "300")]).await;
    let mut stream = connect(&app.address).await;

    let response = health_over(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    // Nothing more is asked: the server hangs up on its own, without another response.
    assert_eq!(until_closed(&mut stream).await, "");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let app = spawn_app_with(&[("APP__SERVER__IDLE_TIMEOUT_MS", "300")]).await;
    let mut stream = connect(&app.address).await;

    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: local")
        .await
        .unwrap();

    let answer = until_closed(&mut stream).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "no request was made, so nothing is answered but a timeout: {answer}"
    );
}

#[tokio::test]
async fn at_the_connection_cap_a_new_client_waits_for_a_free_slot() {
    let app = spawn_app_with(&[
        ("APP__SERVER__MAX_CONNECTIONS", "1"),
        ("APP__SERVER__IDLE_TIMEOUT_MS", "60000"),
    ])
    .await;
    let mut first = connect(&app.address).await;
    assert!(health_over(&mut first).await.starts_with("HTTP/1.1 200"));

    // The only slot is held by `first` (kept alive): the second client's request is not served…
    let mut second = connect(&app.address).await;
    second
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let early = tokio::time::timeout(Duration::from_millis(500), second.read_buf(&mut rest)).await;
    assert!(
        early.is_err(),
        "the second client was served beyond the cap"
    );

    // …until the first one leaves.
    drop(first);
    let read = tokio::time::timeout(PATIENCE, second.read_buf(&mut rest))
        .await
        .expect("served once a slot is free")
        .unwrap();
    assert!(read > 0);
    let answer = String::from_utf8_lossy(&rest);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

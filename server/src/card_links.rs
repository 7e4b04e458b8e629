//! `GET /pay/{token}`: the emailed link, handed to `app::features::links::exchange` with the
//! client's address.

use std::net::SocketAddr;

use app::state::AppState;
use axum::extract::{ConnectInfo, Path};
use axum::response::Response;

pub async fn exchange(
    state: AppState,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    let client_ip = peer.ip().to_string();
    app::features::links::exchange::exchange(&state, &token, Some(&client_ip)).await
}

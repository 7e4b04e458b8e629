//! `GET /pay/{token}`: the emailed link, handed to `app::features::links::exchange` with the
//! client's address (as `security::client_addresses` derived it).

use app::client_address::ClientAddress;
use app::state::AppState;
use axum::Extension;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::response::Response;

pub async fn exchange(
    state: AppState,
    segment: Result<Path<String>, PathRejection>,
    client: Option<Extension<ClientAddress>>,
) -> Response {
    // A segment that does not even decode (`%FF`) is no token either: "not found" like the rest.
    let segment = segment.map(|Path(s)| s).unwrap_or_default();
    let client_ip = client.map(|Extension(ClientAddress(ip))| ip.to_string());
    app::features::links::exchange::exchange(&state, &segment, client_ip.as_deref()).await
}

//! `GET /events/customers/{id}`: server-sent events for a customer's profile. The browser's
//! `EventSource` gets `ready` on every (re)connection and `changed` whenever the customer's
//! cards, card requests or emails change; it then refetches what it shows. Signed-in staff of
//! the customer's merchant only. Streams end when the server shuts down.

use std::convert::Infallible;
use std::time::Duration;

use app::error::AppError;
use app::features::auth::session;
use app::features::customers::service as customers;
use app::ids::{CustomerId, MerchantId};
use app::live::{self, Change};
use app::state::AppState;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use futures::stream;
use tokio::sync::broadcast::error::RecvError;

pub async fn customer_events(
    state: AppState,
    Path(customer_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let auth = session::staff_of(&state, &headers).await?;
    // Another merchant's customer is "not found", like everywhere else.
    customers::find_model(
        &state.db,
        MerchantId(&auth.merchant_id),
        CustomerId(&customer_id),
    )
    .await?;
    // Subscribe before `ready` goes out: a change right after is not missed.
    let receiver = live::subscribe();
    let merchant_id = auth.merchant_id;
    let changes = stream::unfold(receiver, move |mut receiver| {
        let (merchant_id, customer_id) = (merchant_id.clone(), customer_id.clone());
        async move {
            loop {
                match receiver.recv().await {
                    Ok(Change::Customer(change))
                        if change.merchant_id == merchant_id
                            && change.customer_id == customer_id =>
                    {
                        return Some((changed(), receiver));
                    }
                    Ok(Change::Customer(_)) => {}
                    // Another instance's announcements may have been missed.
                    Ok(Change::Unknown) => return Some((changed(), receiver)),
                    // Fell behind: something may have changed, say so.
                    Err(RecvError::Lagged(_)) => return Some((changed(), receiver)),
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    });
    // Browsers drop events without data (HTML spec): each carries its own name as data.
    let events =
        stream::once(async { Ok::<_, Infallible>(Event::default().event("ready").data("ready")) })
            .chain(changes)
            .take_until(live::shutting_down());
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
        .into_response())
}

fn changed() -> Result<Event, Infallible> {
    Ok(Event::default().event("changed").data("changed"))
}

//! Keeps an open profile current: listens to the server's event stream for this customer
//! (`/events/customers/{id}`) and asks for a refresh on each change. Reconnects by itself — the
//! browser's EventSource retries dropped connections, and if it gives up (server restarted,
//! session gone) a new one is opened a few seconds later. No polling.

use leptos::prelude::*;

#[component]
pub fn LiveUpdates(customer_id: String, on_change: Callback<()>) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        let url = format!("/events/customers/{customer_id}");
        Effect::new(move |_| {
            let (stop, stopped) = futures::channel::oneshot::channel::<()>();
            browser::listen(url.clone(), on_change, false, stopped);
            // Leaving the profile closes the stream.
            let stop = std::sync::Mutex::new(Some(stop));
            on_cleanup(move || {
                if let Some(stop) = stop.lock().ok().and_then(|mut s| s.take()) {
                    let _ = stop.send(());
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (customer_id, on_change);
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::time::Duration;

    use futures::channel::oneshot;
    use futures::future::{Either, select};
    use futures::{StreamExt, stream};
    use gloo_net::eventsource::State;
    use gloo_net::eventsource::futures::EventSource;
    use leptos::prelude::*;

    const RETRY_AFTER: Duration = Duration::from_secs(3);

    /// One connection's life; `refresh_on_ready` is set for reconnections, which may have missed
    /// changes while down.
    pub fn listen(
        url: String,
        on_change: Callback<()>,
        refresh_on_ready: bool,
        mut stopped: oneshot::Receiver<()>,
    ) {
        leptos::task::spawn_local(async move {
            let Ok(mut source) = EventSource::new(&url) else {
                return;
            };
            let (Ok(ready), Ok(changed)) = (source.subscribe("ready"), source.subscribe("changed"))
            else {
                return;
            };
            let mut events = stream::select(ready, changed);
            let mut first_ready = !refresh_on_ready;
            loop {
                match select(events.next(), &mut stopped).await {
                    // The profile was left.
                    Either::Right(_) => {
                        source.close();
                        return;
                    }
                    Either::Left((Some(Ok((kind, _))), _)) => {
                        if kind == "ready" && first_ready {
                            first_ready = false;
                        } else {
                            on_change.run(());
                        }
                    }
                    // The browser retries by itself unless it closed the source for good.
                    Either::Left((Some(Err(_)), _)) if source.state() != State::Closed => {
                        first_ready = false;
                    }
                    Either::Left(_) => break,
                }
            }
            source.close();
            set_timeout(move || listen(url, on_change, true, stopped), RETRY_AFTER);
        });
    }
}

use leptos::prelude::*;

use crate::features::notifications::dto::NotificationView;

/// Notifications: every email sent about this customer, newest first, with where it got to.
#[component]
pub fn NotificationsSection(items: Vec<NotificationView>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="notifications-heading">
            <h2 id="notifications-heading">"Notifications"</h2>
            <p class="hint">
                "“Sent” means the mail server accepted the email; “Opened” that the link was visited."
            </p>
            {if items.is_empty() {
                view! { <p class="empty-state">"No emails sent yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="notifications">
                        {items.into_iter().map(|item| view! { <NotificationItem item/> }).collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn NotificationItem(item: NotificationView) -> impl IntoView {
    let attempts = match item.attempts {
        0 => None,
        1 => Some("1 attempt".to_owned()),
        n => Some(format!("{n} attempts")),
    };
    view! {
        <li class="notification" data-state=item.state.as_str()>
            <div class="notification-head">
                <strong>{item.title}</strong>
                <span class="muted">" to "{item.recipient}</span>
                <span class=format!("badge state-{}", item.state.as_str())>{item.state_label}</span>
            </div>
            <p class="muted small">
                {item
                    .timeline
                    .into_iter()
                    .map(|(step, at)| format!("{step} {at}"))
                    .collect::<Vec<_>>()
                    .join(" · ")}
                {attempts.map(|a| format!(" · {a}"))}
            </p>
        </li>
    }
}

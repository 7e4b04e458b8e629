use leptos::prelude::*;

use crate::features::activity::dto::ActivityView;

/// Activity: who did what to this customer's cards, bookings and payments, newest first.
#[component]
pub fn ActivitySection(items: Vec<ActivityView>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Activity"</h2>
            {if items.is_empty() {
                view! { <p class="empty-state">"Nothing yet"</p> }.into_any()
            } else {
                view! {
                    <ol class="activity-list">
                        {items
                            .into_iter()
                            .map(|item| view! {
                                <li class="activity-item">
                                    <span class="activity-summary">{item.summary}</span>
                                    <span class="muted small">{format!("{} · {}", item.who, item.at)}</span>
                                </li>
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
    }
}

use leptos::prelude::*;

use crate::features::notifications::api::RetryEmail;
use crate::features::notifications::dto::NotificationView;
use crate::ui::form::{FormAlert, last_error};

/// Notifications: every email sent about this customer, newest first, with where it got to, and
/// **Retry** on one that failed.
#[component]
pub fn NotificationsSection(
    items: Vec<NotificationView>,
    /// Called after a Retry was accepted, so the profile shows the email queued at once.
    on_change: Callback<()>,
) -> impl IntoView {
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
                        {items.into_iter().map(|item| view! { <NotificationItem item on_change/> }).collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn NotificationItem(item: NotificationView, on_change: Callback<()>) -> impl IntoView {
    let attempts = match item.attempts {
        0 => None,
        1 => Some("1 attempt".to_owned()),
        n => Some(format!("{n} attempts")),
    };
    let title_id = format!("notification-{}", item.id);
    let retry = item.can_retry.then(
        || view! { <RetryForm email_id=item.id.clone() described_by=title_id.clone() on_change/> },
    );
    view! {
        <li class="notification" data-state=item.state.as_str()>
            <div class="notification-head">
                <strong id=title_id>{item.title}</strong>
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
            {retry}
        </li>
    }
}

/// Puts the failed email back in the queue; says why when it can't go out again.
#[component]
fn RetryForm(email_id: String, described_by: String, on_change: Callback<()>) -> impl IntoView {
    let retry = ServerAction::<RetryEmail>::new();
    let error = last_error(retry.value());
    let pending = retry.pending();
    Effect::new(move |_| {
        if let Some(Ok(())) = retry.value().get() {
            on_change.run(());
        }
    });
    view! {
        <ActionForm action=retry attr:class="notification-retry">
            <input type="hidden" name="email_id" value=email_id/>
            <button
                type="submit"
                class="button small"
                disabled=move || pending.get()
                aria-describedby=described_by
            >
                "Retry"
            </button>
        </ActionForm>
        <FormAlert error/>
    }
}

/// The server-rendered list: a failed email offers Retry, any other does not.
#[cfg(all(test, feature = "ssr"))]
mod render_tests {
    use super::*;
    use crate::features::notifications::dto::NotificationState;

    fn item(id: &str, state: NotificationState, can_retry: bool) -> NotificationView {
        NotificationView {
            id: id.into(),
            title: "Card request".into(),
            recipient: "jane@example.com".into(),
            state,
            state_label: format!("{state:?}"),
            attempts: 1,
            can_retry,
            timeline: vec![("Queued".into(), "2026-11-30 12:00 UTC".into())],
        }
    }

    fn render(items: Vec<NotificationView>) -> String {
        let owner = Owner::new();
        owner.set();
        view! { <NotificationsSection items on_change=Callback::new(|()| {})/> }.to_html()
    }

    #[test]
    fn only_a_retryable_failed_email_has_a_retry_button_naming_it() {
        let html = render(vec![
            item("e1", NotificationState::Failed, true),
            item("e2", NotificationState::Sent, false),
        ]);
        assert_eq!(html.matches(">Retry</button>").count(), 1, "{html}");
        assert!(html.contains(r#"name="email_id" value="e1""#), "{html}");
        assert!(
            html.contains(r#"aria-describedby="notification-e1""#),
            "{html}"
        );
        assert!(html.contains("/api/retry_email"), "{html}");
    }

    #[test]
    fn a_failed_email_whose_link_cannot_go_out_again_has_no_retry() {
        let html = render(vec![item("e1", NotificationState::Failed, false)]);
        assert!(!html.contains("Retry"), "{html}");
    }
}

use leptos::prelude::*;

use crate::features::bookings::dto::BookingView;

/// The profile's **Bookings**: each booking with its money (Total, Paid, Balance), its status and
/// its card, and **Charge balance** while something is owed.
#[component]
pub fn BookingsSection(
    bookings: Vec<BookingView>,
    /// Opens the Charge dialog for a booking's balance; without it the bookings still show.
    #[prop(optional)]
    charge_balance: Option<Callback<BookingView>>,
) -> impl IntoView {
    let launcher = charge_balance;
    let body = if bookings.is_empty() {
        view! {
            <p class="empty-state">"No bookings yet. Use New booking in Actions to add one."</p>
        }
        .into_any()
    } else {
        view! {
            <ul class="booking-list">
                {bookings
                    .into_iter()
                    .map(|booking| view! { <BookingItem booking launcher/> })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="bookings-heading">
            <h2 id="bookings-heading">"Bookings"</h2>
            {body}
        </section>
    }
}

/// CSS modifier of a status label.
pub(crate) fn status_class(label: &str) -> &'static str {
    match label {
        "Paid" => "booking-status paid",
        "Balance due" => "booking-status due",
        "Credit" => "booking-status credit",
        _ => "booking-status unpaid",
    }
}

#[component]
fn BookingItem(booking: BookingView, launcher: Option<Callback<BookingView>>) -> impl IntoView {
    let title_id = format!("booking-{}", booking.id);
    let participants = match booking.participants {
        1 => "1 participant".to_owned(),
        n => format!("{n} participants"),
    };
    // The button's name stays "Charge balance" for every booking; which booking it charges is
    // its description (the booking's title), and it sits inside that booking's item.
    let (labelled_by, described_by) = (title_id.clone(), title_id.clone());
    let charge = launcher.filter(|_| booking.balance > 0).map(|launcher| {
        let target = booking.clone();
        view! {
            <button
                type="button"
                class="button"
                aria-haspopup="dialog"
                aria-describedby=described_by
                on:click=move |_| launcher.run(target.clone())
            >
                "Charge balance"
            </button>
        }
    });
    view! {
        <li class="booking" aria-labelledby=labelled_by>
            <div class="booking-head">
                <h3 id=title_id>{booking.title.clone()}</h3>
                <span class=status_class(&booking.status_label)>{booking.status_label.clone()}</span>
            </div>
            <p class="booking-when">
                <time datetime=booking.starts_at.replace(' ', "T")>{booking.starts_at.clone()}</time>
                " · "
                {participants}
            </p>
            <dl class="booking-money">
                <div><dt>"Total"</dt><dd>{booking.total_text.clone()}</dd></div>
                <div><dt>"Paid"</dt><dd>{booking.paid_text.clone()}</dd></div>
                <div><dt>"Balance"</dt><dd>{booking.balance_text.clone()}</dd></div>
            </dl>
            <p class="booking-card">
                {match booking.card.clone() {
                    Some(card) => view! { "Card: "{card} }.into_any(),
                    None => view! { <span class="muted">"No card"</span> }.into_any(),
                }}
            </p>
            {charge}
        </li>
    }
}

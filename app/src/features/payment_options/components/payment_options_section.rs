use leptos::prelude::*;

use crate::features::payment_options::dto::PaymentOptionView;

/// Payment Options: the cards on file, default first in Stripe's sense of "the one we charge".
#[component]
pub fn PaymentOptionsSection(options: Vec<PaymentOptionView>) -> impl IntoView {
    view! {
        <section aria-labelledby="payment-options-heading">
            <h3 id="payment-options-heading">"Payment Options"</h3>
            {if options.is_empty() {
                view! { <p class="empty-state">"No card on file"</p> }.into_any()
            } else {
                view! {
                    <ul class="payment-options">
                        {options
                            .into_iter()
                            .map(|option| {
                                view! {
                                    <li class="payment-option">
                                        <span class="card-line">{option.card.describe()}</span>
                                        {option.is_default.then(|| view! { <span class="badge">"Default"</span> })}
                                        <span class="muted small">
                                            {format!("{} on {}", option.added_by, option.added_on)}
                                        </span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

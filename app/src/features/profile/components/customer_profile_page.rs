use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::live_updates::LiveUpdates;
use crate::error::AppError;
use crate::features::activity::components::ActivitySection;
use crate::features::bookings::components::{BookingsSection, NewBookingAction};
use crate::features::card_requests::api::SendCardRequest;
use crate::features::card_requests::components::SendEmailAction;
use crate::features::charges::components::{
    ChargeAction, ChargeDialog, ChargeLauncher, ChargeTarget, ConfirmationResender,
    PaymentsSection, RefundDialog, RefundLauncher, charge_blocked_reason,
};
use crate::features::customers::api::get_customer;
use crate::features::customers::dto::CustomerDetail;
use crate::features::notifications::components::NotificationsSection;
use crate::features::payment_options::components::{
    CreatePaymentOptionAction, PaymentOptionsSection,
};
use crate::features::profile::api::get_customer_payments;
use crate::ui::status::{LoadError, NotFound};

/// The customer's profile: contact details, Payment Information, Notifications, and the Actions
/// panel beside them.
#[component]
pub fn CustomerProfilePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let customer = Resource::new(id, get_customer);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match customer.await {
                    Ok(c) => view! { <Profile customer=c/> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <Title text="Customer not found — Card on File"/>
                        <NotFound title="Customer not found" back_href="/customers" back_label="Back to Customers"/>
                    }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Profile(customer: CustomerDetail) -> impl IntoView {
    let name = customer.full_name();
    let edit_href = format!("/customers/{}/edit", customer.id);
    let email = customer.email.clone();
    let phone = customer.phone.clone();
    let notes = customer.notes.clone();
    let customer_id = customer.id.clone();
    let payments = Resource::new(move || customer_id.clone(), get_customer_payments);
    let refresh = Callback::new(move |()| payments.refetch());
    // A booking's Charge balance opens the Charge dialog through this.
    let charge_launcher = ChargeLauncher(RwSignal::new(None));
    provide_context(charge_launcher);
    let charge_balance = Callback::new(move |booking| {
        charge_launcher.0.set(Some(ChargeTarget::Booking(booking)));
    });
    // A charge's Refund opens the Refund dialog through this.
    provide_context(RefundLauncher(RwSignal::new(None)));
    // A waiting charge's Resend link, and its answer, through this.
    provide_context(ConfirmationResender::new(refresh));
    let send = ServerAction::<SendCardRequest>::new();
    let dialog_open = RwSignal::new(false);
    // A request went out: close the dialog and show it in Notifications.
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.value().get() {
            dialog_open.set(false);
            payments.refetch();
        }
    });
    let actions_customer_id = customer.id.clone();
    // Built as separate views: one nested view type for the whole profile overflows the
    // compiler's type-depth limit.
    let main_column = view! {
            <div class="profile-main">
                <section class="card" aria-labelledby="contact-heading">
                    <h2 id="contact-heading">"Contact details"</h2>
                    <dl class="details">
                        <dt>"Email"</dt>
                        <dd>{match email {
                            Some(e) => view! { <a href=format!("mailto:{e}")>{e.clone()}</a> }.into_any(),
                            None => view! { <span class="muted">"No email address"</span> }.into_any(),
                        }}</dd>
                        <dt>"Phone"</dt>
                        <dd>{match phone {
                            Some(p) => view! { <a href=format!("tel:{p}")>{p.clone()}</a> }.into_any(),
                            None => view! { <span class="muted">"No phone number"</span> }.into_any(),
                        }}</dd>
                        <dt>"Customer since"</dt>
                        <dd>{customer.created_on.clone()}</dd>
                    </dl>
                    {(!notes.is_empty()).then(|| view! {
                        <h3>"Notes"</h3>
                        <p class="notes">{notes}</p>
                    })}
                </section>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match payments.await {
                            Ok(p) => view! {
                                <section class="card" aria-labelledby="payment-heading">
                                    <h2 id="payment-heading">"Payment Information"</h2>
                                    <PaymentOptionsSection options=p.cards.payment_options on_change=refresh/>
                                </section>
                                <BookingsSection bookings=p.bookings charge_balance/>
                                <PaymentsSection charges=p.charges/>
                                <NotificationsSection items=p.notifications on_change=refresh/>
                                <ActivitySection items=p.activity/>
                            }.into_any(),
                            Err(error) => view! { <LoadError error/> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
    }
    .into_any();
    let actions_panel = view! {
            <aside class="profile-actions card" aria-labelledby="actions-heading">
                <h2 id="actions-heading">"Actions"</h2>
                <ul class="action-list">
                    <Transition fallback=|| ()>
                        {move || {
                            let customer_id = actions_customer_id.clone();
                            Suspend::new(async move {
                                payments.await.ok().map(|p| view! {
                                    <SendEmailAction customer_id state=p.card_request send open=dialog_open/>
                                    <ChargeAction blocked_reason=charge_blocked_reason(p.cards.payments_blocked_reason.as_deref(), &p.cards.payment_options)/>
                                })
                            })
                        }}
                    </Transition>
                    <CreatePaymentOptionAction customer_id=customer.id.clone() payments/>
                    <NewBookingAction customer_id=customer.id.clone() payments/>
                    <li><A href=edit_href attr:class="button">"Edit customer"</A></li>
                </ul>
            </aside>
    }
    .into_any();
    view! {
        <LiveUpdates customer_id=customer.id.clone() on_change=refresh/>
        <Title text=format!("{name} — Card on File")/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><A href="/customers">"Customers"</A></nav>
        <div class="page-header"><h1>{name}</h1></div>
        <div class="profile-grid">{main_column}{actions_panel}</div>
        <ChargeDialog customer_id=customer.id.clone() customer_email=customer.email.clone() payments on_done=refresh/>
        <RefundDialog on_done=refresh/>
    }
}

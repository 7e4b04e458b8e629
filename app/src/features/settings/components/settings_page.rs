use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::features::auth::components::{BusinessNameSignal, DemoPaymentsSignal};
use crate::features::settings::api::{
    ConnectDemoStripe, ConnectStripe, DisconnectStripe, UpdateBusinessName, UpdateCardLinkValidity,
    UpdateCurrency, get_settings,
};
use crate::features::settings::dto::StripeConnectionView;
use crate::money::CURRENCIES;
use crate::ui::form::{FormAlert, SubmitButton, TextField, last_error};
use crate::ui::status::LoadError;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let rename = ServerAction::<UpdateBusinessName>::new();
    let connect = ServerAction::<ConnectStripe>::new();
    let connect_demo = ServerAction::<ConnectDemoStripe>::new();
    let disconnect = ServerAction::<DisconnectStripe>::new();
    let validity = ServerAction::<UpdateCardLinkValidity>::new();
    let currency = ServerAction::<UpdateCurrency>::new();
    let settings = Resource::new(
        move || {
            (
                rename.version().get(),
                validity.version().get(),
                currency.version().get(),
                connect.version().get(),
                connect_demo.version().get(),
                disconnect.version().get(),
            )
        },
        |_| get_settings(),
    );
    // Keep the frame (top bar name, demo banner) in step with what was saved.
    let business_name = use_context::<BusinessNameSignal>();
    let demo_payments = use_context::<DemoPaymentsSignal>();
    Effect::new(move || {
        if let Some(Ok(saved)) = settings.get() {
            if let Some(BusinessNameSignal(name)) = business_name {
                name.set(saved.business_name.clone());
            }
            if let Some(DemoPaymentsSignal(demo)) = demo_payments {
                demo.set(saved.stripe.emulated);
            }
        }
    });
    let rename_error = last_error(rename.value());
    let validity_error = last_error(validity.value());
    view! {
        <Title text="Settings — Card on File"/>
        <h1>"Settings"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! {
                        <section class="card" aria-labelledby="business-heading">
                            <h2 id="business-heading">"Business"</h2>
                            <ActionForm action=rename attr:novalidate=true>
                                <FormAlert error=rename_error/>
                                <TextField label="Business name" name="business_name" value=Some(s.business_name) required=true error=rename_error/>
                                <SubmitButton label="Save" pending_label="Saving…" pending=rename.pending()/>
                            </ActionForm>
                        </section>
                        <section class="card" aria-labelledby="card-requests-heading">
                            <h2 id="card-requests-heading">"Card requests"</h2>
                            <ActionForm action=validity attr:novalidate=true>
                                <FormAlert error=validity_error/>
                                <TextField
                                    label="Link validity (days)"
                                    name="card_link_validity_days"
                                    kind="number"
                                    value=Some(s.card_link_validity_days.to_string())
                                    hint="How long the link in a card request email works: 1 to 30 days."
                                    required=true
                                    error=validity_error
                                />
                                <SubmitButton label="Save" pending_label="Saving…" pending=validity.pending()/>
                            </ActionForm>
                        </section>
                        <CurrencySection current=s.currency action=currency/>
                        <StripeSection connection=s.stripe connect connect_demo disconnect/>
                    }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn StripeSection(
    connection: StripeConnectionView,
    connect: ServerAction<ConnectStripe>,
    connect_demo: ServerAction<ConnectDemoStripe>,
    disconnect: ServerAction<DisconnectStripe>,
) -> impl IntoView {
    let connect_error = last_error(connect.value());
    let demo_error = last_error(connect_demo.value());
    let body = if connection.connected {
        let mode = match connection.mode.as_deref() {
            Some("live") => "Live mode",
            _ => "Test mode",
        };
        view! {
            <p class="status-line"><strong>"Connected"</strong></p>
            <dl class="details">
                <dt>"Account"</dt>
                <dd>{connection.account_id.clone().unwrap_or_default()}</dd>
                <dt>"Mode"</dt>
                <dd>{mode}</dd>
            </dl>
            {connection.emulated.then(|| view! { <p class="muted">"Demo — no real payments: connected to the built-in Stripe emulator."</p> })}
            <ActionForm action=disconnect>
                <button type="submit" class="button">"Disconnect"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <p class="status-line"><strong>"Not connected"</strong></p>
            <p class="muted">"Paste the keys from your Stripe dashboard (Developers → API keys, and the signing secret of your webhook endpoint). They are checked with Stripe before they are saved, and the secrets are stored encrypted."</p>
            <ActionForm action=connect attr:novalidate=true>
                <FormAlert error=connect_error/>
                <TextField label="Publishable key" name="publishable_key" autocomplete="off" error=connect_error/>
                <TextField label="Secret key" name="secret_key" kind="password" autocomplete="off" error=connect_error/>
                <TextField label="Webhook signing secret" name="webhook_secret" kind="password" autocomplete="off" error=connect_error/>
                <SubmitButton label="Connect" pending_label="Checking with Stripe…" pending=connect.pending()/>
            </ActionForm>
            {connection.demo_available.then(|| view! {
                <div class="demo-connect">
                    <FormAlert error=demo_error/>
                    <ActionForm action=connect_demo>
                        <SubmitButton label="Connect demo Stripe" pending_label="Connecting…" pending=connect_demo.pending()/>
                    </ActionForm>
                </div>
            })}
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="miopay-heading">
            <h2 id="miopay-heading">"MioPay (Stripe)"</h2>
            {body}
        </section>
    }
}

/// "USD ($)", or just "CHF" where the symbol is the code.
fn currency_label(code: &str, symbol: &str) -> String {
    let code = code.to_uppercase();
    let symbol = symbol.trim();
    if symbol == code {
        code
    } else {
        format!("{code} ({symbol})")
    }
}

#[component]
fn CurrencySection(current: String, action: ServerAction<UpdateCurrency>) -> impl IntoView {
    let error = last_error(action.value());
    let message = Signal::derive(move || error.get().and_then(|e| e.message_for("currency")));
    view! {
        <section class="card" aria-labelledby="bookings-charges-heading">
            <h2 id="bookings-charges-heading">"Bookings and charges"</h2>
            <ActionForm action attr:novalidate=true>
                <FormAlert error/>
                <div class="field" class:has-error=move || message.get().is_some()>
                    <label for="field-currency">"Currency"</label>
                    <p class="hint" id="field-currency-hint">
                        "New bookings and charges are in this currency. Existing bookings keep theirs."
                    </p>
                    <select
                        id="field-currency"
                        class="currency-select"
                        name="currency"
                        aria-invalid=move || message.get().is_some().then_some("true")
                        aria-describedby="field-currency-hint field-currency-error"
                    >
                        {CURRENCIES.iter().map(|c| view! {
                            <option value=c.code selected=c.code == current>{currency_label(c.code, c.symbol)}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="field-currency-error">{move || message.get()}</p>
                </div>
                <SubmitButton label="Save" pending_label="Saving…" pending=action.pending()/>
            </ActionForm>
        </section>
    }
}

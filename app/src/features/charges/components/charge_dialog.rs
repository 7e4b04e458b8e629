//! The Charge dialog, opened by the Actions panel's **Charge** (any amount) or a booking's
//! **Charge balance** (its balance, or part of it).

use leptos::html;
use leptos::prelude::*;

use super::request_key::new_request_key;
use super::{CHARGE_BUTTON_ID, ChargeLauncher, ChargeTarget};
use crate::error::AppError;
use crate::features::charges::api::ChargePaymentOption;
use crate::features::charges::dto::ChargeView;
use crate::features::payment_options::dto::{CardsOnFile, PaymentOptionView, WithCards};
use crate::money::Currency;
use crate::states::ChargeStatus;
use crate::ui::dialog::{CloseButton, Dialog};
use crate::ui::form::{LastError, SubmitButton, TextField, last_error};

type ChargeAction = ServerAction<ChargePaymentOption>;

/// Mounted once on the profile, outside the parts a live refresh redraws; opens whenever the
/// [`ChargeLauncher`] is set. Every answer from the server refreshes the profile, so the
/// booking's balance and the Payments list follow.
#[component]
pub fn ChargeDialog<P: WithCards>(
    customer_id: String,
    customer_email: Option<String>,
    /// The profile's payment data: the cards the dialog offers, and whether it can charge.
    payments: Resource<Result<P, AppError>>,
    on_done: Callback<()>,
) -> impl IntoView {
    let launcher = use_context::<ChargeLauncher>().map(|l| l.0);
    let charge = ChargeAction::new();
    Effect::new(move |_| {
        if charge.value().with(Option::is_some) {
            on_done.run(());
        }
    });
    let latest = RwSignal::new(None::<CardsOnFile>);
    let dialog = move || {
        let launcher = launcher?;
        let target = launcher.get()?;
        // A new dialog starts without the last one's answer.
        charge.clear();
        let form = ChargeForm::new(
            &target,
            customer_id.clone(),
            customer_email.is_some(),
            latest.get_untracked().as_ref(),
        );
        let on_close = Callback::new(move |()| launcher.set(None));
        Some(view! { <ChargeDialogBody target form charge on_close/> })
    };
    // The resource is read only under this Transition of the dialog's own: a read under the
    // page's Suspense would blank the profile on every refresh, and a read in the dialog's own
    // render would redraw it (dropping what was typed and the server's answer) on every refresh.
    view! { <Transition fallback=|| ()><LatestPayments payments latest/>{dialog}</Transition> }
}

/// Copies the payment data out of the resource as it loads. The dialog reads the copy when it
/// opens, so the profile's refreshes never redraw an open dialog.
#[component]
fn LatestPayments<P: WithCards>(
    payments: Resource<Result<P, AppError>>,
    latest: RwSignal<Option<CardsOnFile>>,
) -> impl IntoView {
    Effect::new(move |_| {
        if let Some(Ok(p)) = payments.get() {
            latest.set(Some(p.cards().clone()));
        }
    });
}

/// What the form starts with, worked out once when the dialog opens.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ChargeForm {
    customer_id: String,
    booking_id: String,
    amount: String,
    description: String,
    /// `(payment option id, label)` of the cards that can be charged (not expired, and saved in
    /// the connected Stripe account).
    cards: Vec<(String, String)>,
    selected_card: Option<String>,
    can_email_receipt: bool,
    /// Why nothing can be charged now; the form is not offered then.
    blocked: Option<String>,
}

impl ChargeForm {
    fn new(
        target: &ChargeTarget,
        customer_id: String,
        can_email_receipt: bool,
        payments: Option<&CardsOnFile>,
    ) -> Self {
        let live: Vec<&PaymentOptionView> = payments
            .map(|p| {
                p.payment_options
                    .iter()
                    .filter(|o| o.can_be_charged())
                    .collect()
            })
            .unwrap_or_default();
        let booking = match target {
            ChargeTarget::Booking(booking) => Some(booking),
            ChargeTarget::Customer => None,
        };
        let selected_card = booking
            .and_then(|b| b.payment_option_id.as_deref())
            .and_then(|id| live.iter().find(|o| o.id == id))
            .or_else(|| live.iter().find(|o| o.is_default))
            .or_else(|| live.first())
            .map(|o| o.id.clone());
        let blocked = match payments {
            None => Some("The customer's cards could not be loaded. Close and try again.".into()),
            Some(p) => p
                .payments_blocked_reason
                .clone()
                .or_else(|| live.is_empty().then(|| "Add a card first".to_owned())),
        };
        let amount = booking
            .and_then(|b| {
                let currency = Currency::parse(&b.currency).ok()?;
                (b.balance > 0).then(|| currency.plain(b.balance))
            })
            .unwrap_or_default();
        Self {
            customer_id,
            booking_id: booking.map(|b| b.id.clone()).unwrap_or_default(),
            amount,
            description: booking.map(|b| b.title.clone()).unwrap_or_default(),
            cards: live
                .iter()
                .map(|o| {
                    let label = if o.is_default {
                        format!("{} (default)", o.card.describe())
                    } else {
                        o.card.describe()
                    };
                    (o.id.clone(), label)
                })
                .collect(),
            selected_card,
            can_email_receipt,
            blocked,
        }
    }
}

#[component]
fn ChargeDialogBody(
    target: ChargeTarget,
    form: ChargeForm,
    charge: ChargeAction,
    on_close: Callback<()>,
) -> impl IntoView {
    let (title, intro) = match &target {
        ChargeTarget::Customer => ("Charge", None),
        ChargeTarget::Booking(b) => (
            "Charge balance",
            Some(format!(
                "{} · {} · Balance due {}",
                b.title, b.starts_at, b.balance_text
            )),
        ),
    };
    let amount_hint = match &target {
        ChargeTarget::Customer => None,
        ChargeTarget::Booking(b) => Some(format!(
            "Up to the balance of {}; a smaller amount charges part of it.",
            b.balance_text
        )),
    };
    // The answer that ends the dialog; a decline or an error keeps the form for another try.
    let finished = Memo::new(move |_| {
        charge
            .value()
            .get()
            .and_then(Result::ok)
            .filter(|c| c.status != ChargeStatus::Failed)
    });
    // Focus goes back to the button that opened the dialog; if a refresh removed it (a booking
    // paid in full loses its Charge balance), to the Actions panel's Charge.
    view! {
        <Dialog
            title_id="charge-title"
            on_close
            busy=charge.pending()
            opener_id=CHARGE_BUTTON_ID
        >
            <h2 id="charge-title">{title}</h2>
            {intro.map(|text| view! { <p class="charges-intro">{text}</p> })}
            {move || match finished.get() {
                Some(result) => view! { <ChargeResult result/> }.into_any(),
                None => match form.blocked.clone() {
                    Some(reason) => view! {
                        <p class="alert" role="alert">{reason}</p>
                        <div class="form-actions"><CloseButton label="Close"/></div>
                    }
                    .into_any(),
                    None => view! {
                        <ChargeFields form=form.clone() amount_hint=amount_hint.clone() charge/>
                    }
                    .into_any(),
                },
            }}
        </Dialog>
    }
}

#[component]
fn ChargeFields(
    form: ChargeForm,
    amount_hint: Option<String>,
    charge: ChargeAction,
) -> impl IntoView {
    let error = last_error(charge.value());
    let pending = charge.pending();
    let request_key = RwSignal::new(new_request_key());
    // A decline is a finished attempt: charging again (another card, another amount) is a new
    // charge and needs a new key. Errors keep the key, so Try again finds the same charge.
    Effect::new(move |_| {
        if charge
            .value()
            .with(|v| matches!(v, Some(Ok(c)) if c.status == ChargeStatus::Failed))
        {
            request_key.set(new_request_key());
        }
    });
    let declined = move || {
        charge
            .value()
            .get()
            .and_then(Result::ok)
            .filter(|c| c.status == ChargeStatus::Failed)
            .map(|c| view! { <p class="alert" role="alert">{c.status_label}</p> })
    };
    let ChargeForm {
        customer_id,
        booking_id,
        amount,
        description,
        cards,
        selected_card,
        can_email_receipt,
        blocked: _,
    } = form;
    view! {
        <ActionForm action=charge attr:novalidate=true attr:class="charges-form">
            <input type="hidden" name="customer_id" value=customer_id/>
            <input type="hidden" name="booking_id" value=booking_id/>
            <input type="hidden" name="request_key" value=move || request_key.get()/>
            <AmountField value=amount hint=amount_hint error/>
            <TextField label="Description" name="description" value=Some(description) required=true error/>
            <CardSelect cards selected=selected_card error/>
            <div class="field checkbox-field">
                <label>
                    <input type="checkbox" name="send_receipt" value="yes" disabled=!can_email_receipt/>
                    " Email a receipt to the customer"
                </label>
                {(!can_email_receipt).then(|| view! { <p class="hint">"The customer has no email address."</p> })}
            </div>
            {declined}
            <RetryableAlert error pending/>
            <DuplicateWarning error pending/>
            <div class="form-actions">
                <SubmitButton label="Charge" pending_label="Charging…" pending/>
                <CloseButton label="Cancel"/>
            </div>
        </ActionForm>
    }
}

/// The amount as typed, in the merchant's currency; the server parses and checks it.
#[component]
pub(super) fn AmountField(value: String, hint: Option<String>, error: LastError) -> impl IntoView {
    let message = Signal::derive(move || error.get().and_then(|e| e.message_for("amount")));
    view! {
        <div class="field" class:has-error=move || message.get().is_some()>
            <label for="field-amount">"Amount"</label>
            {hint.map(|h| view! { <p class="hint" id="field-amount-hint">{h}</p> })}
            <input
                id="field-amount"
                name="amount"
                type="text"
                inputmode="decimal"
                autocomplete="off"
                value=value
                aria-invalid=move || message.get().is_some().then_some("true")
                aria-describedby="field-amount-hint field-amount-error"
            />
            <p class="field-error" id="field-amount-error">{move || message.get()}</p>
        </div>
    }
}

#[component]
fn CardSelect(
    cards: Vec<(String, String)>,
    selected: Option<String>,
    error: LastError,
) -> impl IntoView {
    let message =
        Signal::derive(move || error.get().and_then(|e| e.message_for("payment_option_id")));
    view! {
        <div class="field" class:has-error=move || message.get().is_some()>
            <label for="field-payment_option_id">"Card"</label>
            <select
                id="field-payment_option_id"
                name="payment_option_id"
                aria-invalid=move || message.get().is_some().then_some("true")
                aria-describedby="field-payment_option_id-error"
            >
                {cards
                    .into_iter()
                    .map(|(id, label)| {
                        let is_selected = selected.as_deref() == Some(id.as_str());
                        view! { <option value=id selected=is_selected>{label}</option> }
                    })
                    .collect_view()}
            </select>
            <p class="field-error" id="field-payment_option_id-error">{move || message.get()}</p>
        </div>
    }
}

/// Errors that belong to no field. When Stripe could not be reached (or the answer was lost),
/// **Try again** submits the same form with the same request key.
#[component]
pub(super) fn RetryableAlert(error: LastError, pending: Memo<bool>) -> impl IntoView {
    move || {
        // A possible duplicate has its own warning (`DuplicateWarning`).
        let error = error
            .get()
            .filter(|e| !matches!(e, AppError::PossibleDuplicateCharge { .. }));
        error.map(|e| {
            let retry = matches!(
                e,
                AppError::StripeUnavailable | AppError::TimedOut | AppError::Request { .. }
            );
            view! {
                <div class="alert charges-alert" role="alert">
                    <p>{e.user_message()}</p>
                    {retry.then(|| view! {
                        <button type="submit" class="button" disabled=move || pending.get()>"Try again"</button>
                    })}
                </div>
            }
        })
    }
}

/// A charge of the same amount to this customer is not settled yet: the warning, and **Charge
/// anyway**, which sends the same form naming the charge it was warned about.
#[component]
fn DuplicateWarning(error: LastError, pending: Memo<bool>) -> impl IntoView {
    move || {
        error.get().and_then(|e| match &e {
            AppError::PossibleDuplicateCharge { charge_id, .. } => Some(view! {
                <div class="alert charges-alert" role="alert">
                    <p>{e.user_message()}</p>
                    <button
                        type="submit"
                        class="button"
                        name="confirm_duplicate"
                        value=charge_id.clone()
                        disabled=move || pending.get()
                    >
                        "Charge anyway"
                    </button>
                </div>
            }),
            _ => None,
        })
    }
}

/// The charge went through, waits for the customer, or is still being checked: what happened,
/// and Close.
#[component]
fn ChargeResult(result: ChargeView) -> impl IntoView {
    let message = match result.status {
        ChargeStatus::Succeeded => format!("Charged {} to {}", result.amount_text, result.card),
        ChargeStatus::RequiresAction => {
            "Waiting for the customer to confirm — we emailed them a link".to_owned()
        }
        ChargeStatus::Pending => pending_message(&result.amount_text),
        ChargeStatus::Unknown | ChargeStatus::Failed => format!(
            "{} The result will show under Payments.",
            result.status_label
        ),
    };
    let close = NodeRef::<html::Div>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use leptos::wasm_bindgen::JsCast;
        if let Some(actions) = close.get()
            && let Ok(Some(button)) = actions.query_selector("button")
            && let Ok(button) = button.dyn_into::<leptos::web_sys::HtmlElement>()
        {
            let _ = button.focus();
        }
    });
    view! {
        <p class="notice charges-result" role="status" data-status=result.status.as_str()>{message}</p>
        <div class="form-actions" node_ref=close><CloseButton label="Close"/></div>
    }
}

/// What the dialog says of a charge Stripe has not answered yet (it did not answer in time, or the
/// answer was lost): it is not an error to retry, it is a charge that completes on its own.
fn pending_message(amount_text: &str) -> String {
    format!(
        "The charge of {amount_text} is pending: Stripe has not answered yet. It completes on its \
         own and shows under Payments — don't charge again."
    )
}

#[cfg(test)]
mod tests;

#[cfg(all(test, feature = "ssr"))]
mod render_tests;

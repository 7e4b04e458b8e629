//! `/pay`: the customer's page behind the emailed link. Rendered on the server with everything
//! the customer reads; once hydrated it loads Stripe.js, mounts the Payment Element and saves the
//! card with `confirmSetup`, then asks our server to record it. A link that asks the customer to
//! confirm a payment shows the charges' confirm page instead.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::cards::CardView;
use crate::error::AppError;
use crate::features::pay::api::load_card_page;
use crate::features::pay::components::ConfirmPayment;
use crate::features::pay::dto::{CardPage, CardSetup};
use crate::ui::status::set_http_status;

#[component]
pub fn CardRequestPage() -> impl IntoView {
    let page = Resource::new(|| (), |_| load_card_page());
    view! {
        <Suspense fallback=|| view! { <main class="pay-page"><p class="loading">"Loading…"</p></main> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(CardPage { payment: Some(payment), merchant_name, customer_first_name, demo, setup, .. }) => view! {
                        <ConfirmPayment merchant_name greeting=greeting(&customer_first_name) demo setup payment/>
                    }
                    .into_any(),
                    Ok(page) => view! { <CardForm page/> }.into_any(),
                    Err(error) => view! { <LinkProblem error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A link that cannot take a card: used, expired, revoked or unknown.
#[component]
fn LinkProblem(error: AppError) -> impl IntoView {
    set_http_status(error.status());
    let heading = match &error {
        AppError::LinkUsed { .. } => "This link has already been used",
        AppError::LinkExpired { .. } | AppError::LinkExpiredBeforeSaving { .. } => {
            "This link has expired"
        }
        AppError::LinkRevoked { .. } | AppError::LinkReplacedBeforeSaving { .. } => {
            "This link has been revoked"
        }
        AppError::LinkNotFound => "This link is not valid",
        AppError::LinkUnavailable { .. } => "Cards can't be added right now",
        // Stripe or our server in trouble: the link itself may be fine.
        _ => "This page could not be loaded",
    };
    view! {
        <Title text=heading/>
        <main class="pay-page">
            <section class="pay-panel pay-problem">
                <h1>{heading}</h1>
                <p>{error.user_message()}</p>
            </section>
        </main>
    }
}

/// Where the form is; the button is usable only in `Ready`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for Stripe.js and the Payment Element's `ready` event.
    Loading,
    Ready,
    /// Between Save card and the answer (3-D Secure included).
    Saving,
    /// Stripe.js or the element could not load; only a reload helps.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    Unavailable,
}

#[derive(Clone, Copy)]
struct FormState {
    phase: RwSignal<Phase>,
    /// The sentence in the alert region.
    error: RwSignal<Option<String>>,
    /// Set once our server has recorded the card: the form gives way to the confirmation.
    saved: RwSignal<Option<CardView>>,
    /// Stripe has confirmed the SetupIntent; a retry after a server error only asks our server
    /// again (confirming a succeeded SetupIntent a second time is an error at Stripe).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    confirmed: StoredValue<bool>,
}

impl FormState {
    fn new() -> Self {
        Self {
            phase: RwSignal::new(Phase::Loading),
            error: RwSignal::new(None),
            saved: RwSignal::new(None),
            confirmed: StoredValue::new(false),
        }
    }
}

/// The card page as the server renders it: everything the customer reads. Only the form itself
/// ([`CardEntry`]) is an island, hydrated by the page's own small bundle.
#[component]
fn CardForm(page: CardPage) -> impl IntoView {
    let CardPage {
        merchant_name,
        customer_first_name,
        purpose,
        expires_on,
        demo,
        setup,
        payment: _,
    } = page;

    view! {
        <Title text=format!("Add a card for {merchant_name}")/>
        <main class="pay-page">
            {demo.then(|| view! {
                <p class="demo-banner" role="note">"Demo — no real payments. Use a Stripe test card such as 4242 4242 4242 4242."</p>
            })}
            <header class="pay-header">
                <h1>{merchant_name.clone()}</h1>
            </header>
            <section class="pay-panel">
                <p class="pay-greeting">{greeting(&customer_first_name)}</p>
                <p>{request_sentence(&merchant_name, &purpose)}</p>
                <p>
                    {format!(
                        "No account or login needed. Your card details go straight to Stripe, our \
                         payment processor; {merchant_name} never sees the full number."
                    )}
                </p>
                <p class="pay-expiry">{format!("This link works until {expires_on}.")}</p>
                <CardEntry merchant_name setup/>
            </section>
        </main>
    }
}

/// The Payment Element and Save card, then the saved card in their place: the island of the
/// card page. Its props (the merchant's name for Stripe's wallet sheets, and what Stripe.js needs)
/// travel in the island's `data-props`.
#[island]
fn CardEntry(merchant_name: String, setup: CardSetup) -> impl IntoView {
    let form = FormState::new();

    #[cfg(not(feature = "hydrate"))]
    let _ = (&merchant_name, setup);

    // Stripe.js objects are browser-only and not `Send`: kept in local storage, filled once the
    // element is mounted.
    #[cfg(feature = "hydrate")]
    let mounted = StoredValue::new_local(None::<browser::Mounted>);
    #[cfg(feature = "hydrate")]
    {
        // Effects run only in the browser, after hydration, when `#payment-element` is live.
        // Nothing is tracked, so this runs once.
        Effect::new(move |_| {
            crate::ui::hydration::mark_hydrated();
            let setup = setup.clone();
            let merchant = merchant_name.clone();
            leptos::task::spawn_local(async move {
                if let Some(handles) = browser::mount(&setup, &merchant, form).await {
                    mounted.set_value(Some(handles));
                }
            });
        });
    }

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        browser::save(form, mounted);
    };

    let is = move |phase: Phase| form.phase.get() == phase;
    let card_form = move || {
        view! {
            <form class="pay-form" aria-labelledby="card-details-heading" on:submit=on_submit>
                <h2 id="card-details-heading">"Card details"</h2>
                <div id="payment-element" class="payment-element"></div>
                <p class="pay-status" role="status" aria-live="polite">
                    {move || is(Phase::Loading).then_some("Loading the secure card form…")}
                </p>
                <p class="pay-error" class:alert=move || form.error.with(Option::is_some) role="alert">
                    {move || form.error.get()}
                </p>
                <button
                    type="submit"
                    class="button primary pay-submit"
                    disabled=move || !is(Phase::Ready)
                    aria-busy=move || is(Phase::Saving).then_some("true")
                >
                    {move || if is(Phase::Saving) { "Saving…" } else { "Save card" }}
                </button>
            </form>
        }
    };

    // `Either`, not `AnyView`: the island stays free of type erasure (smaller WASM).
    move || match form.saved.get() {
        Some(card) => Either::Left(view! { <CardSaved card/> }),
        None => Either::Right(card_form()),
    }
}

/// Replaces the form once the card is on file.
#[component]
fn CardSaved(card: CardView) -> impl IntoView {
    view! {
        <PayDone heading_id="card-saved-heading" title="Your card has been saved" detail=card.describe()/>
    }
}

/// What replaces the form on `/pay` once the customer is done (card saved, payment confirmed);
/// focus moves to its heading so screen readers announce it.
#[component]
pub fn PayDone(heading_id: &'static str, title: &'static str, detail: String) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H2>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    view! {
        <section class="pay-saved" aria-labelledby=heading_id>
            <h2 id=heading_id tabindex="-1" node_ref=heading>{title}</h2>
            <p class="pay-saved-card">{detail}</p>
            <p>"You can close this page."</p>
        </section>
    }
}

/// "Hi Jane,"; just "Hi," when the merchant has no first name on file.
fn greeting(first_name: &str) -> String {
    match first_name.trim() {
        "" => "Hi,".to_owned(),
        name => format!("Hi {name},"),
    }
}

/// "Demo Tours asks you to add a card to keep on file for your bookings with Demo Tours."
fn request_sentence(merchant_name: &str, purpose: &str) -> String {
    match purpose.trim().trim_end_matches('.').trim_end() {
        "" => format!("{merchant_name} asks you to add a card."),
        purpose => format!("{merchant_name} asks you to add a card {purpose}."),
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;

    use super::{FormState, Phase};
    use crate::cards::CardView;
    use crate::features::pay::api::complete_card_setup;
    use crate::features::pay::dto::CardSetup;
    use crate::stripe_js::{self, Appearance, ConfirmOutcome, Elements, Stripe};

    const LOAD_FAILED: &str =
        "The secure card form could not be loaded. Check your connection and reload the page.";
    /// When Stripe's error carries no sentence of its own.
    const SAVE_FAILED: &str = "Something went wrong. Please try again.";

    /// The Payment Element in the page's colours; Stripe draws it inside its own frame.
    const APPEARANCE: Appearance<'static> = Appearance {
        theme: "stripe",
        variables: &[
            ("colorPrimary", "#2f5bea"),
            ("colorText", "#17202a"),
            ("colorDanger", "#b42318"),
            ("borderRadius", "8px"),
            (
                "fontFamily",
                "system-ui, -apple-system, \"Segoe UI\", Roboto, \"Helvetica Neue\", Arial, sans-serif",
            ),
        ],
    };

    /// What Save card needs from Stripe.js once the element is mounted.
    #[derive(Clone)]
    pub struct Mounted {
        stripe: Stripe,
        elements: Elements,
    }

    /// Loads Stripe.js and mounts the Payment Element; on failure says so in the alert region.
    pub async fn mount(setup: &CardSetup, merchant_name: &str, form: FormState) -> Option<Mounted> {
        match try_mount(setup, merchant_name, form).await {
            Ok(mounted) => Some(mounted),
            Err(detail) => {
                leptos::logging::error!("card form: {detail}");
                unavailable(form);
                None
            }
        }
    }

    async fn try_mount(
        setup: &CardSetup,
        merchant_name: &str,
        form: FormState,
    ) -> Result<Mounted, String> {
        stripe_js::load_stripe_js(&setup.stripe_js_url).await?;
        let stripe = Stripe::new(&setup.publishable_key)?;
        let elements = stripe.elements(&setup.client_secret, Some(APPEARANCE))?;
        let element = elements.create_payment_element(merchant_name)?;
        element.on_ready(move || {
            if form.phase.get_untracked() == Phase::Loading {
                form.phase.set(Phase::Ready);
            }
        })?;
        element.on_load_error(move |error| {
            leptos::logging::error!("card form: the Payment Element did not load: {error:?}");
            unavailable(form);
        })?;
        element.mount("#payment-element")?;
        Ok(Mounted { stripe, elements })
    }

    fn unavailable(form: FormState) {
        form.phase.set(Phase::Unavailable);
        form.error.set(Some(LOAD_FAILED.to_owned()));
    }

    /// Save card: Stripe confirms the SetupIntent (3-D Secure included), then our server records
    /// the card. Any failure leaves the form usable for another try or another card.
    pub fn save(form: FormState, mounted: StoredValue<Option<Mounted>, LocalStorage>) {
        if form.phase.get_untracked() != Phase::Ready {
            return;
        }
        let Some(mounted) = mounted.get_value() else {
            return;
        };
        form.phase.set(Phase::Saving);
        form.error.set(None);
        leptos::task::spawn_local(async move {
            match confirm_and_record(&mounted, form).await {
                Ok(card) => form.saved.set(Some(card)),
                Err(message) => {
                    form.error.set(Some(message));
                    form.phase.set(Phase::Ready);
                }
            }
        });
    }

    async fn confirm_and_record(mounted: &Mounted, form: FormState) -> Result<CardView, String> {
        if !form.confirmed.get_value() {
            let outcome = mounted
                .stripe
                .confirm_setup(&mounted.elements, &return_url())
                .await;
            match outcome {
                // Stripe writes these for customers: "Your card was declined.", …
                ConfirmOutcome::Failed(error) => {
                    return Err(error.message.unwrap_or_else(|| SAVE_FAILED.to_owned()));
                }
                ConfirmOutcome::Succeeded { .. } => form.confirmed.set_value(true),
            }
        }
        complete_card_setup().await.map_err(|e| e.user_message())
    }

    /// `location.origin + "/pay"`: where Stripe would send a payment method that has to leave the
    /// page (cards never do with `redirect: 'if_required'`).
    fn return_url() -> String {
        let origin = web_sys::window()
            .and_then(|window| js_sys::Reflect::get(&window, &"location".into()).ok())
            .and_then(|location| js_sys::Reflect::get(&location, &"origin".into()).ok())
            .and_then(|origin| origin.as_string())
            .unwrap_or_default();
        format!("{origin}/pay")
    }
}

#[cfg(test)]
mod tests {
    use super::{greeting, request_sentence};

    #[test]
    fn greets_by_first_name_or_plainly() {
        assert_eq!(greeting("Jane"), "Hi Jane,");
        assert_eq!(greeting("  "), "Hi,");
    }

    #[test]
    fn the_request_reads_as_one_sentence() {
        assert_eq!(
            request_sentence(
                "Demo Tours",
                "to keep on file for your bookings with Demo Tours"
            ),
            "Demo Tours asks you to add a card to keep on file for your bookings with Demo Tours."
        );
        assert_eq!(
            request_sentence("Demo Tours", "for your booking on 3 May."),
            "Demo Tours asks you to add a card for your booking on 3 May."
        );
        assert_eq!(
            request_sentence("Demo Tours", ""),
            "Demo Tours asks you to add a card."
        );
    }
}

/// The server-rendered page: what a customer reads before any script runs.
#[cfg(all(test, feature = "ssr"))]
mod render_tests {
    use super::*;
    use crate::features::pay::dto::CardSetup;

    fn render(view: impl FnOnce() -> AnyView) -> String {
        let owner = Owner::new();
        owner.set();
        leptos_meta::provide_meta_context();
        view().to_html()
    }

    fn demo_page() -> CardPage {
        CardPage {
            merchant_name: "Demo Tours".into(),
            customer_first_name: "Jane".into(),
            purpose: "to keep on file for your bookings with Demo Tours".into(),
            expires_on: "2026-12-06".into(),
            demo: true,
            setup: CardSetup {
                publishable_key: "pk_test_demo".into(),
                client_secret: "seti_1_secret_2".into(),
                stripe_js_url: "http://127.0.0.1:12111/v3/".into(),
            },
            payment: None,
        }
    }

    #[test]
    fn the_form_waits_for_stripe_with_its_button_disabled() {
        let page = demo_page();
        let html = render(move || view! { <CardForm page/> }.into_any());
        assert!(html.contains("<h1>Demo Tours</h1>"));
        assert!(html.contains("Hi Jane,"));
        assert!(html.contains(
            "Demo Tours asks you to add a card to keep on file for your bookings with Demo Tours."
        ));
        assert!(html.contains("Demo Tours never sees the full number."));
        assert!(html.contains("This link works until 2026-12-06."));
        assert!(html.contains("Demo — no real payments."));
        assert!(html.contains(r#"<div id="payment-element" class="payment-element"></div>"#));
        assert!(html.contains("Loading the secure card form…"));
        assert!(html.contains(r#"<button type="submit" disabled"#));
        assert!(html.contains("Save card"));
        // The form is the island the card page's bundle hydrates; what Stripe.js needs travels
        // in its props, not in the text.
        assert!(
            html.contains("<leptos-island data-component=\"CardEntry_"),
            "{html}"
        );
        let (_, props) = html
            .split_once("data-props=\"")
            .expect("the island's props");
        assert!(
            props.starts_with("{&quot;merchant_name&quot;:&quot;Demo Tours&quot;"),
            "{props}"
        );
        assert_eq!(
            html.matches("seti_1_secret_2").count(),
            1,
            "only in the props: {html}"
        );
    }

    #[test]
    fn a_used_link_says_so() {
        let error = AppError::LinkUsed {
            merchant_name: "Demo Tours".into(),
        };
        let html = render(move || view! { <LinkProblem error/> }.into_any());
        assert!(html.contains("<h1>This link has already been used</h1>"));
        assert!(html.contains("Your card is on file with Demo Tours."));
    }

    #[test]
    fn unknown_links_are_not_valid_and_trouble_is_not_blamed_on_the_link() {
        let html = render(|| view! { <LinkProblem error=AppError::LinkNotFound/> }.into_any());
        assert!(html.contains("<h1>This link is not valid</h1>"), "{html}");
        let html = render(|| view! { <LinkProblem error=AppError::StripeUnavailable/> }.into_any());
        assert!(
            html.contains("<h1>This page could not be loaded</h1>"),
            "{html}"
        );
        assert!(html.contains("Stripe could not be reached"), "{html}");
    }

    #[test]
    fn the_confirmation_describes_the_card() {
        let card = CardView {
            brand: "Visa".into(),
            last4: "4242".into(),
            exp_month: 12,
            exp_year: 2034,
        };
        let html = render(move || view! { <CardSaved card/> }.into_any());
        assert!(html.contains("Your card has been saved"));
        assert!(html.contains("Visa •••• 4242 — expires 12/34"));
        assert!(html.contains("You can close this page."));
    }
}

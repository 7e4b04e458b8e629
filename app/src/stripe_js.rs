//! Stripe.js (https://docs.stripe.com/js) from Rust: loading the script, `Stripe(key)`, an Elements
//! group with its Payment Element, and the confirm calls, with typed results.
//!
//! Browser only. Option objects are built with `Reflect` rather than a serializer, which keeps the
//! WASM small; the script is added as a `<script src>` element so a strict CSP (no inline script,
//! no eval) allows it.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// The object `Stripe(publishableKey)` returns.
    #[derive(Clone, Debug)]
    pub type Stripe;

    #[wasm_bindgen(method, catch, js_name = elements)]
    fn elements_js(this: &Stripe, options: &Object) -> Result<Elements, JsValue>;

    #[wasm_bindgen(method, catch, js_name = confirmSetup)]
    fn confirm_setup_js(this: &Stripe, options: &Object) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = confirmPayment)]
    fn confirm_payment_js(this: &Stripe, options: &Object) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = handleNextAction)]
    fn handle_next_action_js(this: &Stripe, options: &Object) -> Result<Promise, JsValue>;

    /// An Elements group, bound to one intent's client secret.
    #[derive(Clone, Debug)]
    pub type Elements;

    #[wasm_bindgen(method, catch, js_name = create)]
    fn create_js(this: &Elements, kind: &str, options: &Object) -> Result<PaymentElement, JsValue>;

    /// The Payment Element: Stripe's iframe that takes the card details.
    #[derive(Clone, Debug)]
    pub type PaymentElement;

    #[wasm_bindgen(method, catch, js_name = mount)]
    fn mount_js(this: &PaymentElement, selector: &str) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch, js_name = on)]
    fn on_js(this: &PaymentElement, event: &str, handler: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = destroy)]
    fn destroy_js(this: &PaymentElement) -> Result<(), JsValue>;
}

/// Marks the `<script>` this module inserts, so concurrent or repeated loads share it.
const SCRIPT_MARKER: &str = "data-stripe-js";

/// Inserts `<script src=url>` once and waits for it to load. Does nothing when `window.Stripe`
/// already exists. On failure the element is removed again, so a later call retries.
pub async fn load_stripe_js(url: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    if stripe_function(&window).is_some() {
        return Ok(());
    }
    let document = window.document().ok_or("no document")?;

    // A marked script without `window.Stripe` is still loading (failed ones are removed).
    let existing = document
        .query_selector(&format!("script[{SCRIPT_MARKER}]"))
        .map_err(|e| describe(&e))?;
    let (script, inserted) = match existing {
        Some(element) => (element, false),
        None => (
            document
                .create_element("script")
                .map_err(|e| describe(&e))?,
            true,
        ),
    };

    // The promise's own resolve/reject are the listeners: no Rust closure to keep alive or leak.
    let mut settle = None;
    let loaded = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    let (resolve, reject) = settle.ok_or("the Promise executor did not run")?;
    script
        .add_event_listener_with_callback("load", &resolve)
        .map_err(|e| describe(&e))?;
    script
        .add_event_listener_with_callback("error", &reject)
        .map_err(|e| describe(&e))?;

    if inserted {
        let tag: &web_sys::HtmlScriptElement = script
            .dyn_ref()
            .ok_or("document.createElement('script') returned no script element")?;
        tag.set_src(url);
        tag.set_async(true);
        script
            .set_attribute(SCRIPT_MARKER, "")
            .map_err(|e| describe(&e))?;
        let parent = match document.query_selector("head").map_err(|e| describe(&e))? {
            Some(head) => head,
            None => document.document_element().ok_or("no document element")?,
        };
        parent.append_child(&script).map_err(|e| describe(&e))?;
    }

    let outcome = JsFuture::from(loaded).await;
    if outcome.is_err() {
        script.remove();
        return Err(format!("Stripe.js could not be loaded from {url}"));
    }
    if stripe_function(&window).is_none() {
        script.remove();
        return Err(format!(
            "the script at {url} loaded but did not define window.Stripe"
        ));
    }
    Ok(())
}

/// `window.Stripe`, looked up now (it appears only once the script has run).
fn stripe_function(window: &web_sys::Window) -> Option<Function> {
    Reflect::get(window, &JsValue::from_str("Stripe"))
        .ok()?
        .dyn_into::<Function>()
        .ok()
}

/// Options of the Elements group's look (https://docs.stripe.com/elements/appearance-api).
#[derive(Clone, Copy, Debug)]
pub struct Appearance<'a> {
    /// `stripe`, `night`, `flat`.
    pub theme: &'a str,
    /// `("colorPrimary", "#2f5bea")`, `("borderRadius", "8px")`, …
    pub variables: &'a [(&'a str, &'a str)],
}

impl Appearance<'_> {
    fn to_js(self) -> Object {
        let variables = Object::new();
        for (name, value) in self.variables {
            set(&variables, name, &JsValue::from_str(value));
        }
        let appearance = Object::new();
        set(&appearance, "theme", &JsValue::from_str(self.theme));
        set(&appearance, "variables", &variables);
        appearance
    }
}

impl Stripe {
    /// `Stripe(publishableKey)`. Fails when Stripe.js is not loaded or refuses the key.
    pub fn new(publishable_key: &str) -> Result<Self, String> {
        let window = web_sys::window().ok_or("no window")?;
        let constructor = stripe_function(&window)
            .ok_or("Stripe.js is not loaded: window.Stripe is undefined")?;
        let instance = constructor
            .call1(&JsValue::UNDEFINED, &JsValue::from_str(publishable_key))
            .map_err(|e| describe(&e))?;
        if !instance.is_object() {
            return Err("Stripe() did not return an object".into());
        }
        Ok(instance.unchecked_into())
    }

    /// `stripe.elements({clientSecret, appearance})`.
    pub fn elements(
        &self,
        client_secret: &str,
        appearance: Option<Appearance<'_>>,
    ) -> Result<Elements, String> {
        let options = Object::new();
        set(&options, "clientSecret", &JsValue::from_str(client_secret));
        if let Some(appearance) = appearance {
            set(&options, "appearance", &appearance.to_js());
        }
        self.elements_js(&options).map_err(|e| describe(&e))
    }

    /// `stripe.confirmSetup({elements, redirect: 'if_required', confirmParams: {return_url}})`.
    /// Stripe.js runs any 3-D Secure step itself (a modal frame) before the promise settles;
    /// `return_url` is used only for payment methods that must leave the page.
    pub async fn confirm_setup(&self, elements: &Elements, return_url: &str) -> ConfirmOutcome {
        let options = confirm_options(elements, return_url);
        settle(self.confirm_setup_js(&options)).await
    }

    /// `stripe.handleNextAction({clientSecret})`: the customer's step (3-D Secure) for an intent
    /// in `requires_action`, e.g. an off-session charge the bank wants confirmed.
    pub async fn handle_next_action(&self, client_secret: &str) -> ConfirmOutcome {
        let options = Object::new();
        set(&options, "clientSecret", &JsValue::from_str(client_secret));
        settle(self.handle_next_action_js(&options)).await
    }

    /// `stripe.confirmPayment({clientSecret, confirmParams: {payment_method}, redirect:
    /// 'if_required'})`: the customer confirms, on the page, a PaymentIntent for a card already
    /// on file; Stripe.js runs any 3-D Secure step itself before the promise settles.
    pub async fn confirm_payment_with_method(
        &self,
        client_secret: &str,
        payment_method_id: &str,
    ) -> ConfirmOutcome {
        let confirm_params = Object::new();
        set(
            &confirm_params,
            "payment_method",
            &JsValue::from_str(payment_method_id),
        );
        let options = Object::new();
        set(&options, "clientSecret", &JsValue::from_str(client_secret));
        set(&options, "confirmParams", &confirm_params);
        set(&options, "redirect", &JsValue::from_str("if_required"));
        settle(self.confirm_payment_js(&options)).await
    }
}

impl Elements {
    /// `elements.create('payment', {business: {name}})`; the name appears in Stripe's mandate and
    /// terms text.
    pub fn create_payment_element(&self, business_name: &str) -> Result<PaymentElement, String> {
        let business = Object::new();
        set(&business, "name", &JsValue::from_str(business_name));
        let options = Object::new();
        set(&options, "business", &business);
        self.create_js("payment", &options)
            .map_err(|e| describe(&e))
    }
}

impl PaymentElement {
    /// `element.mount(selector)`.
    pub fn mount(&self, selector: &str) -> Result<(), String> {
        self.mount_js(selector).map_err(|e| describe(&e))
    }

    /// `element.on('ready', …)`: the form can be typed into.
    pub fn on_ready(&self, handler: impl FnOnce() + 'static) -> Result<(), String> {
        // `ready` fires once. The closure is owned by the JS function from here on (released
        // with it by the garbage collector where weak references exist), so nothing has to keep
        // it alive on the Rust side.
        let handler = Closure::once(move |_: JsValue| handler()).into_js_value();
        self.on_js("ready", &handler)
            .map(drop)
            .map_err(|e| describe(&e))
    }

    /// `element.on('loaderror', …)`: the element could not load (bad client secret, network).
    pub fn on_load_error(
        &self,
        handler: impl FnOnce(StripeJsError) + 'static,
    ) -> Result<(), String> {
        // Fires at most once; owned by the JS function, as in `on_ready`.
        let handler = Closure::once(move |event: JsValue| {
            handler(StripeJsError::from_js(&get(&event, "error")));
        })
        .into_js_value();
        self.on_js("loaderror", &handler)
            .map(drop)
            .map_err(|e| describe(&e))
    }

    /// `element.destroy()`: removes the iframe; the element cannot be mounted again.
    pub fn destroy(&self) -> Result<(), String> {
        self.destroy_js().map_err(|e| describe(&e))
    }

    /// `element.on('escape', …)`: Escape pressed inside Stripe's frame, where the page's own
    /// key handlers never hear it (a dialog around the element closes on it all the same).
    pub fn on_escape(&self, mut handler: impl FnMut() + 'static) -> Result<(), String> {
        // Owned by the JS function Stripe keeps, as in `on_change`.
        let handler =
            Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| handler()).into_js_value();
        self.on_js("escape", &handler)
            .map(drop)
            .map_err(|e| describe(&e))
    }
}

/// How a confirm call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// Stripe returned the intent; `status` is its status (`succeeded`, `processing`, …).
    Succeeded {
        status: String,
    },
    Failed(StripeJsError),
}

/// Stripe.js's `error` object (https://docs.stripe.com/api/errors), or a stand-in when the call
/// threw or answered in an unexpected shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripeJsError {
    /// Stripe's `type`: `card_error`, `validation_error`, `invalid_request_error`, …; `exception`
    /// when Stripe.js threw (a programming error), `unexpected_response` for an unknown shape.
    pub kind: String,
    /// `card_declined`, `expired_card`, `setup_intent_authentication_failure`, …
    pub code: Option<String>,
    /// For declines: `insufficient_funds`, `lost_card`, …
    pub decline_code: Option<String>,
    /// Stripe's sentence for the customer, e.g. "Your card was declined."; `None` for the
    /// stand-ins, whose details are for developers only (they go to the console).
    pub message: Option<String>,
}

impl StripeJsError {
    fn from_js(error: &JsValue) -> Self {
        Self {
            kind: get_string(error, "type").unwrap_or_else(|| "unknown".into()),
            code: get_string(error, "code"),
            decline_code: get_string(error, "decline_code"),
            message: get_string(error, "message").filter(|m| !m.trim().is_empty()),
        }
    }

    fn stand_in(kind: &str, detail: &str) -> Self {
        leptos::logging::error!("Stripe.js: {detail}");
        Self {
            kind: kind.into(),
            code: None,
            decline_code: None,
            message: None,
        }
    }
}

fn confirm_options(elements: &Elements, return_url: &str) -> Object {
    let confirm_params = Object::new();
    set(
        &confirm_params,
        "return_url",
        &JsValue::from_str(return_url),
    );
    let options = Object::new();
    set(&options, "elements", elements);
    set(&options, "redirect", &JsValue::from_str("if_required"));
    set(&options, "confirmParams", &confirm_params);
    options
}

/// Waits for a confirm promise and reads `{setupIntent}` / `{paymentIntent}` / `{error}`.
async fn settle(called: Result<Promise, JsValue>) -> ConfirmOutcome {
    let answer = match called {
        Ok(promise) => JsFuture::from(promise).await,
        Err(thrown) => Err(thrown),
    };
    let value = match answer {
        Ok(value) => value,
        Err(thrown) => {
            return ConfirmOutcome::Failed(StripeJsError::stand_in(
                "exception",
                &describe(&thrown),
            ));
        }
    };
    let error = get(&value, "error");
    if error.is_object() {
        return ConfirmOutcome::Failed(StripeJsError::from_js(&error));
    }
    for key in ["setupIntent", "paymentIntent"] {
        let intent = get(&value, key);
        if intent.is_object() {
            return ConfirmOutcome::Succeeded {
                status: get_string(&intent, "status").unwrap_or_default(),
            };
        }
    }
    ConfirmOutcome::Failed(StripeJsError::stand_in(
        "unexpected_response",
        "the result has neither an intent nor an error",
    ))
}

fn get(object: &JsValue, key: &str) -> JsValue {
    if !object.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn get_string(object: &JsValue, key: &str) -> Option<String> {
    get(object, key).as_string()
}

fn set(object: &Object, key: &str, value: &JsValue) {
    // Defining a property on a fresh plain object cannot fail.
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// A thrown JS value as text: an Error's `name: message`, or the value itself.
fn describe(thrown: &JsValue) -> String {
    if let Some(error) = thrown.dyn_ref::<js_sys::Error>() {
        return format!(
            "{}: {}",
            String::from(error.name()),
            String::from(error.message())
        );
    }
    thrown.as_string().unwrap_or_else(|| format!("{thrown:?}"))
}

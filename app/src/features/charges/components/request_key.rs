//! The idempotency key of one Charge or Refund submission, made in the browser when a dialog
//! opens. Every retry of that submission (a double click, Try again, a resend after a lost
//! response) carries the same key, so the server finds the charge it already made.

/// 128 random bits as 32 hex digits, from the browser's CSPRNG.
#[cfg(feature = "hydrate")]
pub fn new_request_key() -> String {
    use leptos::wasm_bindgen::{JsCast, JsValue};

    let bytes = js_sys::Uint8Array::new_with_length(16);
    let filled = web_sys::window()
        .and_then(|window| js_sys::Reflect::get(&window, &JsValue::from_str("crypto")).ok())
        .filter(JsValue::is_object)
        .and_then(|crypto| {
            let fill = js_sys::Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))
                .ok()?
                .dyn_into::<js_sys::Function>()
                .ok()?;
            fill.call1(&crypto, &bytes).ok()
        })
        .is_some();
    let mut key = [0_u8; 16];
    if filled {
        bytes.copy_to(&mut key);
    } else {
        // Every browser that runs this WASM has `crypto`; uniqueness is all a key needs, and
        // the server scopes it to the merchant.
        for byte in &mut key {
            *byte = (js_sys::Math::random() * 256.0).floor() as u8;
        }
    }
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// The dialogs open only in the browser; a server render never submits one.
#[cfg(not(feature = "hydrate"))]
pub fn new_request_key() -> String {
    String::new()
}

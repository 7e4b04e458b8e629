//! The browser bundle: hydrates the server-rendered page and nothing else.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes: hydration waits for the current route's split-out code.
    leptos::mount::hydrate_lazy(app::App);
}

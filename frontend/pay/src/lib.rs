//! The card page's bundle. Leptos's island script calls `hydrate`, then hydrates each
//! `<leptos-island>` through the island's own export, which linking `app` brings in.

// Linked for its island exports (`CardEntry_…`, `ConfirmEntry_…`); nothing is called by name.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
    // A page without an island (a used or expired link) is as live as it gets now; an island
    // marks the page itself once it has hydrated.
    let document = web_sys::window().and_then(|window| window.document());
    if let Some(document) = document
        && document
            .query_selector("leptos-island")
            .ok()
            .flatten()
            .is_none()
        && let Some(body) = document.body()
    {
        let _ = body.set_attribute("data-hydrated", "");
    }
}

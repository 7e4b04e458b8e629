//! The card page's bundle. Leptos's island script calls `hydrate`, then hydrates each
//! `<leptos-island>` through the island's own export, which linking `app` brings in.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
    // A page without an island (a used or expired link) is as live as it gets now; an island
    // marks the page itself once it has hydrated.
    let has_island = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.query_selector("leptos-island").ok().flatten())
        .is_some();
    if !has_island {
        app::ui::hydration::mark_hydrated();
    }
}

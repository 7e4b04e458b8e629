//! The sign that a page is live: `<body data-hydrated>` once its WASM has taken over the
//! server-rendered HTML. Browser tests wait for it, and so can anyone reading the DOM.

/// Marks the document as interactive. Browser only; does nothing where there is no document.
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Some(body) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.body())
    {
        let _ = body.set_attribute("data-hydrated", "");
    }
}

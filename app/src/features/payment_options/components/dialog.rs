//! The modal frame of Payment Options' dialogs (Create Payment Option, Remove card): mounted only
//! while open, it moves focus inside, keeps Tab inside, closes on Escape unless busy, and gives
//! focus back to the button that opened it.

use leptos::html;
use leptos::prelude::*;

#[component]
pub fn Dialog(
    /// The id of the heading that names the dialog.
    title_id: String,
    /// Called on Escape; the parent unmounts the dialog.
    on_close: Callback<()>,
    /// While true (a save in flight) Escape does nothing.
    #[prop(into, optional)]
    busy: Signal<bool>,
    /// The id of the button that opened the dialog, for when a refresh redrew it meanwhile.
    opener_id: String,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Div>::new();
    #[cfg(feature = "hydrate")]
    {
        let opener = StoredValue::new_local(browser::Opener::current(opener_id));
        on_cleanup(move || {
            opener.try_with_value(browser::Opener::restore);
        });
        Effect::new(move |_| {
            if let Some(dialog) = dialog.get() {
                browser::focus_first_field(&dialog);
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = opener_id;
    view! {
        <div class="dialog-backdrop payment-options-backdrop">
            <div
                class="dialog card payment-options-dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby=title_id
                tabindex="-1"
                node_ref=dialog
                on:keydown=move |ev| match ev.key().as_str() {
                    "Escape" if !busy.get_untracked() => on_close.run(()),
                    "Tab" => {
                        #[cfg(feature = "hydrate")]
                        if let Some(dialog) = dialog.get_untracked() {
                            browser::keep_focus_inside(&ev, &dialog);
                        }
                    }
                    _ => {}
                }
            >
                {children()}
            </div>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlElement};

    const FIELDS: &str = "input:not([type=hidden]):not([disabled]), textarea:not([disabled])";
    const FOCUSABLE: &str = "input:not([type=hidden]):not([disabled]), textarea:not([disabled]), \
                             button:not([disabled]), iframe";

    /// The button to give focus back to when the dialog closes.
    pub struct Opener {
        element: Option<HtmlElement>,
        id: String,
    }

    impl Opener {
        pub fn current(id: String) -> Self {
            let element = leptos::prelude::document()
                .active_element()
                .and_then(|e| e.dyn_into::<HtmlElement>().ok());
            Self { element, id }
        }

        pub fn restore(&self) {
            let target = match &self.element {
                Some(element) if element.is_connected() => Some(element.clone()),
                _ => leptos::prelude::document()
                    .get_element_by_id(&self.id)
                    .and_then(|e| e.dyn_into::<HtmlElement>().ok()),
            };
            if let Some(target) = target {
                let _ = target.focus();
            }
        }
    }

    fn all(dialog: &HtmlElement, selector: &str) -> Vec<HtmlElement> {
        let Ok(nodes) = dialog.query_selector_all(selector) else {
            return Vec::new();
        };
        (0..nodes.length())
            .filter_map(|i| nodes.item(i))
            .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
            .collect()
    }

    /// The first text field, or the dialog itself so that a screen reader announces it.
    pub fn focus_first_field(dialog: &HtmlElement) {
        let target = all(dialog, FIELDS)
            .into_iter()
            .next()
            .unwrap_or_else(|| dialog.clone());
        let _ = target.focus();
    }

    /// Tab from the last control goes to the first, Shift+Tab from the first to the last.
    pub fn keep_focus_inside(ev: &leptos::ev::KeyboardEvent, dialog: &HtmlElement) {
        let controls = all(dialog, FOCUSABLE);
        let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
            return;
        };
        let active = leptos::prelude::document().active_element();
        let at = |el: &HtmlElement| {
            active
                .as_ref()
                .is_some_and(|a| a == AsRef::<Element>::as_ref(el))
        };
        let on_dialog = active
            .as_ref()
            .is_some_and(|a| a == AsRef::<Element>::as_ref(dialog));
        if ev.shift_key() && (at(first) || on_dialog) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && at(last) {
            ev.prevent_default();
            let _ = first.focus();
        }
    }
}

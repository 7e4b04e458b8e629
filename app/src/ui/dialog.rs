//! The app's modal dialog frame. Mounted only while open, it moves focus to its first field (or
//! to itself when it has none yet), keeps Tab inside, closes on Escape unless busy, and gives
//! focus back to the button that opened it when it goes away, whatever closed it.
//!
//! The content is the caller's: the heading named by `title_id`, the form, its buttons. A button
//! inside can close the dialog as Escape does through [`CloseDialog`] or [`CloseButton`].

use leptos::html;
use leptos::prelude::*;

/// A handle the dialog's own buttons use to close it the same way Escape does.
#[derive(Clone, Copy)]
pub struct CloseDialog(Callback<()>);

impl CloseDialog {
    pub fn close(self) {
        self.0.run(());
    }
}

#[component]
pub fn Dialog(
    /// The id of the heading that names the dialog.
    #[prop(into)]
    title_id: String,
    /// Called on Escape (and by [`CloseDialog`]); the parent then unmounts the dialog.
    on_close: Callback<()>,
    /// While true (a save in flight) Escape does nothing.
    #[prop(into, optional)]
    busy: Signal<bool>,
    /// The id of the button that opened the dialog: where focus goes back when the element that
    /// had focus at opening is gone (a refresh redrew it) or was the page itself.
    #[prop(into, optional)]
    opener_id: Option<String>,
    /// Classes added to the dialog's own, for a slice's styles.
    #[prop(optional)]
    class: &'static str,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Div>::new();
    provide_context(CloseDialog(on_close));
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
        // On the window, not the dialog: Escape must work wherever focus is, also after a
        // disabled button (a save in flight) dropped it to the page.
        let escape = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() == "Escape" && !busy.get_untracked() {
                on_close.run(());
            }
        });
        on_cleanup(move || escape.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (opener_id, busy);
    let class = if class.is_empty() {
        "dialog card".to_owned()
    } else {
        format!("dialog card {class}")
    };
    view! {
        <div class="dialog-backdrop">
            <div
                class=class
                role="dialog"
                aria-modal="true"
                aria-labelledby=title_id
                tabindex="-1"
                node_ref=dialog
                on:keydown=move |ev| {
                    #[cfg(feature = "hydrate")]
                    if ev.key() == "Tab"
                        && let Some(dialog) = dialog.get_untracked()
                    {
                        browser::keep_focus_inside(&ev, &dialog);
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = ev;
                }
            >
                {children()}
            </div>
        </div>
    }
}

/// Cancel / Close: closes the dialog it is in, as Escape does.
#[component]
pub fn CloseButton(label: &'static str) -> impl IntoView {
    let close = use_context::<CloseDialog>();
    view! {
        <button
            type="button"
            class="button"
            on:click=move |_| {
                if let Some(close) = close {
                    close.close();
                }
            }
        >
            {label}
        </button>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlElement};

    const FIELDS: &str = "input:not([type=hidden]):not([disabled]), select:not([disabled]), \
                          textarea:not([disabled])";
    const FOCUSABLE: &str = "input:not([type=hidden]):not([disabled]), select:not([disabled]), \
                             textarea:not([disabled]), button:not([disabled]), a[href], iframe";

    /// The element to give focus back to when the dialog closes.
    pub struct Opener {
        element: Option<HtmlElement>,
        id: Option<String>,
    }

    impl Opener {
        pub fn current(id: Option<String>) -> Self {
            let document = leptos::prelude::document();
            let body = document.body();
            let element = document
                .active_element()
                .and_then(|e| e.dyn_into::<HtmlElement>().ok())
                .filter(|e| body.as_ref() != Some(e));
            Self { element, id }
        }

        pub fn restore(&self) {
            let target = match &self.element {
                Some(element) if element.is_connected() => Some(element.clone()),
                _ => self.id.as_deref().and_then(|id| {
                    leptos::prelude::document()
                        .get_element_by_id(id)
                        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
                }),
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

    /// The first field, or the dialog itself so that a screen reader announces it.
    pub fn focus_first_field(dialog: &HtmlElement) {
        let target = all(dialog, FIELDS)
            .into_iter()
            .next()
            .unwrap_or_else(|| dialog.clone());
        let _ = target.focus();
    }

    /// Tab from the last control goes to the first, Shift+Tab from the first (or from the dialog
    /// itself) to the last.
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
        if ev.shift_key() && (at(first) || at(dialog)) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && at(last) {
            ev.prevent_default();
            let _ = first.focus();
        }
    }
}

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;

use crate::features::customers::api::list_customers;
use crate::features::customers::dto::CustomerPage;
use crate::ui::encode_query_value;
use crate::ui::status::LoadError;

/// Customer list: search (name, email, phone) and keyset paging, all in the URL so that links,
/// the back button and JavaScript-less browsers behave.
#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let page = Resource::new(
        move || {
            let map = query.read();
            (
                map.get("q").unwrap_or_default(),
                map.get("after"),
                map.get("before"),
            )
        },
        |(q, after, before)| list_customers(q, after, before),
    );
    view! {
        <Title text="Customers — Card on File"/>
        <div class="page-header">
            <h1>"Customers"</h1>
            <A href="/customers/new" attr:class="button primary">"New customer"</A>
        </div>
        <div role="search" class="search">
            <Form method="GET" action="">
                <label for="customer-search" class="visually-hidden">"Search customers"</label>
                <input id="customer-search" type="search" name="q" value=q placeholder="Name, email or phone" maxlength="100"/>
                <button type="submit" class="button">"Search"</button>
            </Form>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <CustomerTable page=p query=q()/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CustomerTable(page: CustomerPage, query: String) -> impl IntoView {
    if page.items.is_empty() && page.prev_cursor.is_none() {
        let text = if query.trim().is_empty() {
            "No customers yet.".to_owned()
        } else {
            format!("No customers match “{}”.", query.trim())
        };
        return view! { <p class="empty-state">{text}</p> }.into_any();
    }
    let link = {
        let q = encode_query_value(&query);
        move |direction: &str, cursor: &str| format!("/customers?q={q}&{direction}={cursor}")
    };
    let prev = page.prev_cursor.as_deref().map(|c| link("before", c));
    let next = page.next_cursor.as_deref().map(|c| link("after", c));
    view! {
        <table class="table">
            <thead>
                <tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Phone"</th></tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|c| {
                    let href = format!("/customers/{}", c.id);
                    view! {
                        <tr>
                            <td><A href=href>{c.full_name}</A></td>
                            <td>{c.email.unwrap_or_default()}</td>
                            <td>{c.phone.unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="Pagination">
            {prev.map(|href| view! { <A href=href attr:rel="prev">"Previous page"</A> })}
            {next.map(|href| view! { <A href=href attr:rel="next">"Next page"</A> })}
        </nav>
    }.into_any()
}

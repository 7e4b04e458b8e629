use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::bookings_section::status_class;
use crate::features::bookings::api::list_bookings;
use crate::features::bookings::dto::BookingPage;
use crate::ui::status::LoadError;

/// The merchant's bookings by start time: upcoming ones (from today) first, past ones on
/// request, a page at a time. Everything is in the URL, so links and the back button behave.
#[component]
pub fn BookingsPage() -> impl IntoView {
    let query = use_query_map();
    let include_past = move || query.read().get("past").is_some_and(|v| v == "1");
    let page = Resource::new(
        move || {
            let map = query.read();
            (
                map.get("past").is_some_and(|v| v == "1"),
                map.get("after").filter(|a| !a.is_empty()),
            )
        },
        |(past, after)| list_bookings(past, after),
    );
    view! {
        <Title text="Bookings — Card on File"/>
        <div class="page-header">
            <h1>"Bookings"</h1>
            {move || if include_past() {
                view! { <A href="/bookings" attr:class="button">"Hide past bookings"</A> }.into_any()
            } else {
                view! { <A href="/bookings?past=1" attr:class="button">"Show past bookings"</A> }.into_any()
            }}
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let first_page = query.read_untracked().get("after").is_none_or(|a| a.is_empty());
                match page.await {
                    Ok(p) => view! { <BookingTable page=p include_past=include_past() first_page/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BookingTable(page: BookingPage, include_past: bool, first_page: bool) -> impl IntoView {
    let base = if include_past {
        "/bookings?past=1&"
    } else {
        "/bookings?"
    };
    if page.items.is_empty() && first_page {
        let text = if include_past {
            "No bookings yet."
        } else {
            "No upcoming bookings."
        };
        return view! {
            <div class="empty-state">
                <p>{text}</p>
                <p>"Bookings are created from a customer's profile: open the customer from Customers and choose New booking."</p>
            </div>
        }
        .into_any();
    }
    let next = page
        .next_cursor
        .as_deref()
        .map(|cursor| format!("{base}after={cursor}"));
    let first = (!first_page).then(|| base.trim_end_matches(['?', '&']).to_owned());
    view! {
        <div class="table-scroll">
            <table class="table bookings-table">
                <thead>
                    <tr>
                        <th scope="col">"What"</th>
                        <th scope="col">"When"</th>
                        <th scope="col">"Customer"</th>
                        <th scope="col" class="number">"Participants"</th>
                        <th scope="col" class="number">"Total"</th>
                        <th scope="col" class="number">"Balance"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.items.into_iter().map(|b| {
                        let href = format!("/customers/{}", b.customer_id);
                        view! {
                            <tr>
                                <td>{b.title}</td>
                                <td><time datetime=b.starts_at.replace(' ', "T")>{b.starts_at.clone()}</time></td>
                                <td><A href=href>{b.customer_name}</A></td>
                                <td class="number">{b.participants}</td>
                                <td class="number">{b.total_text}</td>
                                <td class="number">{b.balance_text}</td>
                                <td><span class=status_class(&b.status_label)>{b.status_label.clone()}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pagination">
            {first.map(|href| view! { <A href=href>"First page"</A> })}
            {next.map(|href| view! { <A href=href attr:rel="next">"Next page"</A> })}
        </nav>
    }
    .into_any()
}

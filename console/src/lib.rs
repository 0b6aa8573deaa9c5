//! The Cairn console: the web app for customer-success managers and product teams.
//!
//! Served by the worker at `/console/` (static assets). Sign-in is by one-time link
//! (`/console/?signin=TOKEN`): the token is exchanged for a session cookie and removed from the
//! address bar at once. Two pages, by hash: the milestone feed (`#feed`), where a CSM records how
//! a milestone was celebrated, and the impact analysis (`#impact`), celebrated against holdout
//! retention. The components are thin: what they show is computed in [`model`], natively tested.

pub mod api;
pub mod model;

use std::time::Duration;

use cairn_wire::{
    CaseStudies, CaseStudyCandidate, ConsoleSession, FeedItem, FeedPage, ImpactResponse,
    LadderResponse, MilestoneImpact, ProgressResponse, Role, Suggestions,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;

use crate::model::FeedFilters;

/// Mounts the console on the page's `<main id="console">`.
#[wasm_bindgen(start)]
pub fn main() {
    let Some(root) = document()
        .get_element_by_id("console")
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    // The page's "Loading…" line gives way to the app.
    root.set_inner_html("");
    leptos::mount::mount_to(root, App).forget();
}

/// Where the console is signed in, or why not.
#[derive(Debug, Clone, PartialEq)]
enum Sign {
    Checking,
    In(ConsoleSession),
    Out(Option<String>),
}

/// Signs in with the link's token if the address carries one (and removes it), else reads the
/// current session.
async fn start() -> Sign {
    let search = window().location().search().unwrap_or_default();
    let token = web_sys::UrlSearchParams::new_with_str(&search)
        .ok()
        .and_then(|p| p.get("signin"));
    let answer = match token {
        Some(token) => {
            // The token is spent either way: it leaves the address bar and the history now.
            if let Ok(history) = window().history() {
                let hash = window().location().hash().unwrap_or_default();
                let _ = history.replace_state_with_url(
                    &JsValue::NULL,
                    "",
                    Some(&format!("/console/{hash}")),
                );
            }
            let body = serde_json::json!({ "token": token }).to_string();
            api::call::<ConsoleSession>("POST", "/v1/console/session", Some(&body)).await
        }
        None => api::call::<ConsoleSession>("GET", "/v1/console/session", None).await,
    };
    match answer {
        Ok(session) => Sign::In(session),
        Err(e) if e.status == 401 && token_absent(&search) => Sign::Out(None),
        Err(e) => Sign::Out(Some(e.message)),
    }
}

fn token_absent(search: &str) -> bool {
    !search.contains("signin=")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Feed,
    CaseStudies,
    Impact,
    Ladder,
    Definitions,
}

fn page_of_hash() -> Page {
    match window().location().hash().unwrap_or_default().as_str() {
        "#impact" => Page::Impact,
        "#case-studies" => Page::CaseStudies,
        "#definitions" => Page::Definitions,
        "#ladder" => Page::Ladder,
        _ => Page::Feed,
    }
}

#[component]
fn App() -> impl IntoView {
    let sign = RwSignal::new(Sign::Checking);
    spawn_local(async move { sign.set(start().await) });
    move || match sign.get() {
        Sign::Checking => view! { <p class="status" role="status">"Signing in…"</p> }.into_any(),
        Sign::Out(why) => view! { <SignedOut why=why/> }.into_any(),
        Sign::In(session) => view! { <Shell session=session sign=sign/> }.into_any(),
    }
}

#[component]
fn SignedOut(why: Option<String>) -> impl IntoView {
    view! {
        <section class="signed-out" aria-labelledby="signed-out-title">
            <h1 id="signed-out-title">"Cairn console"</h1>
            {why.map(|w| view! { <p class="error" role="alert">{w}</p> })}
            <p>
                "Sign in with the link your project's owner sent you. Links work once, for 24 hours; "
                "an owner (or the project's secret key) can send a new one."
            </p>
        </section>
    }
}

#[component]
fn Shell(session: ConsoleSession, sign: RwSignal<Sign>) -> impl IntoView {
    let page = RwSignal::new(page_of_hash());
    let listener = window_event_listener(leptos::ev::hashchange, move |_| page.set(page_of_hash()));
    on_cleanup(move || listener.remove());
    let sign_out = move |_| {
        spawn_local(async move {
            let _ = api::call_empty("DELETE", "/v1/console/session").await;
            sign.set(Sign::Out(None));
        });
    };
    let role = session.role;
    let current = move |p: Page| if page.get() == p { Some("page") } else { None };
    view! {
        <header class="bar">
            <span class="brand">"Cairn"</span>
            <span class="project">{session.project_name.clone()}</span>
            <nav aria-label="Console">
                <a href="#feed" aria-current=move || current(Page::Feed)>"Milestones"</a>
                <a href="#case-studies" aria-current=move || current(Page::CaseStudies)>"Case studies"</a>
                <a href="#impact" aria-current=move || current(Page::Impact)>"Impact"</a>
                <a href="#ladder" aria-current=move || current(Page::Ladder)>"Ladder"</a>
                <a href="#definitions" aria-current=move || current(Page::Definitions)>"Definitions"</a>
            </nav>
            <span class="who">{session.email} " · " {role.as_str()}</span>
            <button type="button" class="quiet" on:click=sign_out>"Sign out"</button>
        </header>
        <main>
            {move || match page.get() {
                Page::Feed => view! { <Feed role=role/> }.into_any(),
                Page::CaseStudies => view! { <CaseStudiesPage role=role/> }.into_any(),
                Page::Impact => view! { <Impact/> }.into_any(),
                Page::Ladder => view! { <LadderPage/> }.into_any(),
                Page::Definitions => view! { <DefinitionsPage role=role/> }.into_any(),
            }}
        </main>
    }
}

/// A select filter bound to one field of the filters.
fn select(
    label: &'static str,
    options: &'static [(&'static str, &'static str)],
    filters: RwSignal<FeedFilters>,
    field: fn(&mut FeedFilters) -> &mut String,
) -> impl IntoView {
    let id = format!("filter-{}", label.to_lowercase());
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id on:change=move |ev| {
                let value = event_target_value(&ev);
                filters.update(|f| *field(f) = value);
            }>
                {options
                    .iter()
                    .map(|(value, text)| view! { <option value=*value>{*text}</option> })
                    .collect_view()}
            </select>
        </div>
    }
}

/// A text filter bound to one field, applied on change (not on every key).
fn text_filter(
    label: &'static str,
    kind: &'static str,
    filters: RwSignal<FeedFilters>,
    field: fn(&mut FeedFilters) -> &mut String,
) -> impl IntoView {
    let id = format!("filter-{}", label.to_lowercase());
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type=kind on:change=move |ev| {
                let value = event_target_value(&ev);
                filters.update(|f| *field(f) = value);
            }/>
        </div>
    }
}

#[component]
fn Feed(role: Role) -> impl IntoView {
    let filters = RwSignal::new(FeedFilters::default());
    let items = RwSignal::new(Vec::<FeedItem>::new());
    let error = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let reload = move || {
        let q = filters.get_untracked().query(100);
        spawn_local(async move {
            match api::call::<FeedPage>("GET", &format!("/v1/console/feed?{q}"), None).await {
                Ok(page) => {
                    items.set(page.items);
                    error.set(None);
                }
                Err(e) => error.set(Some(e.message)),
            }
            loaded.set(true);
        });
    };
    Effect::new(move |_| {
        filters.track();
        reload();
    });
    // Live: new milestones appear within 10 seconds while the page is visible.
    let live = set_interval_with_handle(
        move || {
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                reload();
            }
        },
        Duration::from_secs(10),
    )
    .ok();
    on_cleanup(move || {
        if let Some(h) = live {
            h.clear();
        }
    });
    let can = model::can_celebrate(role);
    view! {
        <h1>"Milestones"</h1>
        <p class="lede">
            "Every user and account milestone, newest first, with the customer's context. "
            {if can {
                "Record how you celebrated one: it goes to the ledger exactly as Slack's button does."
            } else {
                "Viewers read; a CSM or an owner records celebrations."
            }}
        </p>
        <form class="filters" aria-label="Filters" on:submit=|ev| ev.prevent_default()>
            {select("Who", &[("", "Users and accounts"), ("user", "Users"), ("account", "Accounts")], filters, |f| &mut f.scope)}
            {select("Tier", &[("", "Any tier"), ("early", "Early"), ("mid", "Mid"), ("advanced", "Advanced")], filters, |f| &mut f.tier)}
            {select("Kind", &[("", "Any kind"), ("count", "Count"), ("value", "Value"), ("streak", "Streak"), ("adoption", "Adoption"), ("anniversary", "Anniversary"), ("team", "Team"), ("custom", "Custom")], filters, |f| &mut f.kind)}
            {select("Celebrated", &[("", "Either"), ("false", "Not yet"), ("true", "Celebrated")], filters, |f| &mut f.celebrated)}
            {text_filter("Account", "text", filters, |f| &mut f.account)}
            {text_filter("CSM", "text", filters, |f| &mut f.csm)}
            {text_filter("From", "date", filters, |f| &mut f.since)}
            {text_filter("To", "date", filters, |f| &mut f.until)}
        </form>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <table class="feed">
            <caption class="sr-only">"Milestones, newest first"</caption>
            <thead>
                <tr>
                    <th scope="col">"Milestone"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col">"Customer"</th>
                    <th scope="col">"Reached"</th>
                    <th scope="col">"Seen in app"</th>
                    <th scope="col">"Celebration"</th>
                </tr>
            </thead>
            <For
                each=move || items.get()
                key=|item| (item.milestone.id.clone(), item.milestone.celebrated)
                children=move |item| view! { <Row item=item can=can reload=Callback::new(move |()| reload())/> }
            />
        </table>
        <Show when=move || loaded.get() && items.with(Vec::is_empty)>
            <p class="empty">"No milestone matches yet. They appear here as your users reach them."</p>
        </Show>
    }
}

#[component]
fn Row(item: FeedItem, can: bool, reload: Callback<()>) -> impl IntoView {
    let m = item.milestone.clone();
    let open = RwSignal::new(false);
    let id = m.id.clone();
    let who = format!("{} {}", m.subject_type, m.subject_id);
    let customer = item.account.as_ref().map(|a| {
        let name = a.name.clone().unwrap_or_else(|| a.account_id.clone());
        let arr = model::money(a.arr, a.currency.as_deref());
        let health = a
            .health_score
            .map_or_else(|| "–".to_owned(), |h| format!("{h:.0}"));
        let since = item
            .days_as_customer
            .map_or_else(String::new, |d| format!(" · customer for {d} days"));
        let csm = a
            .csm_name
            .clone()
            .map_or_else(String::new, |c| format!(" · CSM {c}"));
        format!("{name} · ARR {arr} · health {health}{since}{csm}")
    });
    let seen = m
        .seen_at
        .as_deref()
        .map_or_else(|| "Not yet".to_owned(), |s| model::date(s).to_owned());
    let celebration = if m.celebrated {
        let how = m.celebration_type.clone().unwrap_or_default();
        let by = m.celebrated_by.clone().unwrap_or_default();
        Some(format!("{how} · {by}"))
    } else {
        None
    };
    let done = celebration.is_some();
    let name = m.milestone_name.clone();
    // The accessible name starts with the visible text (WCAG 2.5.3), then says which row.
    let label = format!("Mark celebrated: {} ({})", m.milestone_name, who);
    view! {
        <tbody>
            <tr>
                <td>
                    <strong>{m.milestone_name.clone()}</strong>
                    <span class="meta">{format!("{} · {}", m.tier, m.kind)}</span>
                    {m.holdout.then(|| view! {
                        <span class="tag" title="In the holdout: not celebrated in the app, and compared on the Impact page as uncelebrated. A celebration recorded here is kept in the ledger but does not move it out of the holdout.">"holdout"</span>
                    })}
                </td>
                <td>{who}</td>
                <td>{customer.unwrap_or_else(|| "–".to_owned())}</td>
                <td><time datetime=m.achieved_at>{model::date(&m.achieved_at).to_owned()}</time></td>
                <td>{seen}</td>
                <td>
                    {celebration.map(|c| view! { <span class="celebrated">{c}</span> })}
                    {(!done).then(|| view! {
                        <button
                            type="button"
                            aria-expanded=move || open.get().to_string()
                            aria-label=label.clone()
                            disabled=!can
                            on:click=move |_| open.update(|o| *o = !*o)
                        >
                            "Mark celebrated"
                        </button>
                    })}
                </td>
            </tr>
            <Show when=move || open.get()>
                <tr class="detail">
                    <td colspan="6">
                        <Celebrate id=id.clone() name=name.clone() reload=reload/>
                    </td>
                </tr>
            </Show>
        </tbody>
    }
}

/// The form that records a celebration, with the suggested ways and templates beside it.
#[component]
fn Celebrate(id: String, name: String, reload: Callback<()>) -> impl IntoView {
    let kind = RwSignal::new("email".to_owned());
    let notes = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let suggestions = RwSignal::new(None::<Suggestions>);
    {
        let id = id.clone();
        spawn_local(async move {
            if let Ok(s) =
                api::call::<Suggestions>("GET", &format!("/v1/milestones/{id}/suggestions"), None)
                    .await
            {
                suggestions.set(Some(s));
            }
        });
    }
    let how_id = format!("how-{id}");
    let notes_id = format!("notes-{id}");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = id.clone();
        let mut body = serde_json::json!({ "celebration_type": kind.get_untracked() });
        let n = notes.get_untracked();
        if !n.trim().is_empty() {
            body["notes"] = n.into();
        }
        spawn_local(async move {
            match api::call::<serde_json::Value>(
                "POST",
                &format!("/v1/milestones/{id}/celebrated"),
                Some(&body.to_string()),
            )
            .await
            {
                Ok(_) => reload.run(()),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <form class="celebrate" on:submit=submit aria-label=format!("Celebrate {name}")>
            <div class="field">
                <label for=how_id.clone()>"How"</label>
                <select id=how_id on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="email">"Email"</option>
                    <option value="call">"Call"</option>
                    <option value="gift">"Gift"</option>
                    <option value="social_shoutout">"Social shout-out"</option>
                    <option value="case_study">"Case study"</option>
                    <option value="other">"Other"</option>
                </select>
            </div>
            <div class="field">
                <label for=notes_id.clone()>"Notes"</label>
                <textarea id=notes_id rows="2" maxlength="4096" on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
            </div>
            <button type="submit">"Record"</button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </form>
        {move || suggestions.get().map(|s| view! {
            <div class="suggestions">
                <h2>"Suggested recognition"</h2>
                <ul>
                    {s.suggestions.iter().map(|x| view! { <li>{x.text.clone()}</li> }).collect_view()}
                </ul>
                <details>
                    <summary>"Congratulations email"</summary>
                    <p><strong>{s.email.subject.clone()}</strong></p>
                    <pre>{s.email.body.clone()}</pre>
                </details>
                <details>
                    <summary>"Asking to celebrate them in public"</summary>
                    <p><strong>{s.social_permission.subject.clone()}</strong></p>
                    <pre>{s.social_permission.body}</pre>
                </details>
            </div>
        })}
    }
}

#[component]
fn Impact() -> impl IntoView {
    let report = RwSignal::new(None::<Result<ImpactResponse, String>>);
    spawn_local(async move {
        report.set(Some(
            api::call::<ImpactResponse>("GET", "/v1/analytics/impact", None)
                .await
                .map_err(|e| e.message),
        ));
    });
    view! {
        <h1>"Do celebrations retain users?"</h1>
        <div class="definitions">
            <p>
                "Each milestone reached live is either celebrated or, for the project's holdout group, "
                "recorded without a celebration. A user "
                <strong>"returned on day N"</strong>
                " when they performed any event on the N-th calendar day after the milestone's, in "
                "their time zone (PostHog's definition of retention)."
            </p>
            <p>
                "The difference is celebrated minus holdout, with its 95 % confidence interval (two "
                "proportions, normal approximation). The minimum detectable effect is the smallest "
                "difference these sample sizes detect with 80 % power at the 5 % level. Fixed horizon: "
                "a milestone counts for day N only once day N has passed for it, and the numbers are "
                "never read early on a good day. Imported history is not compared."
            </p>
        </div>
        {move || match report.get() {
            None => view! { <p class="status" role="status">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(r)) if r.milestones.is_empty() => view! {
                <p class="empty">
                    "Nothing to compare yet: the comparison starts with the first milestones reached "
                    "live by users in a project with a holdout (" <code>"[holdout] percent"</code>
                    " in cairn.toml)."
                </p>
            }.into_any(),
            Some(Ok(r)) => {
                let engagement = r.milestones.clone();
                view! {
                    {r.milestones
                        .into_iter()
                        .map(|m| view! { <MilestoneReport m=m/> })
                        .collect_view()}
                    <Engagement milestones=engagement/>
                }
                .into_any()
            }
        }}
        <Progress/>
    }
}

/// A bar chart (an image with its title) for `bars` in a plot `width` wide.
fn chart(title_id: String, title: String, bars: Vec<model::Bar>, width: f64) -> impl IntoView {
    let labelled_by = title_id.clone();
    view! {
        <svg class="chart" role="img" aria-labelledby=labelled_by viewBox=format!("0 -4 {width} 124") preserveAspectRatio="xMinYMin meet">
            <title id=title_id>{title}</title>
            {bars.into_iter().map(|b| view! {
                <rect class=b.arm x=b.x.to_string() y=(100.0 - b.height).to_string() width=model::BAR_WIDTH.to_string() height=b.height.to_string()></rect>
                <text x=(b.x + model::BAR_WIDTH / 2.0).to_string() y="114" text-anchor="middle">{b.label}</text>
            }).collect_view()}
        </svg>
    }
}

/// One bar per value ([`model::simple_bars`]), as [`chart`] draws them.
fn simple_chart(title_id: &str, title: String, values: &[(String, f64)]) -> impl IntoView + use<> {
    chart(
        title_id.to_owned(),
        title,
        model::simple_bars(values),
        model::simple_width(values),
    )
}

/// Time to first milestone by signup week, and progression through tiers.
#[component]
fn Progress() -> impl IntoView {
    let report = RwSignal::new(None::<Result<ProgressResponse, String>>);
    spawn_local(async move {
        report.set(Some(
            api::call::<ProgressResponse>("GET", "/v1/analytics/progress", None)
                .await
                .map_err(|e| e.message),
        ));
    });
    move || match report.get() {
        None => view! { <p class="status" role="status">"Loading…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
        Some(Ok(p)) => {
            let weeks: Vec<(String, f64)> = p
                .time_to_first
                .iter()
                .map(|w| {
                    (
                        model::date(&w.signup_week)
                            .get(5..)
                            .unwrap_or_default()
                            .to_owned(),
                        w.p50_hours as f64,
                    )
                })
                .collect();
            let week_title = format!(
                "Median hours to the first milestone by signup week: {}",
                p.time_to_first
                    .iter()
                    .map(|w| format!("{} {}", w.signup_week, model::hours(w.p50_hours)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let tiers: Vec<(String, f64)> = p
                .tiers
                .iter()
                .map(|t| (t.tier.clone(), t.users as f64))
                .collect();
            let tier_title = format!(
                "Users reaching each tier, of {} with a milestone: {}",
                p.users,
                p.tiers
                    .iter()
                    .map(|t| format!("{} {}", t.tier, t.users))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            view! {
                <section class="impact" aria-labelledby="ttfm-title">
                    <h2 id="ttfm-title">"Time to first milestone"</h2>
                    <p class="meta">"From a user's first event to their first milestone reached live, by the week they started (UTC): nearest-rank median, 75th and 90th percentiles, in whole hours."</p>
                    <div class="chart-and-table">
                        {simple_chart("ttfm-chart", week_title, &weeks)}
                        <table class="numbers">
                            <caption>"Time to first milestone: the numbers"</caption>
                            <thead><tr>
                                <th scope="col">"Signup week"</th><th scope="col">"Users"</th>
                                <th scope="col">"Median"</th><th scope="col">"p75"</th><th scope="col">"p90"</th>
                            </tr></thead>
                            <tbody>
                                {p.time_to_first.iter().map(|w| view! {
                                    <tr>
                                        <th scope="row">{w.signup_week.clone()}</th>
                                        <td>{w.users}</td>
                                        <td>{model::hours(w.p50_hours)}</td>
                                        <td>{model::hours(w.p75_hours)}</td>
                                        <td>{model::hours(w.p90_hours)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </section>
                <section class="impact" aria-labelledby="tiers-title">
                    <h2 id="tiers-title">"Progression through tiers"</h2>
                    <p class="meta">{format!("Of the {} users with a milestone, how many reached each tier (history included).", p.users)}</p>
                    <div class="chart-and-table">
                        {simple_chart("tiers-chart", tier_title, &tiers)}
                        <table class="numbers">
                            <caption>"Progression through tiers: the numbers"</caption>
                            <thead><tr><th scope="col">"Tier"</th><th scope="col">"Users"</th><th scope="col">"Share"</th></tr></thead>
                            <tbody>
                                {p.tiers.iter().map(|t| view! {
                                    <tr><th scope="row">{t.tier.clone()}</th><td>{t.users}</td><td>{model::percent(t.share)}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </section>
                {(!p.funnel.is_empty()).then(|| funnel(&p.funnel))}
            }
            .into_any()
        }
    }
}

/// Calls to action per tier and milestone, and sharing per milestone.
#[component]
fn Engagement(milestones: Vec<MilestoneImpact>) -> impl IntoView {
    let rows: Vec<MilestoneImpact> = milestones
        .into_iter()
        .filter(|m| m.cta.is_some() || m.shares.is_some())
        .collect();
    let tiers = model::cta_by_tier(&rows);
    let bars: Vec<(String, f64)> = tiers
        .iter()
        .map(|(t, c)| (t.clone(), c.click_through.unwrap_or(0.0)))
        .collect();
    let title = format!(
        "Call-to-action click-through by tier: {}",
        tiers
            .iter()
            .map(|(t, c)| format!("{t} {}", model::percent(c.click_through)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    view! {
        <section class="impact" aria-labelledby="cta-title">
            <h2 id="cta-title">"Calls to action and sharing"</h2>
            <p class="meta">
                "Click-through: of the awards whose call to action the widget showed, the share whose "
                "call to action was followed (each once per award). Share rate: badges made public over "
                "celebrated awards; visits count a visitor once a day per page; signups are new users who "
                "came from a badge's page."
            </p>
            <div class="chart-and-table">
                {simple_chart("cta-chart", title, &bars)}
                <table class="numbers">
                    <caption>"Click-through by tier: the numbers"</caption>
                    <thead><tr><th scope="col">"Tier"</th><th scope="col">"Shown"</th><th scope="col">"Clicked"</th><th scope="col">"Click-through"</th></tr></thead>
                    <tbody>
                        {tiers.iter().map(|(t, c)| view! {
                            <tr><th scope="row">{t.clone()}</th><td>{c.views}</td><td>{c.clicks}</td><td>{model::percent(c.click_through)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <table class="numbers wide">
                <caption>"Per milestone"</caption>
                <thead><tr>
                    <th scope="col">"Milestone"</th><th scope="col">"Tier"</th>
                    <th scope="col">"CTA shown"</th><th scope="col">"Clicked"</th><th scope="col">"Click-through"</th>
                    <th scope="col">"Celebrated"</th><th scope="col">"Shared"</th><th scope="col">"Share rate"</th>
                    <th scope="col">"Visits"</th><th scope="col">"Signups"</th><th scope="col">"Visit → signup"</th>
                </tr></thead>
                <tbody>
                    {rows.iter().map(|m| {
                        let c = m.cta.unwrap_or(cairn_wire::CtaStats { views: 0, clicks: 0, click_through: None });
                        let s = m.shares.clone();
                        view! {
                            <tr>
                                <th scope="row">{m.milestone_name.clone()}</th>
                                <td>{m.tier.clone()}</td>
                                <td>{c.views}</td><td>{c.clicks}</td><td>{model::percent(c.click_through)}</td>
                                <td>{s.as_ref().map_or(0, |s| s.celebrated)}</td>
                                <td>{s.as_ref().map_or(0, |s| s.funnel.shares)}</td>
                                <td>{model::percent(s.as_ref().and_then(|s| s.share_rate))}</td>
                                <td>{s.as_ref().map_or(0, |s| s.funnel.visits)}</td>
                                <td>{s.as_ref().map_or(0, |s| s.funnel.signups)}</td>
                                <td>{model::percent(s.as_ref().and_then(|s| s.funnel.conversion_rate))}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// The setup → activation → habit funnel.
fn funnel(steps: &[cairn_wire::FunnelStep]) -> impl IntoView + use<> {
    let bars: Vec<(String, f64)> = steps
        .iter()
        .map(|s| (s.step.clone(), s.users as f64))
        .collect();
    let title = format!(
        "Users at each step of the funnel: {}",
        steps
            .iter()
            .map(|s| format!("{} {}", s.step, s.users))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let steps = steps.to_vec();
    view! {
        <section class="impact" aria-labelledby="funnel-title">
            <h2 id="funnel-title">"Setup → activation → habit"</h2>
            <p class="meta">
                "Started: users who sent any event. Each stage: users who reached at least one milestone "
                "marked with that " <code>"stage"</code> " in cairn.toml. Not there yet: users of the step "
                "before who have not reached this one (stalled, or still on their way)."
            </p>
            <div class="chart-and-table">
                {simple_chart("funnel-chart", title, &bars)}
                <table class="numbers">
                    <caption>"The funnel: the numbers"</caption>
                    <thead><tr><th scope="col">"Step"</th><th scope="col">"Users"</th><th scope="col">"From the step before"</th><th scope="col">"Not there yet"</th></tr></thead>
                    <tbody>
                        {steps.iter().map(|s| view! {
                            <tr><th scope="row">{s.step.clone()}</th><td>{s.users}</td><td>{model::percent(s.conversion)}</td><td>{s.stalled}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// Ladder tuning: a metric's distribution and a simulation of other thresholds.
#[component]
fn LadderPage() -> impl IntoView {
    let metric = RwSignal::new(String::new());
    let thresholds = RwSignal::new(String::new());
    let report = RwSignal::new(None::<Result<LadderResponse, String>>);
    let load = move |first: bool| {
        let path = model::ladder_query(&metric.get_untracked(), &thresholds.get_untracked());
        let path = if first {
            "/v1/analytics/ladder".to_owned()
        } else {
            path
        };
        spawn_local(async move {
            let r = api::call::<LadderResponse>("GET", &path, None)
                .await
                .map_err(|e| e.message);
            if let Ok(r) = &r {
                metric.set(r.metric.clone());
                if thresholds.get_untracked().is_empty() {
                    thresholds.set(
                        r.simulated
                            .iter()
                            .map(|s| s.threshold.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                }
            }
            report.set(Some(r));
        });
    };
    load(true);
    let simulate = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        load(false);
    };
    view! {
        <h1>"Tune the ladder"</h1>
        <div class="definitions">
            <p>
                "From the recorded history: how far users' totals on a metric go, how many days after "
                "their first event they get there, and how many users other thresholds would have "
                "reached. Totals are counted on a grid (1–9, then 10, 12, 15, 20, 25, 30, 40, 50, 60, "
                "70, 80, 90 in each decade): a threshold on it is exact, one between two of its values "
                "gets the two bounds."
            </p>
        </div>
        <form class="filters" on:submit=simulate>
            <label>"Metric "
                <select
                    prop:value=move || metric.get()
                    on:change=move |e| {
                        metric.set(event_target_value(&e));
                        thresholds.set(String::new());
                        load(false);
                    }
                >
                    {move || report.get().and_then(Result::ok).map(|r| r.metrics.iter().map(|m| view! {
                        <option value=m.clone() selected=*m == r.metric>{m.clone()}</option>
                    }).collect_view())}
                </select>
            </label>
            <label>"Thresholds "
                <input
                    type="text"
                    name="thresholds"
                    inputmode="numeric"
                    prop:value=move || thresholds.get()
                    on:input=move |e| thresholds.set(event_target_value(&e))
                />
            </label>
            <button type="submit">"Simulate"</button>
        </form>
        {move || match report.get() {
            None => view! { <p class="status" role="status">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(r)) => view! { <LadderReport r=r thresholds=thresholds/> }.into_any(),
        }}
    }
}

#[component]
fn LadderReport(r: LadderResponse, thresholds: RwSignal<String>) -> impl IntoView {
    let bars: Vec<(String, f64)> = r
        .rungs
        .iter()
        .map(|x| (x.value.to_string(), x.reached as f64))
        .collect();
    let title = format!(
        "Users whose {} total reached each value, of {}: {}",
        r.metric_name,
        r.users,
        r.rungs
            .iter()
            .map(|x| format!("{} {}", x.value, x.reached))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let suggested = r
        .suggested
        .iter()
        .map(|s| s.threshold.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let current = r
        .current
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <section class="impact" aria-labelledby="sim-title">
            <h2 id="sim-title">{format!("{} users with {}", r.users, r.metric_name)}</h2>
            <p class="meta">{format!("Live thresholds: {}", if current.is_empty() { "none".to_owned() } else { current })}</p>
            <table class="numbers" id="simulation">
                <caption>"These thresholds, as the history says they would have gone"</caption>
                <thead><tr><th scope="col">"Threshold"</th><th scope="col">"Users who would have reached it"</th><th scope="col">"Days to reach it"</th></tr></thead>
                <tbody>
                    {r.simulated.iter().map(|s| view! {
                        <tr><th scope="row">{s.threshold}</th><td>{model::reached_words(s)}</td><td>{model::days_words(s.days_p50, s.days_p90)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p>
                "Suggested: " <strong class="suggested">{suggested.clone()}</strong> ". " {r.suggestion_rule.clone()} " "
                <button type="button" class="quiet" on:click=move |_| thresholds.set(suggested.clone())>"Use these"</button>
            </p>
        </section>
        <section class="impact" aria-labelledby="dist-title">
            <h2 id="dist-title">"The distribution"</h2>
            <div class="chart-and-table">
                {simple_chart("ladder-chart", title, &bars)}
                <table class="numbers">
                    <caption>"Totals and days: the numbers"</caption>
                    <thead><tr>
                        <th scope="col">"Total"</th><th scope="col">"Reached"</th><th scope="col">"Share"</th>
                        <th scope="col">"Stopped there"</th><th scope="col">"Days to reach"</th>
                    </tr></thead>
                    <tbody>
                        {r.rungs.iter().filter(|x| x.reached > 0).map(|x| view! {
                            <tr>
                                <th scope="row">{x.value}</th><td>{x.reached}</td><td>{model::percent(Some(x.share))}</td>
                                <td>{x.at_total}</td><td>{model::days_words(x.days_p50, x.days_p90)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn MilestoneReport(m: MilestoneImpact) -> impl IntoView {
    let slug: String = m
        .milestone_key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let title_id = format!("chart-{slug}");
    let chart_labelled_by = title_id.clone();
    let heading_id = format!("impact-{slug}");
    let section_labelled_by = heading_id.clone();
    let bars = model::bars(&m.retention);
    let width = model::chart_width(m.retention.len());
    let chart_title = format!(
        "Retention of celebrated and holdout users after {}: {}",
        m.milestone_name,
        m.retention
            .iter()
            .map(|c| format!(
                "day {} {} against {}",
                c.day,
                model::percent(c.celebrated.rate),
                model::percent(c.holdout.rate)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    view! {
        <section class="impact" aria-labelledby=section_labelled_by>
            <h2 id=heading_id>
                {m.milestone_name.clone()}
                {(!m.tier.is_empty()).then(|| view! { <span class="meta">{m.tier.clone()}</span> })}
            </h2>
            <ul class="verdicts">
                {m.retention.iter().map(|c| view! { <li>{model::verdict_words(c)}</li> }).collect_view()}
                {m.conversion.as_ref().map(|c| view! { <li>{model::conversion_words(c)}</li> })}
            </ul>
            <div class="chart-and-table">
                <svg
                    class="chart"
                    role="img"
                    aria-labelledby=chart_labelled_by
                    viewBox=format!("0 -4 {width} 124")
                    preserveAspectRatio="xMinYMin meet"
                >
                    <title id=title_id>{chart_title}</title>
                    {bars
                        .into_iter()
                        .map(|b| view! {
                            <rect
                                class=b.arm
                                x=b.x.to_string()
                                y=(100.0 - b.height).to_string()
                                width=model::BAR_WIDTH.to_string()
                                height=b.height.to_string()
                            ></rect>
                        })
                        .collect_view()}
                    {m.retention.iter().enumerate().map(|(i, c)| view! {
                        <text
                            x=(i as f64 * (2.0 * model::BAR_WIDTH + model::GROUP_GAP) + model::GROUP_GAP / 2.0 + model::BAR_WIDTH).to_string()
                            y="114"
                            text-anchor="middle"
                        >
                            {format!("D{}", c.day)}
                        </text>
                    }).collect_view()}
                </svg>
                <p class="legend" aria-hidden="true">
                    <span class="swatch celebrated"></span>"Celebrated"
                    <span class="swatch holdout"></span>"Holdout"
                </p>
                <table class="numbers">
                    <caption>{format!("{}: the numbers", m.milestone_name)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Day"</th>
                            <th scope="col">"Celebrated users"</th>
                            <th scope="col">"Returned"</th>
                            <th scope="col">"Holdout users"</th>
                            <th scope="col">"Returned"</th>
                            <th scope="col">"Difference"</th>
                            <th scope="col">"95 % interval"</th>
                            <th scope="col">"Detectable"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {m.retention.iter().map(|c| view! {
                            <tr>
                                <th scope="row">{format!("D{}", c.day)}</th>
                                <td>{c.celebrated.users}</td>
                                <td>{model::percent(c.celebrated.rate)}</td>
                                <td>{c.holdout.users}</td>
                                <td>{model::percent(c.holdout.rate)}</td>
                                <td>{model::points(c.difference)}</td>
                                <td>{model::interval(c)}</td>
                                <td>{model::points(c.mde).trim_start_matches('+').to_owned()}</td>
                            </tr>
                        }).collect_view()}
                        {m.conversion.as_ref().map(|c| view! {
                            <tr>
                                <th scope="row">{format!("Converted ≤ {} d", c.day)}</th>
                                <td>{c.celebrated.users}</td>
                                <td>{model::percent(c.celebrated.rate)}</td>
                                <td>{c.holdout.users}</td>
                                <td>{model::percent(c.holdout.rate)}</td>
                                <td>{model::points(c.difference)}</td>
                                <td>{model::interval(c)}</td>
                                <td>{model::points(c.mde).trim_start_matches('+').to_owned()}</td>
                            </tr>
                        })}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn CaseStudiesPage(role: Role) -> impl IntoView {
    let list = RwSignal::new(None::<Result<Vec<CaseStudyCandidate>, String>>);
    let reload = move || {
        spawn_local(async move {
            list.set(Some(
                api::call::<CaseStudies>("GET", "/v1/console/case-studies", None)
                    .await
                    .map(|c| c.candidates)
                    .map_err(|e| e.message),
            ));
        });
    };
    reload();
    let can = model::can_celebrate(role);
    view! {
        <h1>"Case-study candidates"</h1>
        <p class="lede">
            "Accounts ranked by what they reached and what they are worth: "
            <code>"10 × advanced milestones + 3 × mid + 5 × log10(1 + ARR / 1,000) + health / 10"</code>
            " (the account's milestones and its users'). Declined accounts come last."
        </p>
        <p><a class="button-link" href="/v1/console/case-studies?format=csv" download="case-study-candidates.csv">"Export CSV"</a></p>
        {move || match list.get() {
            None => view! { <p class="status" role="status">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(c)) if c.is_empty() => view! {
                <p class="empty">"No account has reached a milestone yet."</p>
            }.into_any(),
            Some(Ok(c)) => view! {
                <table class="candidates">
                    <caption class="sr-only">"Case-study candidates, best first"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"#"</th>
                            <th scope="col">"Account"</th>
                            <th scope="col">"Milestones"</th>
                            <th scope="col">"ARR"</th>
                            <th scope="col">"Health"</th>
                            <th scope="col">"Score"</th>
                            <th scope="col">"Case study"</th>
                        </tr>
                    </thead>
                    {c.into_iter().enumerate().map(|(i, c)| view! {
                        <Candidate rank=i + 1 c=c can=can reload=Callback::new(move |()| reload())/>
                    }).collect_view()}
                </table>
            }.into_any(),
        }}
    }
}

#[component]
fn Candidate(rank: usize, c: CaseStudyCandidate, can: bool, reload: Callback<()>) -> impl IntoView {
    let account = c.account.account_id.clone();
    let name = c.account.name.clone().unwrap_or_else(|| account.clone());
    let history = RwSignal::new(None::<Vec<FeedItem>>);
    let error = RwSignal::new(None::<String>);
    let status_id = format!("status-{account}");
    let load_history = {
        let account = account.clone();
        move |_| {
            if history.get_untracked().is_some() {
                return;
            }
            let q = format!("account={}&limit=20", model::encode(&account));
            spawn_local(async move {
                if let Ok(p) =
                    api::call::<FeedPage>("GET", &format!("/v1/console/feed?{q}"), None).await
                {
                    history.set(Some(p.items));
                }
            });
        }
    };
    let set_status = {
        move |ev: leptos::ev::Event| {
            let status = event_target_value(&ev);
            if status.is_empty() {
                return;
            }
            let account = account.clone();
            spawn_local(async move {
                let body = serde_json::json!({ "status": status }).to_string();
                let path = format!("/v1/console/case-studies/{}", model::encode(&account));
                match api::call::<CaseStudyCandidate>("PUT", &path, Some(&body)).await {
                    Ok(_) => reload.run(()),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        }
    };
    let status = c.status.map_or("", |s| s.as_str());
    let csm = c
        .account
        .csm_name
        .clone()
        .map_or_else(String::new, |n| format!("CSM {n}"));
    view! {
        <tbody>
            <tr>
                <td>{rank}</td>
                <td>
                    <strong>{name.clone()}</strong>
                    <span class="meta">{csm}</span>
                    <details on:toggle=load_history>
                        <summary>"Milestone history"</summary>
                        {move || history.get().map(|h| view! {
                            <ul class="history">
                                {h.into_iter().map(|i| view! {
                                    <li>
                                        {model::date(&i.milestone.achieved_at).to_owned()} " · "
                                        {i.milestone.milestone_name.clone()} " · "
                                        {format!("{} {}", i.milestone.subject_type, i.milestone.subject_id)}
                                    </li>
                                }).collect_view()}
                            </ul>
                        })}
                    </details>
                </td>
                <td>{format!("{} advanced · {} mid · {} in all", c.advanced, c.mid, c.total)}</td>
                <td>{model::money(c.account.arr, c.account.currency.as_deref())}</td>
                <td>{c.account.health_score.map_or_else(|| "–".to_owned(), |h| format!("{h:.0}"))}</td>
                <td>{format!("{:.1}", c.score)}</td>
                <td>
                    <label class="sr-only" for=status_id.clone()>{format!("Case study with {name}")}</label>
                    <select id=status_id disabled=!can on:change=set_status>
                        <option value="" selected=status.is_empty()>"Not asked"</option>
                        <option value="asked" selected=status == "asked">"Asked"</option>
                        <option value="agreed" selected=status == "agreed">"Agreed"</option>
                        <option value="declined" selected=status == "declined">"Declined"</option>
                    </select>
                    {c.status_by.map(|by| view! { <span class="meta">{by}</span> })}
                    {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                </td>
            </tr>
        </tbody>
    }
}

#[wasm_bindgen(module = "/src/validator.js")]
extern "C" {
    #[wasm_bindgen(js_name = loadValidator)]
    fn load_validator() -> js_sys::Promise;
}

/// Calls the validator module's `name(args…)`, which answers a string.
async fn validator_call(name: &str, args: &[&str]) -> Result<String, String> {
    let module = wasm_bindgen_futures::JsFuture::from(load_validator())
        .await
        .map_err(|e| format!("the validator did not load: {e:?}"))?;
    let f: js_sys::Function = js_sys::Reflect::get(&module, &JsValue::from_str(name))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| format!("the validator has no {name}"))?;
    let array = js_sys::Array::new();
    for a in args {
        array.push(&JsValue::from_str(a));
    }
    f.apply(&JsValue::NULL, &array)
        .map_err(|e| format!("{e:?}"))?
        .as_string()
        .ok_or_else(|| "the validator answered no text".to_owned())
}

/// What the validator said of the draft.
#[derive(Debug, Clone, PartialEq)]
enum Check {
    Pending,
    Valid { metrics: u64, milestones: u64 },
    Invalid(Vec<String>),
}

fn check_of(answer: &str) -> Check {
    let v: serde_json::Value = serde_json::from_str(answer).unwrap_or_default();
    if v["ok"] == true {
        return Check::Valid {
            metrics: v["metrics"].as_u64().unwrap_or(0),
            milestones: v["milestones"].as_u64().unwrap_or(0),
        };
    }
    Check::Invalid(
        v["problems"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let path = p["path"].as_str().unwrap_or_default();
                let message = p["message"].as_str().unwrap_or_default();
                if path.is_empty() {
                    message.to_owned()
                } else {
                    format!("{path}: {message}")
                }
            })
            .collect(),
    )
}

#[component]
fn DefinitionsPage(role: Role) -> impl IntoView {
    let owner = role == Role::Owner;
    let live = RwSignal::new(None::<(i64, String)>);
    let draft = RwSignal::new(String::new());
    let check = RwSignal::new(Check::Pending);
    let changes = RwSignal::new(None::<String>);
    let message = RwSignal::new(None::<String>);
    let versions = RwSignal::new(Vec::<serde_json::Value>::new());
    let load = move || {
        spawn_local(async move {
            if let Ok(d) = api::call::<serde_json::Value>("GET", "/v1/definitions", None).await {
                let text = d["source"].as_str().map(str::to_owned).unwrap_or_else(|| {
                    serde_json::to_string_pretty(&d["definitions"]).unwrap_or_default()
                });
                live.set(Some((d["version"].as_i64().unwrap_or(0), text.clone())));
                draft.set(text);
            }
            if let Ok(v) =
                api::call::<serde_json::Value>("GET", "/v1/definitions/versions", None).await
            {
                versions.set(v["versions"].as_array().cloned().unwrap_or_default());
            }
        });
    };
    load();
    // Live validation: the engine, in wasm, on every change of the draft.
    Effect::new(move |_| {
        let text = draft.get();
        if text.is_empty() {
            return;
        }
        spawn_local(async move {
            match validator_call("validate", &[&text]).await {
                Ok(answer) => {
                    // Only the latest draft's answer counts.
                    if draft.get_untracked() == text {
                        check.set(check_of(&answer));
                    }
                }
                Err(e) => check.set(Check::Invalid(vec![e])),
            }
        });
    });
    let show_changes = move |_| {
        let before = live.get_untracked().map(|(_, t)| t).unwrap_or_default();
        let after = draft.get_untracked();
        spawn_local(async move {
            let d = validator_call("diff", &[&before, &after])
                .await
                .unwrap_or_else(|e| e);
            changes.set(Some(if d.is_empty() {
                "No changes against the live version.".to_owned()
            } else {
                d
            }));
        });
    };
    let publish = move |_| {
        let text = draft.get_untracked();
        spawn_local(async move {
            let path = "/v1/definitions";
            match api::call_with::<serde_json::Value>("PUT", path, "application/toml", &text).await
            {
                Ok(v) => {
                    message.set(Some(format!("Published version {}.", v["version"])));
                    changes.set(None);
                    load();
                }
                Err(e) => message.set(Some(e.message)),
            }
        });
    };
    let rollback = move |version: i64| {
        spawn_local(async move {
            let body = serde_json::json!({ "version": version }).to_string();
            match api::call::<serde_json::Value>("POST", "/v1/definitions/rollback", Some(&body))
                .await
            {
                Ok(v) => {
                    message.set(Some(format!(
                        "Version {version} is live again, as version {}.",
                        v["version"]
                    )));
                    load();
                }
                Err(e) => message.set(Some(e.message)),
            }
        });
    };
    view! {
        <h1>"Definitions"</h1>
        <p class="lede">
            {move || live.get().map(|(v, _)| format!("The live cairn.toml is version {v}. "))}
            "Every change is checked as you type by the engine itself (compiled to WebAssembly): the messages are the server's. "
            {if owner { "Publishing makes a new version; any version can be made live again." } else { "Only an owner publishes." }}
        </p>
        <div class="field editor">
            <label for="definitions-text">"cairn.toml"</label>
            <textarea
                id="definitions-text"
                rows="24"
                spellcheck="false"
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
            ></textarea>
        </div>
        <div class="check" role="status" aria-live="polite">
            {move || match check.get() {
                Check::Pending => view! { <p class="status">"Checking…"</p> }.into_any(),
                Check::Valid { metrics, milestones } => view! {
                    <p class="valid">{format!("Valid: {metrics} metrics, {milestones} milestones.")}</p>
                }.into_any(),
                Check::Invalid(problems) => view! {
                    <div class="problems">
                        <p class="error">{format!("{} problem(s):", problems.len())}</p>
                        <ul>{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                    </div>
                }.into_any(),
            }}
        </div>
        <p class="actions">
            <button type="button" class="quiet" on:click=show_changes>"Show changes"</button>
            " "
            <button
                type="button"
                disabled=move || !owner || !matches!(check.get(), Check::Valid { .. })
                on:click=publish
            >
                "Publish"
            </button>
        </p>
        {move || message.get().map(|m| view! { <p class="message" role="alert">{m}</p> })}
        {move || changes.get().map(|c| view! { <pre class="diff" aria-label="Changes against the live version">{c}</pre> })}
        <h2>"Versions"</h2>
        <table class="versions">
            <thead><tr><th scope="col">"Version"</th><th scope="col">"Published"</th><th scope="col">"By"</th><th scope="col"></th></tr></thead>
            <tbody>
                {move || versions.get().into_iter().map(|v| {
                    let n = v["version"].as_i64().unwrap_or(0);
                    let is_live = v["live"] == true;
                    view! {
                        <tr>
                            <th scope="row">{n}{is_live.then_some(" (live)")}</th>
                            <td>{v["created_at"].as_str().unwrap_or_default().to_owned()}</td>
                            <td>{v["created_by"].as_str().unwrap_or("–").to_owned()}</td>
                            <td>
                                {(owner && !is_live).then(|| view! {
                                    <button type="button" class="quiet" on:click=move |_| rollback(n)>
                                        {format!("Make version {n} live again")}
                                    </button>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

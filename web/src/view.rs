//! The widget's Leptos components. Thin: they render the signals of [`Ui`]; decisions live in
//! [`crate::logic`] (tested natively) and the flow in [`crate::embed`].

use std::cell::RefCell;
use std::rc::Rc;

use cairn_core::definitions::{Badge, Cta};
use cairn_core::wire::{AwardView, LadderProgress, LockedMilestone};
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::api::Me;
use crate::convert::ToJs;
use crate::dom;
use crate::logic::{Countdown, ShareLinks, Strings, fill, toast_caption};

/// How long a toast stays when nobody hovers or focuses it, in milliseconds.
pub const TOAST_MS: f64 = 6_000.0;

/// How many toasts are on screen at most; the oldest leaves for a new one.
pub const MAX_TOASTS: usize = 3;

/// One badge toast on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    /// Local id, for keyed rendering and dismissal.
    pub id: u64,
    pub award: AwardView,
    /// The line under the title.
    pub caption: String,
}

/// The state every component renders: copyable signals, shared by the floating layer and the
/// inline placements.
#[derive(Clone, Copy)]
pub struct Ui {
    /// Built-in UI strings of the user's language.
    pub strings: RwSignal<&'static Strings>,
    /// Whether the user's language is written right to left (`dir="rtl"`). A `bool` rather
    /// than the attribute's text: the widget already pays for signals of `bool`.
    pub rtl: RwSignal<bool>,
    pub toasts: RwSignal<Vec<Toast>>,
    /// What the polite live region says last.
    pub announcement: RwSignal<String>,
    /// The user's awards and progress, from `GET /v1/client/me` (`None` until identified).
    pub me: RwSignal<Option<Me>>,
    pub shelf_open: RwSignal<bool>,
    /// The award whose share card is open.
    pub sharing: RwSignal<Option<AwardView>>,
    /// The link a share points to.
    pub share_url: RwSignal<String>,
    timers: StoredValue<Vec<(u64, Countdown)>>,
    next_id: StoredValue<u64>,
}

impl Ui {
    /// The `dir` attribute of the widget's roots.
    pub fn dir(&self) -> &'static str {
        if self.rtl.get() { "rtl" } else { "ltr" }
    }

    pub fn new(strings: &'static Strings, rtl: bool, share_url: String) -> Self {
        Self {
            strings: RwSignal::new(strings),
            rtl: RwSignal::new(rtl),
            toasts: RwSignal::new(Vec::new()),
            announcement: RwSignal::new(String::new()),
            me: RwSignal::new(None),
            shelf_open: RwSignal::new(false),
            sharing: RwSignal::new(None),
            share_url: RwSignal::new(share_url),
            timers: StoredValue::new(Vec::new()),
            next_id: StoredValue::new(0),
        }
    }

    /// One of the UI strings, following the language. Every call returns the same closure
    /// type, so the view code of a translated text or attribute is generated once, not once
    /// per use.
    pub fn tr(self, pick: fn(&Strings) -> &'static str) -> impl Fn() -> &'static str + Copy {
        let strings = self.strings;
        move || pick(strings.get())
    }

    /// Shows a toast for `award` and announces it to screen readers.
    pub fn toast(self, award: &AwardView) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let strings = self.strings.get_untracked();
        self.announcement
            .set(format!("{}: {}", strings.new_badge, award.title));
        let toast = Toast {
            id,
            award: award.clone(),
            caption: toast_caption(award, strings),
        };
        self.toasts.update(|ts| {
            if ts.len() == MAX_TOASTS {
                ts.remove(0);
            }
            ts.push(toast);
        });
        self.timers
            .update_value(|t| t.push((id, Countdown::start(TOAST_MS, dom::now()))));
        self.arm(id, TOAST_MS);
    }

    /// Removes toast `id`.
    pub fn dismiss(self, id: u64) {
        self.toasts.update(|ts| ts.retain(|t| t.id != id));
        self.timers.update_value(|t| t.retain(|(i, _)| *i != id));
    }

    /// Stops toast `id`'s countdown (pointer or focus on it).
    pub fn pause(self, id: u64) {
        self.timers.update_value(|t| {
            if let Some((_, c)) = t.iter_mut().find(|(i, _)| *i == id) {
                c.pause(dom::now());
            }
        });
    }

    /// Restarts toast `id`'s countdown with the time it had left.
    pub fn resume(self, id: u64) {
        let mut left = None;
        self.timers.update_value(|t| {
            if let Some((_, c)) = t.iter_mut().find(|(i, _)| *i == id) {
                left = Some(c.resume(dom::now()));
            }
        });
        if let Some(left) = left {
            self.arm(id, left);
        }
    }

    fn arm(self, id: u64, ms: f64) {
        set_timeout(
            move || {
                let expired = self.timers.with_value(|t| {
                    t.iter()
                        .find(|(i, _)| *i == id)
                        .is_some_and(|(_, c)| c.expired(dom::now() + 1.0))
                });
                if expired {
                    self.dismiss(id);
                }
            },
            std::time::Duration::from_millis(ms.max(0.0) as u64),
        );
    }

    /// The toast's call to action: tells the host (`cairn:cta`, cancelable) and follows the
    /// link unless the host handled it.
    fn follow(self, award: &AwardView, cta: &Cta, toast: u64) {
        let detail = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&detail, &"award".into(), &award.to_js());
        let _ = js_sys::Reflect::set(&detail, &"cta".into(), &cta.to_js());
        let proceed = dom::emit("cairn:cta", &detail);
        self.dismiss(toast);
        if let (true, Some(url)) = (proceed, cta.url.as_deref()) {
            let _ = dom::window().location().assign(url);
        }
    }
}

/// The floating layer: live region, toasts, the share card and the shelf dialog.
#[component]
pub fn Layer(ui: Ui) -> impl IntoView {
    let stack = NodeRef::<html::Section>::new();
    // The stack is a manual popover: in the top layer, above the host's own modals.
    Effect::new(move || {
        let any = ui.toasts.with(|t| !t.is_empty());
        if let Some(el) = stack.get() {
            let _ = el.hide_popover();
            if any {
                let _ = el.show_popover();
            }
        }
    });
    view! {
        <div class="layer" dir=move || ui.dir() lang=move || ui.strings.get().lang>
            <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">
                {move || ui.announcement.get()}
            </div>
            <section
                class="toasts"
                part="toasts"
                popover="manual"
                node_ref=stack
                aria-label=move || ui.strings.get().notifications
            >
                <For each=move || ui.toasts.get() key=|t| t.id let:toast>
                    <ToastCard ui=ui toast=toast />
                </For>
            </section>
            <ShareCard ui=ui />
            <ShelfDialog ui=ui />
        </div>
    }
}

#[component]
fn ToastCard(ui: Ui, toast: Toast) -> impl IntoView {
    let id = toast.id;
    let title_id = format!("cairn-toast-{id}");
    let labelled_by = title_id.clone();
    let award = toast.award;
    let cta = award.cta.clone().map(|cta| {
        let award = award.clone();
        let label = cta.label.clone();
        view! {
            <button class="cta" part="cta" type="button" on:click=move |_| ui.follow(&award, &cta, id)>
                {label}
            </button>
        }
    });
    let shared = award.clone();
    view! {
        <article
            class="toast"
            part="toast"
            data-toast-id=id
            data-tier=award.tier.clone()
            aria-labelledby=labelled_by
            on:mouseenter=move |_| ui.pause(id)
            on:mouseleave=move |_| ui.resume(id)
            on:focusin=move |_| ui.pause(id)
            on:focusout=move |_| ui.resume(id)
            on:keydown=move |e| {
                if e.key() == "Escape" {
                    ui.dismiss(id);
                }
            }
        >
            <BadgeArt badge=award.badge.clone() />
            <div class="text">
                <strong class="title" part="title" id=title_id>{award.title.clone()}</strong>
                <span class="caption" part="caption">{toast.caption}</span>
                <div class="actions">
                    {cta}
                    <button
                        class="share"
                        part="share-button"
                        type="button"
                        on:click=move |_| ui.sharing.set(Some(shared.clone()))
                    >
                        {ui.tr(|s| s.share)}
                    </button>
                </div>
            </div>
            <button
                class="dismiss"
                part="dismiss"
                type="button"
                aria-label=ui.tr(|s| s.dismiss)
                on:click=move |_| ui.dismiss(id)
            >
                "×"
            </button>
        </article>
    }
}

/// A glyph per built-in icon, drawn in the medal (from fonts every system has).
fn glyph(icon: Option<&str>) -> &'static str {
    match icon {
        Some("flame") => "✹",
        Some("rocket") => "➶",
        Some("star") => "✦",
        Some("users") => "☺",
        Some("cake") => "❀",
        Some("trophy") => "♛",
        _ => "★",
    }
}

/// Badge art: the custom image, or the built-in medal with the icon's glyph.
#[component]
pub fn BadgeArt(badge: Badge, #[prop(optional)] locked: bool) -> impl IntoView {
    match badge.image {
        Some(src) => view! {
            <img class="badge" class:locked=locked part="badge" src=src alt=badge.alt width="40" height="40" />
        }
        .into_any(),
        None => view! {
            <span class="badge" class:locked=locked part="badge" role="img" aria-label=badge.alt>
                <span class="glyph" aria-hidden="true">{glyph(badge.icon.as_deref())}</span>
            </span>
        }
        .into_any(),
    }
}

/// Opens `dialog` modally when `open` says so and closes it otherwise; gives focus back to
/// what had it when the dialog closes.
fn drive_dialog(dialog: NodeRef<html::Dialog>, open: impl Fn() -> bool + 'static) {
    let opener: Rc<RefCell<Option<web_sys::Element>>> = Rc::default();
    Effect::new(move || {
        let want = open();
        let Some(d) = dialog.get() else { return };
        if want && !d.open() {
            *opener.borrow_mut() = dom::deep_active_element();
            let _ = d.show_modal();
        } else if !want && d.open() {
            d.close();
            if let Some(el) = opener.borrow_mut().take() {
                let _ = dom::call_method(&el, "focus", &[]);
            }
        }
    });
}

/// Keeps Tab and Shift+Tab inside `dialog` (a modal dialog alone lets focus leave to the
/// browser's own controls and come back at the page's start).
fn trap_focus(dialog: NodeRef<html::Dialog>, e: &web_sys::KeyboardEvent) {
    if e.key() != "Tab" {
        return;
    }
    let Some(d) = dialog.get() else { return };
    let Ok(list) = d
        .query_selector_all("button,a[href],textarea,input,select,[tabindex]:not([tabindex='-1'])")
    else {
        return;
    };
    let (Some(first), Some(last)) = (list.get(0), list.get(list.length().saturating_sub(1))) else {
        return;
    };
    let active = d
        .get_root_node()
        .dyn_into::<web_sys::ShadowRoot>()
        .ok()
        .and_then(|r| r.active_element());
    let active: Option<web_sys::Node> = active.map(Into::into);
    let edge = if e.shift_key() { &first } else { &last };
    let outside = active.as_ref().is_none_or(|a| !d.contains(Some(a)));
    if outside || active.as_ref() == Some(edge) {
        e.prevent_default();
        let target = if e.shift_key() { last } else { first };
        let _ = dom::call_method(&target, "focus", &[]);
    }
}

#[component]
fn ShareCard(ui: Ui) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    drive_dialog(dialog, move || ui.sharing.with(Option::is_some));
    let s = ui.strings;
    let message = RwSignal::new(String::new());
    let copied = RwSignal::new(false);
    // Another award to share: its default message, nothing copied yet.
    Effect::new(move || {
        if let Some(title) = ui.sharing.with(|a| a.as_ref().map(|a| a.title.clone())) {
            message.set(fill(s.get_untracked().share_message, &[("title", &title)]));
            copied.set(false);
        }
    });
    let links = move || {
        ShareLinks::new(&message.get(), &ui.share_url.get(), |c| {
            js_sys::encode_uri_component(c).into()
        })
    };
    let navigator = || JsValue::from(dom::window().navigator());
    // Tells the host page (`cairn:share`) what was shared, where.
    let tell = move |channel: &str| {
        let Some(award) = ui.sharing.get_untracked() else {
            return;
        };
        let detail = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&detail, &"award".into(), &award.to_js());
        let _ = js_sys::Reflect::set(&detail, &"channel".into(), &channel.into());
        let _ = js_sys::Reflect::set(&detail, &"message".into(), &message.get_untracked().into());
        dom::emit("cairn:share", &detail);
    };
    let native = dom::get(&navigator(), "share").is_some().then(|| {
        view! {
            <button class="primary" part="share-native" type="button" on:click=move |_| {
                let data = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&data, &"text".into(), &message.get_untracked().into());
                let _ = js_sys::Reflect::set(&data, &"url".into(), &ui.share_url.get_untracked().into());
                let _ = dom::call_method(&navigator(), "share", &[data.into()]);
                tell("native");
            }>{ui.tr(|s| s.share)}</button>
        }
    });
    view! {
        <dialog class="card share-card" part="share-card" node_ref=dialog
            aria-labelledby="cairn-share-title" on:close=move |_| ui.sharing.set(None)
            on:keydown=move |e| trap_focus(dialog, &e)>
            <div class="card-head">
                {move || ui.sharing.with(|a| a.as_ref().map(|a| view! { <BadgeArt badge=a.badge.clone() /> }))}
                <h2 id="cairn-share-title">{ui.tr(|s| s.share_title)}</h2>
            </div>
            <p class="card-award" part="share-award">
                {move || ui.sharing.with(|a| a.as_ref().map(|a| a.title.clone()))}
            </p>
            <label class="field">
                <span>{ui.tr(|s| s.message_label)}</span>
                <textarea part="share-message" rows="3" prop:value=move || message.get()
                    on:input=move |e| message.set(event_target_value(&e))></textarea>
            </label>
            <div class="share-actions">
                {native}
                <button type="button" part="share-copy" on:click=move |_| {
                    if let Some(c) = dom::get(&navigator(), "clipboard") {
                        let _ = dom::call_method(&c, "writeText", &[JsValue::from_str(&links().copy)]);
                    }
                    copied.set(true);
                    tell("copy");
                }>{move || if copied.get() { s.get().copied } else { s.get().copy_link }}</button>
                <a part="share-x" href=move || links().x target="_blank" rel="noopener noreferrer"
                    on:click=move |_| tell("x")>{ui.tr(|s| s.share_x)}</a>
                <a part="share-linkedin" href=move || links().linkedin target="_blank" rel="noopener noreferrer"
                    on:click=move |_| tell("linkedin")>{ui.tr(|s| s.share_linkedin)}</a>
            </div>
            <button class="close" type="button" aria-label=ui.tr(|s| s.close)
                on:click=move |_| ui.sharing.set(None)>"×"</button>
        </dialog>
    }
}

#[component]
fn ShelfDialog(ui: Ui) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    drive_dialog(dialog, move || ui.shelf_open.get());
    view! {
        <dialog class="card shelf" part="shelf" node_ref=dialog aria-labelledby="cairn-shelf-title"
            on:close=move |_| ui.shelf_open.set(false) on:keydown=move |e| trap_focus(dialog, &e)>
            <div class="card-head">
                <h2 id="cairn-shelf-title">{ui.tr(|s| s.shelf_title)}</h2>
                <button class="close" type="button" aria-label=ui.tr(|s| s.close)
                    on:click=move |_| ui.shelf_open.set(false)>"×"</button>
            </div>
            <Shelf ui=ui />
        </dialog>
    }
}

/// Earned badges (the user's and the account's) and locked ones with their criteria.
#[component]
pub fn Shelf(ui: Ui) -> impl IntoView {
    let s = ui.strings;
    let earned = move || {
        ui.me
            .with(|me| me.as_ref().map(Me::earned).unwrap_or_default())
    };
    let locked = move || {
        ui.me
            .with(|me| me.as_ref().map(Me::locked).unwrap_or_default())
    };
    view! {
        <div class="shelf-body" part="shelf-body">
            <h3>{ui.tr(|s| s.earned)}</h3>
            {move || {
                let earned = earned();
                if earned.is_empty() {
                    view! { <p class="empty">{s.get().none_yet}</p> }.into_any()
                } else {
                    view! {
                        <ul class="grid" part="shelf-earned">
                            {earned.into_iter().map(|a| view! {
                                <li class="item" part="shelf-item" data-milestone=a.milestone>
                                    <BadgeArt badge=a.badge.clone() />
                                    <span class="name">{a.title.clone()}</span>
                                    <span class="date">{date(&a, s.get().lang)}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
            <h3>{ui.tr(|s| s.locked)}</h3>
            <ul class="grid" part="shelf-locked">
                {move || locked().into_iter().map(|m| view! { <LockedItem m=m /> }).collect_view()}
            </ul>
        </div>
    }
}

fn date(award: &AwardView, lang: &str) -> String {
    let at = JsValue::from_str(award.achieved_at.as_str());
    String::from(js_sys::Date::new(&at).to_locale_date_string(lang, &JsValue::UNDEFINED))
}

#[component]
fn LockedItem(m: LockedMilestone) -> impl IntoView {
    let bar = m.target.map(|target| {
        let current = m.current.unwrap_or(0).min(target);
        view! {
            <span class="bar small" role="progressbar" aria-label=m.name.clone()
                aria-valuemin="0" aria-valuemax=target aria-valuenow=current>
                <span class="fill" style:width=format!("{}%", m.percent)></span>
            </span>
        }
    });
    let badge = Badge {
        icon: None,
        image: None,
        alt: m.name.clone(),
    };
    view! {
        <li class="item locked" part="shelf-item locked" data-milestone=m.milestone.clone()>
            <BadgeArt badge=badge locked=true />
            <span class="name">{m.name.clone()}</span>
            <span class="criteria">{m.criteria.clone()}</span>
            {bar}
        </li>
    }
}

/// A progress ladder: its steps, the current total, the next threshold and "N more to go".
#[component]
pub fn Ladder(ui: Ui, p: LadderProgress, label_id: String) -> impl IntoView {
    let s = ui.strings.get();
    let previous = p.previous();
    let max = p.next.or(p.steps.last().copied()).unwrap_or(p.current);
    let (count, more) = match (p.next, p.remaining) {
        (Some(next), Some(left)) => (
            fill(
                s.of,
                &[
                    ("current", &p.current.to_string()),
                    ("next", &next.to_string()),
                ],
            ),
            s.more(left),
        ),
        _ => (p.current.to_string(), s.top.to_owned()),
    };
    let next = p.next;
    view! {
        <div class="ladder" part="ladder" data-metric=p.metric.clone()>
            <div class="row">
                <span class="label" id=label_id.clone()>{p.label.clone()}</span>
                <span class="count" part="count">{count}</span>
            </div>
            <div class="bar" part="progress" role="progressbar" aria-labelledby=label_id
                aria-valuemin=previous aria-valuemax=max aria-valuenow=p.current.min(max)
                aria-valuetext=more.clone()>
                <div class="fill" style:width=format!("{}%", p.percent)></div>
            </div>
            <ol class="steps" part="steps">
                {p.steps.iter().map(|&step| view! {
                    <li class:done=step <= p.current aria-current=(Some(step) == next).then_some("step")>{step}</li>
                }).collect_view()}
            </ol>
            <p class="more" part="more">{more}</p>
        </div>
    }
}

/// `<div data-cairn="ladder" data-metric="…">`: the ladder of that metric (or ladder key),
/// live.
#[component]
pub fn LadderPlacement(ui: Ui, metric: String, label_id: String) -> impl IntoView {
    move || {
        ui.me
            .with(|me| {
                me.as_ref()?
                    .progress
                    .iter()
                    .find(|p| p.metric == metric || p.ladder == metric)
                    .cloned()
            })
            .map(|p| view! { <Ladder ui=ui p=p label_id=label_id.clone() /> })
    }
}

/// `<div data-cairn="badge" data-milestone="…">`: that badge, earned or locked.
#[component]
pub fn BadgePlacement(ui: Ui, milestone: String) -> impl IntoView {
    move || {
        ui.me.with(|me| {
            let me = me.as_ref()?;
            if let Some(a) = me.earned().into_iter().find(|a| a.milestone == milestone) {
                return Some(
                    view! {
                        <figure class="badge-card" part="badge-card" data-state="earned">
                            <BadgeArt badge=a.badge.clone() />
                            <figcaption>{a.title}</figcaption>
                        </figure>
                    }
                    .into_any(),
                );
            }
            let m = me.locked().into_iter().find(|m| m.milestone == milestone)?;
            let badge = Badge {
                icon: None,
                image: None,
                alt: m.name.clone(),
            };
            Some(
                view! {
                    <figure class="badge-card" part="badge-card" data-state="locked">
                        <BadgeArt badge=badge locked=true />
                        <figcaption>{m.name.clone()}<small>{m.criteria}</small></figcaption>
                    </figure>
                }
                .into_any(),
            )
        })
    }
}

/// Styles of every shadow root. Each colour, radius, font, shadow and spacing is a documented
/// `--cairn-*` custom property the host page may set (inherited custom properties are the only
/// thing that crosses the shadow boundary; `all: initial` stops every other inherited style).
/// Themes only change the fallbacks, so a host's values always win.
pub const STYLES: &str = r#"
:host{all:initial;display:block;
--_accent:var(--cairn-accent,#6d4aff);--_on-accent:var(--cairn-on-accent,#fff);
--_surface:var(--cairn-surface,#fff);--_text:var(--cairn-text,#1d1d1f);--_muted:var(--cairn-muted,#5f5f66);
--_border:var(--cairn-border,#e3e3e8);--_track:var(--cairn-track,#ececf1);--_ribbon:var(--cairn-ribbon,#ff5e7e);
--_radius:var(--cairn-radius,12px);--_shadow:var(--cairn-shadow,0 8px 30px rgba(0,0,0,.18));
--_space:var(--cairn-space,12px);--_font:var(--cairn-font,500 14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif);
--_z:var(--cairn-z-index,2147483646)}
:host([data-theme=dark]){--_surface:var(--cairn-surface,#1f1f24);--_text:var(--cairn-text,#f4f4f6);--_muted:var(--cairn-muted,#b4b4bd);--_border:var(--cairn-border,#3a3a44);--_track:var(--cairn-track,#34343d);--_accent:var(--cairn-accent,#9d87ff);--_on-accent:var(--cairn-on-accent,#15151a)}
@media (prefers-color-scheme:dark){:host([data-theme=auto]){--_surface:var(--cairn-surface,#1f1f24);--_text:var(--cairn-text,#f4f4f6);--_muted:var(--cairn-muted,#b4b4bd);--_border:var(--cairn-border,#3a3a44);--_track:var(--cairn-track,#34343d);--_accent:var(--cairn-accent,#9d87ff);--_on-accent:var(--cairn-on-accent,#15151a)}}
:host([data-cairn-host=layer]){display:contents}
*,*::before,*::after{box-sizing:border-box}
.layer,.inline{all:initial;display:block;font:var(--_font);color:var(--_text)}
.inline{background:var(--_surface);border:1px solid var(--_border);border-radius:var(--_radius);padding:var(--_space)}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.confetti{position:fixed;inset:0;width:100vw;height:100vh;max-width:none;max-height:none;margin:0;padding:0;border:0;background:transparent;pointer-events:none;overflow:hidden}
.toasts{position:fixed;inset:auto;margin:0;padding:0;border:0;background:transparent;overflow:visible;z-index:var(--_z);
display:flex;flex-direction:column;gap:8px;font:var(--_font);color:var(--_text);
inset-block-end:max(16px,env(safe-area-inset-bottom));inset-inline-end:max(16px,env(safe-area-inset-right))}
:host([data-corner=bottom-start]) .toasts{inset-inline-end:auto;inset-inline-start:max(16px,env(safe-area-inset-left))}
:host([data-corner=top-end]) .toasts{inset-block-end:auto;inset-block-start:max(16px,env(safe-area-inset-top));flex-direction:column-reverse}
:host([data-corner=top-start]) .toasts{inset-block-end:auto;inset-inline-end:auto;inset-block-start:max(16px,env(safe-area-inset-top));inset-inline-start:max(16px,env(safe-area-inset-left));flex-direction:column-reverse}
.toast{display:flex;align-items:flex-start;gap:var(--_space);width:min(360px,calc(100vw - 32px));padding:12px 14px;
border-radius:var(--_radius);background:var(--_surface);color:var(--_text);box-shadow:var(--_shadow);
border-inline-start:4px solid var(--_accent);animation:cairn-in .35s cubic-bezier(.2,.9,.3,1.2)}
.badge{flex:none;display:inline-grid;place-items:center;width:40px;height:40px;border-radius:50%;
background:radial-gradient(circle at 35% 30%,rgba(255,255,255,.35),transparent 60%),var(--_accent);
color:var(--_on-accent);box-shadow:0 0 0 3px var(--_surface),0 0 0 5px var(--_ribbon);font-size:20px;line-height:1;object-fit:cover}
.badge.locked{filter:grayscale(1);opacity:.45;box-shadow:none}
.text{display:flex;flex-direction:column;flex:1;min-width:0;gap:2px}
.title{font-weight:700;font-size:15px}
.caption{color:var(--_muted);font-size:13px}
.actions{display:flex;gap:8px;margin-block-start:6px;flex-wrap:wrap}
button,a{font:inherit;color:inherit;cursor:pointer}
.actions button,.share-actions button,.share-actions a{all:unset;box-sizing:border-box;cursor:pointer;font-size:13px;padding:4px 10px;border-radius:999px;border:1px solid var(--_border);color:var(--_text)}
.share-actions .primary{background:var(--_accent);color:var(--_on-accent);border-color:var(--_accent)}
.dismiss,.close{all:unset;cursor:pointer;font-size:20px;line-height:1;padding:2px 8px;border-radius:6px;color:var(--_muted)}
button:focus-visible,a:focus-visible,textarea:focus-visible{outline:2px solid var(--_accent);outline-offset:2px}
.card{border:0;padding:20px;border-radius:var(--_radius);background:var(--_surface);color:var(--_text);box-shadow:var(--_shadow);
font:var(--_font);width:min(440px,calc(100vw - 32px));max-height:min(640px,calc(100vh - 32px));overflow:auto}
.card::backdrop{background:rgba(0,0,0,.35)}
.card-head{display:flex;align-items:center;gap:var(--_space);margin-block-end:8px}
.card-head h2{flex:1;margin:0;font-size:18px}
.card h3{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--_muted);margin:16px 0 8px}
.card-award{font-weight:700;margin:0 0 8px}
.field{display:flex;flex-direction:column;gap:4px;font-size:13px;color:var(--_muted)}
textarea{font:inherit;color:var(--_text);background:var(--_surface);border:1px solid var(--_border);border-radius:8px;padding:8px;resize:vertical}
.share-actions{display:flex;flex-wrap:wrap;gap:8px;margin-block-start:12px}
.grid{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(120px,1fr));gap:var(--_space)}
.item{display:flex;flex-direction:column;align-items:center;text-align:center;gap:4px;padding:8px;border-radius:8px;border:1px solid var(--_border)}
.item .name{font-weight:600;font-size:13px}
.item .date,.item .criteria,.empty{font-size:12px;color:var(--_muted)}
.ladder{display:flex;flex-direction:column;gap:6px}
.row{display:flex;justify-content:space-between;gap:var(--_space)}
.label{font-weight:600}
.count{color:var(--_muted)}
.bar{display:block;height:8px;border-radius:999px;background:var(--_track);overflow:hidden;width:100%}
.bar.small{height:4px}
.fill{display:block;height:100%;background:var(--_accent);border-radius:inherit;transition:width .4s}
.steps{list-style:none;display:flex;justify-content:space-between;margin:0;padding:0;font-size:12px;color:var(--_muted)}
.steps .done{color:var(--_accent);font-weight:700}
.steps [aria-current]{color:var(--_text);text-decoration:underline}
.more{margin:0;font-size:13px}
.badge-card{display:inline-flex;align-items:center;gap:10px;margin:0}
.badge-card figcaption{display:flex;flex-direction:column;font-weight:600}
.badge-card small{font-weight:400;color:var(--_muted)}
@keyframes cairn-in{from{transform:translateY(12px) scale(.96);opacity:0}}
@media (prefers-reduced-motion:reduce){.toast{animation:none;box-shadow:0 0 0 2px var(--_accent),0 0 28px var(--_accent)}.fill{transition:none}}
"#;

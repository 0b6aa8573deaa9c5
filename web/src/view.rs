//! The widget's components: functions that build their DOM with [`crate::html`] and bind it
//! to the signals of [`Ui`] (Leptos' reactive system). Thin: they render those signals;
//! decisions live in [`crate::logic`] (tested natively) and the flow in [`crate::embed`].

use std::cell::RefCell;
use std::rc::Rc;

use cairn_wire::{AwardView, LadderProgress, LockedMilestone};
use cairn_wire::{Badge, Cta};
use reactive_graph::graph::untrack;
use reactive_graph::owner::{Owner, StoredValue};
use reactive_graph::prelude::*;
use reactive_graph::signal::RwSignal;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlDialogElement, HtmlElement, HtmlTextAreaElement};

use crate::api::Me;
use crate::convert::ToJs;
use crate::dom;
use crate::html::{El, effect, el};
use crate::logic::{
    CardStrings, Countdown, PublicShare, ShareLinks, Strings, digits, fill, toast_caption,
};

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

/// Who carries out [`Publish`] requests.
type Publisher = Rc<dyn Fn(Publish)>;

thread_local! {
    /// The widget's [`Publisher`] (it holds the API client). One widget per page; a plain cell
    /// rather than a reactive `StoredValue`, whose local arena would add code for this alone.
    static PUBLISHER: RefCell<Option<Publisher>> = const { RefCell::new(None) };
}

/// What the user asked of a badge's public page.
#[derive(Debug, Clone)]
pub enum Publish {
    /// Make it public (the consent step), with the message and the name to show.
    Make {
        award_id: String,
        message: String,
        name: String,
    },
    /// Make it private again.
    Revoke { share_id: String },
    /// Tell the ledger the award's call to action was shown (or, `click`, followed).
    Cta { award_id: String, click: bool },
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
    /// The user's public badges.
    pub public: RwSignal<Vec<PublicShare>>,
    /// A publish or revoke is under way / the last one failed.
    pub share_busy: RwSignal<bool>,
    pub share_failed: RwSignal<bool>,
    timers: StoredValue<Vec<(u64, Countdown)>>,
    next_id: StoredValue<u64>,
}

impl Ui {
    /// The `dir` attribute of the widget's roots.
    pub fn dir(&self) -> &'static str {
        if self.rtl.get() { "rtl" } else { "ltr" }
    }

    pub fn new(strings: &'static Strings, rtl: bool) -> Self {
        Self {
            strings: RwSignal::new(strings),
            rtl: RwSignal::new(rtl),
            toasts: RwSignal::new(Vec::new()),
            announcement: RwSignal::new(String::new()),
            me: RwSignal::new(None),
            shelf_open: RwSignal::new(false),
            sharing: RwSignal::new(None),
            public: RwSignal::new(Vec::new()),
            share_busy: RwSignal::new(false),
            share_failed: RwSignal::new(false),
            timers: StoredValue::new(Vec::new()),
            next_id: StoredValue::new(0),
        }
    }

    /// Sets who carries out [`Publish`] requests.
    pub fn set_publisher(self, f: impl Fn(Publish) + 'static) {
        PUBLISHER.with(|p| *p.borrow_mut() = Some(Rc::new(f)));
    }

    /// Asks for `intent` (the share card's consent, the shelf's revoke).
    pub fn publish(self, intent: Publish) {
        if let Some(f) = PUBLISHER.with(|p| p.borrow().clone()) {
            f(intent);
        }
    }

    /// The public share of award `award_id`, if it is public.
    pub fn public_share(self, award_id: &str) -> Option<PublicShare> {
        self.public
            .with(|p| p.iter().find(|s| s.award_id == award_id).cloned())
    }

    /// One of the UI strings, following the language. Every call returns the same closure
    /// type, so the binding of a translated text is compiled once, not once per use.
    pub fn tr(self, pick: fn(&Strings) -> &'static str) -> impl Fn() -> String + Copy {
        let strings = self.strings;
        move || pick(strings.get()).into()
    }

    /// [`Ui::tr`] for an attribute.
    pub fn tr_attr(self, pick: fn(&Strings) -> &'static str) -> impl Fn() -> Option<String> + Copy {
        let strings = self.strings;
        move || Some(pick(strings.get()).into())
    }

    /// Shows a toast for `award` and announces it to screen readers.
    pub fn toast(self, award: &AwardView) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let strings = self.strings.get_untracked();
        self.announcement
            .set([strings.new_badge, ": ", &award.title].concat());
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

    /// Rehearses a toast for `award` where nobody sees or hears it, while the stack is empty
    /// and hidden: the stack shown, the card built under an owner of its own and laid out in
    /// it, then taken down with everything it kept, and the stack hidden, all in one task (so
    /// never painted, and never in the accessibility tree). The browser compiles a wasm
    /// function on its first call, and builds a popover's top-layer styles, matches a rule or
    /// shapes a font on first use; after this, most of that is no longer paid in the first
    /// real toast's frames (measured in ARCHITECTURE.md). The live region, never seen, is set
    /// in the caption's size so that its announcement needs no font size of its own: each new
    /// one is a synchronous font lookup in the first real frame's layout (1–4 ms measured). Nothing is announced, published or
    /// timed (so the award must have no call to action, whose card would count an
    /// impression), and the card's id is one no toast takes.
    pub fn rehearse(self, stack: &HtmlElement, award: AwardView) {
        if stack.matches(":popover-open") != Ok(false) || stack.show_popover().is_err() {
            return;
        }
        let toast = Toast {
            id: u64::MAX,
            caption: toast_caption(&award, self.strings.get_untracked()),
            award,
        };
        let owner = Owner::new();
        let card = owner.with(|| untrack(|| toast_card(self, toast)));
        if stack.append_child(&card.0).is_ok() {
            // Style and layout now (the page is idle), not at the first celebration.
            let _ = stack.offset_height();
            card.0.remove();
        }
        drop(owner);
        let _ = stack.hide_popover();
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
        dom::set_timeout(
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
            ms,
        );
    }

    /// The toast's call to action: tells the host (`cairn:cta`, cancelable) and follows the
    /// link unless the host handled it.
    fn follow(self, award: &AwardView, cta: &Cta, toast: u64) {
        self.publish(Publish::Cta {
            award_id: award.id.clone(),
            click: true,
        });
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

/// `root` with the `dir` and `lang` of the user's language, following it.
pub fn localized(root: El, ui: Ui) -> El {
    root.attr_with("dir", move || Some(ui.dir().into()))
        .attr_with("lang", move || Some(ui.strings.get().lang.into()))
}

/// The floating layer: live region, toasts and the shelf dialog. (The share card is a module
/// of its own, `web/share-card`, loaded when a user first shares: [`crate::card`].)
pub fn layer(ui: Ui) -> El {
    localized(el("div").class("layer"), ui)
        .child(
            el("div")
                .class("sr-only")
                .attr("role", "status")
                .attr("aria-live", "polite")
                .attr("aria-atomic", "true")
                .text_with(move || ui.announcement.get()),
        )
        .child(toasts(ui))
        .child(shelf_dialog(ui))
}

/// The toast stack: a manual popover, so it sits in the top layer above the host's own modals.
/// Toasts are keyed by id: one that stays keeps its element (its focus, hover and entry
/// animation) when another comes or goes; one that leaves takes its bindings with it.
fn toasts(ui: Ui) -> El {
    let stack = el("section")
        .class("toasts")
        .part("toasts")
        .attr("popover", "manual")
        .attr_with("aria-label", move || {
            Some(ui.strings.get().notifications.into())
        });
    let list: HtmlElement = stack.0.clone().unchecked_into();
    let parent = Owner::current().expect("views are built under an owner");
    let shown: RefCell<Vec<(u64, Owner, Element)>> = RefCell::default();
    effect(move || {
        let toasts = ui.toasts.get();
        let mut shown = shown.borrow_mut();
        shown.retain(|(id, _, node)| {
            let stays = toasts.iter().any(|t| t.id == *id);
            if !stays {
                node.remove();
            }
            stays
        });
        let any = !toasts.is_empty();
        for toast in toasts {
            if shown.iter().any(|(id, ..)| *id == toast.id) {
                continue;
            }
            let (id, owner) = (toast.id, parent.child());
            let card = owner.with(|| untrack(|| toast_card(ui, toast)));
            let _ = list.append_child(&card.0);
            shown.push((id, owner, card.0));
        }
        // Shown again on every change, so a new toast also comes above a dialog opened since.
        let _ = list.hide_popover();
        if any {
            let _ = list.show_popover();
        }
    });
    stack
}

fn button(class: &str, part: &str) -> El {
    el("button").class(class).part(part).attr("type", "button")
}

fn toast_card(ui: Ui, toast: Toast) -> El {
    let id = toast.id;
    let title_id = ["cairn-toast-", &digits(id)].concat();
    let award = toast.award;
    let cta = award.cta.clone().map(|cta| {
        ui.publish(Publish::Cta {
            award_id: award.id.clone(),
            click: false,
        });
        let award = award.clone();
        button("cta", "cta")
            .text(&cta.label)
            .on("click", move |_| ui.follow(&award, &cta, id))
    });
    let shared = award.clone();
    el("article")
        .class("toast")
        .part("toast")
        .attr("data-toast-id", &digits(id))
        .attr("data-tier", &award.tier)
        .attr("aria-labelledby", &title_id)
        .on("mouseenter", move |_| ui.pause(id))
        .on("mouseleave", move |_| ui.resume(id))
        .on("focusin", move |_| ui.pause(id))
        .on("focusout", move |_| ui.resume(id))
        .on("keydown", move |e| {
            if key(&e) == "Escape" {
                ui.dismiss(id);
            }
        })
        .child(badge_art(&award.badge, false))
        .child(
            el("div")
                .class("text")
                .child(
                    el("strong")
                        .class("title")
                        .part("title")
                        .attr("id", &title_id)
                        .text(&award.title),
                )
                .child(
                    el("span")
                        .class("caption")
                        .part("caption")
                        .text(&toast.caption),
                )
                .child(
                    el("div").class("actions").child_opt(cta).child(
                        button("share", "share-button")
                            .text_with(ui.tr(|s| s.share))
                            // About to share: the share card's module starts loading.
                            .on("pointerenter", |_| crate::card::preload())
                            .on("focusin", |_| crate::card::preload())
                            .on("click", move |_| ui.sharing.set(Some(shared.clone()))),
                    ),
                ),
        )
        .child(
            button("dismiss", "dismiss")
                .attr_with("aria-label", ui.tr_attr(|s| s.dismiss))
                .text("×")
                .on("click", move |_| ui.dismiss(id)),
        )
}

fn key(e: &web_sys::Event) -> String {
    e.unchecked_ref::<web_sys::KeyboardEvent>().key()
}

/// Badge art: the custom image, or the built-in medal with the icon's glyph.
pub fn badge_art(badge: &Badge, locked: bool) -> El {
    let class = if locked { "badge locked" } else { "badge" };
    match &badge.image {
        Some(src) => el("img")
            .class(class)
            .part("badge")
            .attr("src", src)
            .attr("alt", &badge.alt)
            .attr("width", "40")
            .attr("height", "40"),
        None => el("span")
            .class(class)
            .part("badge")
            .attr("role", "img")
            .attr("aria-label", &badge.alt)
            .child(
                el("span")
                    .class("glyph")
                    .attr("aria-hidden", "true")
                    .text(cairn_wire::icon_glyph(badge.icon.as_deref())),
            ),
    }
}

/// The medal of a milestone not reached yet.
fn locked_badge(name: &str) -> Badge {
    Badge {
        icon: None,
        image: None,
        alt: name.to_owned(),
    }
}

/// A modal dialog: opened when `open` says so and closed otherwise, giving focus back to what
/// had it; Tab and Shift+Tab stay inside; closing it (Escape) tells `open`'s owner.
fn dialog(open: impl Fn() -> bool + 'static, on_close: impl Fn() + 'static) -> El {
    let card = el("dialog");
    let d: HtmlDialogElement = card.0.clone().unchecked_into();
    let opener: RefCell<Option<Element>> = RefCell::default();
    let shown = d.clone();
    effect(move || {
        let want = open();
        if want && !shown.open() {
            *opener.borrow_mut() = dom::deep_active_element();
            let _ = shown.show_modal();
        } else if !want && shown.open() {
            shown.close();
            if let Some(el) = opener.borrow_mut().take() {
                let _ = dom::call_method(&el, "focus", &[]);
            }
        }
    });
    card.on("close", move |_| on_close())
        .on("keydown", move |e| trap_focus(&d, e.unchecked_ref()))
}

/// Keeps Tab and Shift+Tab inside `dialog` (a modal dialog alone lets focus leave to the
/// browser's own controls and come back at the page's start).
fn trap_focus(d: &HtmlDialogElement, e: &web_sys::KeyboardEvent) {
    if e.key() != "Tab" {
        return;
    }
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

/// The share card of `ui.sharing`: the message, the share links and the consent step to make
/// the badge public. Built by the share card's own module (`web/share-card`) under its own
/// `Ui`; `share_url` is the link shared until the badge is public; `on_close` runs when the
/// user closes it.
pub fn share_card(
    ui: Ui,
    words: RwSignal<&'static CardStrings>,
    share_url: String,
    on_close: impl Fn() + Clone + 'static,
) -> El {
    let share_url = RwSignal::new(share_url);
    let tr = |pick| card_tr(words, pick);
    let message = RwSignal::new(String::new());
    let copied = RwSignal::new(false);
    // Another award to share: its default message, nothing copied yet.
    effect(move || {
        if let Some(title) = ui.sharing.with(|a| a.as_ref().map(|a| a.title.clone())) {
            message.set(fill(
                words.get_untracked().share_message,
                &[("title", &title)],
            ));
            copied.set(false);
        }
    });
    let name = RwSignal::new(String::new());
    // The public page once the user made the badge public; the host's link until then.
    let public = move || {
        ui.sharing
            .with(|a| a.as_ref().map(|a| a.id.clone()))
            .and_then(|id| ui.public_share(&id))
    };
    let url = move || public().map_or_else(|| share_url.get(), |p| p.url);
    let links = move || {
        ShareLinks::new(&message.get(), &url(), |c| {
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
        button("primary", "share-native")
            .text_with(ui.tr(|s| s.share))
            .on("click", move |_| {
                let data = js_sys::Object::new();
                let _ =
                    js_sys::Reflect::set(&data, &"text".into(), &message.get_untracked().into());
                let _ = js_sys::Reflect::set(&data, &"url".into(), &url().into());
                let _ = dom::call_method(&navigator(), "share", &[data.into()]);
                tell("native");
            })
    });
    let textarea = el("textarea")
        .part("share-message")
        .attr("rows", "3")
        .on("input", move |e| {
            let target = e
                .target()
                .map(|t| t.unchecked_into::<HtmlTextAreaElement>());
            message.set(target.map(|t| t.value()).unwrap_or_default());
        });
    let field: HtmlTextAreaElement = textarea.0.clone().unchecked_into();
    effect(move || field.set_value(&message.get()));
    let link = |part: &str, channel: &'static str, href: fn(ShareLinks) -> String| {
        el("a")
            .part(part)
            .attr_with("href", move || Some(href(links())))
            .attr("target", "_blank")
            .attr("rel", "noopener noreferrer")
            .on("click", move |_| tell(channel))
    };
    dialog(move || ui.sharing.with(Option::is_some), on_close.clone())
        .class("card share-card")
        .part("share-card")
        .attr("aria-labelledby", "cairn-share-title")
        .child(
            el("div")
                .class("card-head")
                .child_with(move || {
                    ui.sharing
                        .with(|a| a.as_ref().map(|a| a.badge.clone()))
                        .map(|b| badge_art(&b, false))
                })
                .child(
                    el("h2")
                        .attr("id", "cairn-share-title")
                        .text_with(tr(|w| w.share_title)),
                )
                .child(close_button(ui, on_close)),
        )
        .child(
            el("p")
                .class("card-award")
                .part("share-award")
                .text_with(move || {
                    ui.sharing
                        .with(|a| a.as_ref().map(|a| a.title.clone()))
                        .unwrap_or_default()
                }),
        )
        .child(
            el("label")
                .class("field")
                .child(el("span").text_with(tr(|w| w.message_label)))
                .child(textarea),
        )
        .child(publish_section(ui, words, public, message, name))
        .child(
            el("div")
                .class("share-actions")
                .child_opt(native)
                .child(
                    el("button")
                        .attr("type", "button")
                        .part("share-copy")
                        .text_with(move || {
                            let w = words.get();
                            (if copied.get() { w.copied } else { w.copy_link }).into()
                        })
                        .on("click", move |_| {
                            if let Some(c) = dom::get(&navigator(), "clipboard") {
                                let copy = JsValue::from_str(&links().copy);
                                let _ = dom::call_method(&c, "writeText", &[copy]);
                            }
                            copied.set(true);
                            tell("copy");
                        }),
                )
                .child(link("share-x", "x", |l| l.x).text_with(tr(|w| w.share_x)))
                .child(
                    link("share-linkedin", "linkedin", |l| l.linkedin)
                        .text_with(tr(|w| w.share_linkedin)),
                ),
        )
}

/// The consent step (a display name and "Make it public") before the badge is public; its
/// public page, LinkedIn's "Add to profile" and "Make private" after.
fn publish_section(
    ui: Ui,
    words: RwSignal<&'static CardStrings>,
    public: impl Fn() -> Option<PublicShare> + Copy + 'static,
    message: RwSignal<String>,
    name: RwSignal<String>,
) -> El {
    let tr = |pick| card_tr(words, pick);
    let name_input = el("input")
        .part("share-name")
        .attr("type", "text")
        .attr("maxlength", "64")
        .attr("autocomplete", "name")
        .on("input", move |e| {
            let target = e
                .target()
                .map(|t| t.unchecked_into::<web_sys::HtmlInputElement>());
            name.set(target.map(|t| t.value()).unwrap_or_default());
        });
    let consent = el("div")
        .class("publish")
        .child(
            el("label")
                .class("field")
                .child(el("span").text_with(tr(|w| w.name_label)))
                .child(name_input),
        )
        .child(el("p").class("hint").text_with(tr(|w| w.publish_hint)))
        .child(
            button("primary", "share-publish")
                .attr_with("disabled", move || ui.share_busy.get().then(String::new))
                .text_with(tr(|w| w.publish))
                .on("click", move |_| {
                    if let Some(award) = ui.sharing.get_untracked() {
                        ui.publish(Publish::Make {
                            award_id: award.id,
                            message: message.get_untracked(),
                            name: name.get_untracked(),
                        });
                    }
                }),
        );
    let consent_el: HtmlElement = consent.0.clone().unchecked_into();
    let published = el("div")
        .class("published")
        .child(
            el("label")
                .class("field")
                .child(el("span").text_with(tr(|w| w.public_link)))
                .child(
                    el("input")
                        .part("share-public-url")
                        .attr("type", "url")
                        .attr("readonly", "")
                        .attr_with("value", move || public().map(|p| p.url)),
                ),
        )
        .child(
            el("div")
                .class("share-actions")
                .child(
                    el("a")
                        .part("share-linkedin-add")
                        .attr_with("href", move || public().map(|p| p.linkedin_add_url))
                        .attr("target", "_blank")
                        .attr("rel", "noopener noreferrer")
                        .text_with(tr(|w| w.add_linkedin)),
                )
                .child(unpublish_button(ui, move || public().map(|p| p.share_id))),
        );
    let shown: HtmlElement = published.0.clone().unchecked_into();
    effect(move || {
        let is_public = public().is_some();
        consent_el.set_hidden(is_public);
        shown.set_hidden(!is_public);
    });
    el("div")
        .class("publish-step")
        .child(consent)
        .child(published)
        .child(
            el("p")
                .class("error")
                .part("share-error")
                .attr("role", "alert")
                .text_with(move || {
                    if ui.share_failed.get() {
                        words.get().publish_failed.into()
                    } else {
                        String::new()
                    }
                }),
        )
}

/// [`Ui::tr`] for the share card's words.
fn card_tr(
    words: RwSignal<&'static CardStrings>,
    pick: fn(&CardStrings) -> &'static str,
) -> impl Fn() -> String + Copy {
    move || pick(words.get()).into()
}

/// "Make private" for the share `id()` gives.
fn unpublish_button(ui: Ui, id: impl Fn() -> Option<String> + 'static) -> El {
    button("secondary", "share-unpublish")
        .attr_with("disabled", move || ui.share_busy.get().then(String::new))
        .text_with(ui.tr(|s| s.unpublish))
        .on("click", move |_| {
            if let Some(share_id) = id() {
                ui.publish(Publish::Revoke { share_id });
            }
        })
}

fn close_button(ui: Ui, close: impl Fn() + 'static) -> El {
    el("button")
        .class("close")
        .attr("type", "button")
        .attr_with("aria-label", ui.tr_attr(|s| s.close))
        .text("×")
        .on("click", move |_| close())
}

fn shelf_dialog(ui: Ui) -> El {
    dialog(
        move || ui.shelf_open.get(),
        move || ui.shelf_open.set(false),
    )
    .class("card shelf")
    .part("shelf")
    .attr("aria-labelledby", "cairn-shelf-title")
    .child(
        el("div")
            .class("card-head")
            .child(
                el("h2")
                    .attr("id", "cairn-shelf-title")
                    .text_with(ui.tr(|s| s.shelf_title)),
            )
            .child(close_button(ui, move || ui.shelf_open.set(false))),
    )
    .child(shelf(ui))
}

/// Earned badges (the user's and the account's) and locked ones with their criteria.
pub fn shelf(ui: Ui) -> El {
    let s = ui.strings;
    el("div")
        .class("shelf-body")
        .part("shelf-body")
        .child(el("h3").text_with(ui.tr(|s| s.earned)))
        .child_with(move || {
            let earned = ui
                .me
                .with(|me| me.as_ref().map(Me::earned).unwrap_or_default());
            let s = s.get();
            if earned.is_empty() {
                return Some(el("p").class("empty").text(s.none_yet));
            }
            let mut list = el("ul").class("grid").part("shelf-earned");
            for a in &earned {
                list = list.child(
                    el("li")
                        .class("item")
                        .part("shelf-item")
                        .attr("data-milestone", &a.milestone)
                        .child(badge_art(&a.badge, false))
                        .child(el("span").class("name").text(&a.title))
                        .child(el("span").class("date").text(&date(a, s.lang)))
                        .child_opt(ui.public_share(&a.id).map(|p| {
                            let id = p.share_id;
                            unpublish_button(ui, move || Some(id.clone()))
                        })),
                );
            }
            Some(list)
        })
        .child(el("h3").text_with(ui.tr(|s| s.locked)))
        .child(
            el("ul")
                .class("grid")
                .part("shelf-locked")
                .children_with(move || {
                    let locked = ui
                        .me
                        .with(|me| me.as_ref().map(Me::locked).unwrap_or_default());
                    locked.iter().map(locked_item).collect()
                }),
        )
}

fn date(award: &AwardView, lang: &str) -> String {
    let at = JsValue::from_str(award.achieved_at.as_str());
    String::from(js_sys::Date::new(&at).to_locale_date_string(lang, &JsValue::UNDEFINED))
}

fn locked_item(m: &LockedMilestone) -> El {
    let bar = m.target.map(|target| {
        let current = m.current.unwrap_or(0).min(target);
        el("span")
            .class("bar small")
            .attr("role", "progressbar")
            .attr("aria-label", &m.name)
            .attr("aria-valuemin", "0")
            .attr("aria-valuemax", &digits(target))
            .attr("aria-valuenow", &digits(current))
            .child(fill_bar(m.percent))
    });
    el("li")
        .class("item locked")
        .part("shelf-item locked")
        .attr("data-milestone", &m.milestone)
        .child(badge_art(&locked_badge(&m.name), true))
        .child(el("span").class("name").text(&m.name))
        .child(el("span").class("criteria").text(&m.criteria))
        .child_opt(bar)
}

/// The filled part of a progress bar.
///
/// Its width is a CSSOM property, not a `style` attribute: a host page's CSP without
/// `'unsafe-inline'` for styles blocks the attribute, never the property.
fn fill_bar(percent: u8) -> El {
    let fill = el("span").class("fill");
    let _ = fill
        .0
        .unchecked_ref::<HtmlElement>()
        .style()
        .set_property("width", &[&digits(u64::from(percent)), "%"].concat());
    fill
}

/// A progress ladder: its steps, the current total, the next threshold and "N more to go".
pub fn ladder(s: &Strings, p: &LadderProgress, label_id: &str) -> El {
    let previous = p.previous();
    let max = p.next.or(p.steps.last().copied()).unwrap_or(p.current);
    let (count, more) = match (p.next, p.remaining) {
        (Some(next), Some(left)) => (
            fill(
                s.of,
                &[("current", &digits(p.current)), ("next", &digits(next))],
            ),
            s.more(left),
        ),
        _ => (digits(p.current), s.top.to_owned()),
    };
    let mut steps = el("ol").class("steps").part("steps");
    for &step in &p.steps {
        let mut li = el("li");
        if step <= p.current {
            li = li.class("done");
        }
        if Some(step) == p.next {
            li = li.attr("aria-current", "step");
        }
        steps = steps.child(li.text(&digits(step)));
    }
    el("div")
        .class("ladder")
        .part("ladder")
        .attr("data-metric", &p.metric)
        .child(
            el("div")
                .class("row")
                .child(
                    el("span")
                        .class("label")
                        .attr("id", label_id)
                        .text(&p.label),
                )
                .child(el("span").class("count").part("count").text(&count)),
        )
        .child(
            el("div")
                .class("bar")
                .part("progress")
                .attr("role", "progressbar")
                .attr("aria-labelledby", label_id)
                .attr("aria-valuemin", &digits(previous))
                .attr("aria-valuemax", &digits(max))
                .attr("aria-valuenow", &digits(p.current.min(max)))
                .attr("aria-valuetext", &more)
                .child(fill_bar(p.percent)),
        )
        .child(steps)
        .child(el("p").class("more").part("more").text(&more))
}

/// `<div data-cairn="ladder" data-metric="…">`: the ladder of that metric (or ladder key),
/// live, in `root`.
pub fn ladder_placement(root: El, ui: Ui, metric: String, label_id: String) -> El {
    root.child_with(move || {
        let p = ui.me.with(|me| {
            me.as_ref()?
                .progress
                .iter()
                .find(|p| p.metric == metric || p.ladder == metric)
                .cloned()
        })?;
        Some(ladder(ui.strings.get(), &p, &label_id))
    })
}

/// `<div data-cairn="badge" data-milestone="…">`: that badge, earned or locked, in `root`.
pub fn badge_placement(root: El, ui: Ui, milestone: String) -> El {
    root.child_with(move || {
        let (earned, locked) = ui.me.with(|me| {
            let me = me.as_ref()?;
            let earned = me.earned().into_iter().find(|a| a.milestone == milestone);
            let locked = match earned {
                Some(_) => None,
                None => me.locked().into_iter().find(|m| m.milestone == milestone),
            };
            Some((earned, locked))
        })?;
        let card = |state: &str, badge: El| {
            el("figure")
                .class("badge-card")
                .part("badge-card")
                .attr("data-state", state)
                .child(badge)
        };
        if let Some(a) = earned {
            return Some(
                card("earned", badge_art(&a.badge, false)).child(el("figcaption").text(&a.title)),
            );
        }
        let m = locked?;
        Some(
            card("locked", badge_art(&locked_badge(&m.name), true)).child(
                el("figcaption")
                    .text(&m.name)
                    .child(el("small").text(&m.criteria)),
            ),
        )
    })
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
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap;font-size:13px}
.confetti{position:fixed;inset:0;width:100vw;height:100vh;max-width:none;max-height:none;margin:0;padding:0;border:0;background:transparent;pointer-events:none;overflow:hidden;color-scheme:normal}
.toasts{position:fixed;inset:auto;margin:0;padding:0;border:0;background:transparent;overflow:visible;z-index:var(--_z);
display:flex;flex-direction:column;gap:8px;font:var(--_font);color:var(--_text);
inset-block-end:max(16px,env(safe-area-inset-bottom));inset-inline-end:max(16px,env(safe-area-inset-right))}
:host([data-corner=bottom-start]) .toasts{inset-inline-end:auto;inset-inline-start:max(16px,env(safe-area-inset-left))}
:host([data-corner=top-end]) .toasts{inset-block-end:auto;inset-block-start:max(16px,env(safe-area-inset-top));flex-direction:column-reverse}
:host([data-corner=top-start]) .toasts{inset-block-end:auto;inset-inline-end:auto;inset-block-start:max(16px,env(safe-area-inset-top));inset-inline-start:max(16px,env(safe-area-inset-left));flex-direction:column-reverse}
.toast{display:flex;align-items:flex-start;gap:var(--_space);width:min(360px,calc(100vw - 32px));padding:12px 14px;
border-radius:var(--_radius);background:var(--_surface);color:var(--_text);box-shadow:var(--_shadow);
border-inline-start:4px solid var(--_accent);animation:cairn-in .35s cubic-bezier(.2,.9,.3,1.2);will-change:transform,opacity}
.badge{flex:none;display:inline-grid;place-items:center;width:40px;height:40px;border-radius:50%;
background:radial-gradient(circle at 35% 30%,rgba(255,255,255,.35),transparent 60%),var(--_accent);
color:var(--_on-accent);box-shadow:0 0 0 3px var(--_surface),0 0 0 5px var(--_ribbon);font-size:20px;line-height:1;object-fit:cover}
.badge.locked{filter:grayscale(1);opacity:.45;box-shadow:none}
.text{display:flex;flex-direction:column;flex:1;min-width:0;gap:2px}
.title{font-weight:700;font-size:15px}
.caption{color:var(--_muted);font-size:13px}
.actions{display:flex;gap:8px;margin-block-start:6px;flex-wrap:wrap}
button,a{font:inherit;color:inherit;cursor:pointer}
.actions button{all:unset;box-sizing:border-box;cursor:pointer;font-size:13px;padding:4px 10px;border-radius:999px;border:1px solid var(--_border);color:var(--_text)}
.dismiss,.close{all:unset;cursor:pointer;font-size:20px;line-height:1;padding:2px 8px;border-radius:6px;color:var(--_muted)}
button:focus-visible,a:focus-visible{outline:2px solid var(--_accent);outline-offset:2px}
.card{border:0;padding:20px;border-radius:var(--_radius);background:var(--_surface);color:var(--_text);box-shadow:var(--_shadow);
font:var(--_font);width:min(440px,calc(100vw - 32px));max-height:min(640px,calc(100vh - 32px));overflow:auto}
.card::backdrop{background:rgba(0,0,0,.35)}
.card-head{display:flex;align-items:center;gap:var(--_space);margin-block-end:8px}
.card-head h2{flex:1;margin:0;font-size:18px}
.card h3{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--_muted);margin:16px 0 8px}
.item .secondary{all:unset;box-sizing:border-box;cursor:pointer;padding:4px 10px;border-radius:999px;border:1px solid var(--_border);color:var(--_text);align-self:flex-start;font-size:12px;margin-block-start:4px}
[hidden]{display:none!important}
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
@media (prefers-reduced-motion:reduce){.toast{animation:none;will-change:auto;box-shadow:0 0 0 2px var(--_accent),0 0 28px var(--_accent)}.fill{transition:none}}
"#;

/// Styles of the share card only, adopted beside [`STYLES`] by the share card's module
/// (`web/share-card`) when it builds the card: the widget's first load does not carry them.
pub const CARD_STYLES: &str = r#"
.card-award{font-weight:700;margin:0 0 8px}
.field{display:flex;flex-direction:column;gap:4px;font-size:13px;color:var(--_muted)}
textarea,input{font:inherit;color:var(--_text);background:var(--_surface);border:1px solid var(--_border);border-radius:8px;padding:8px}
textarea{resize:vertical}
textarea:focus-visible,input:focus-visible{outline:2px solid var(--_accent);outline-offset:2px}
.publish-step{margin-block-start:12px;display:flex;flex-direction:column;gap:8px}
.share-actions{display:flex;flex-wrap:wrap;gap:8px;margin-block-start:12px}
.share-actions button,.share-actions a,.publish-step .primary{all:unset;box-sizing:border-box;cursor:pointer;font-size:13px;padding:4px 10px;border-radius:999px;border:1px solid var(--_border);color:var(--_text)}
.share-actions .primary,.publish-step .primary{background:var(--_accent);color:var(--_on-accent);border-color:var(--_accent)}
.publish-step .primary{align-self:flex-start}
.hint{font-size:12px;color:var(--_muted);margin:4px 0}
.error{font-size:13px;color:var(--_text);margin:0}
.error:empty{display:none}
"#;

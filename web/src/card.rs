//! The share card's place in the widget. The card itself (the message, the share links, the
//! consent step to make a badge public) is a module of its own, `web/share-card`: a page whose
//! users never share never loads it. It is loaded the first time a user shows they may share
//! (points at or focuses a toast's Share button) or shares, through `share-card.js` beside the
//! loader, and builds its dialog in the floating layer under a reactive runtime of its own.
//!
//! From then on this side tells it what to show whenever that changes (the award being shared,
//! its public page, whether a publish is under way or failed, the language) as one plain
//! object, and carries out what it asks: publish, revoke, closed. Until it has loaded, only the
//! latest state waits; a load that fails is retried on the next share.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use reactive_graph::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, Url};

use crate::convert::{Build, ToJs};
use crate::dom::warn;
use crate::html::effect;
use crate::view::{Publish, Ui};

#[wasm_bindgen(
    inline_js = "export function card_here(u, r, s, p, c) { return import(u).then((m) => m.card(r, s, p, c)); }"
)]
extern "C" {
    /// Loads the share card (`share-card.js` at `url`) into `root`; resolves to the function
    /// that takes what it shows (and `"stop"`).
    fn card_here(
        url: &str,
        root: &Element,
        share_url: &str,
        publish: &Function,
        close: &Function,
    ) -> Promise;
}

/// Where the card is.
enum Loaded {
    /// Not asked for yet, or its last load failed.
    No,
    Loading,
    /// Loaded: the function that takes what it shows.
    Yes(Function),
}

/// The share card seen from the widget: its loading, the latest state it was told, and the
/// callbacks it calls.
struct Card {
    /// `share-card.js` beside the loader (`None` without a loader: no card then).
    url: Option<String>,
    /// The floating layer's root, where the card builds its dialog.
    root: Element,
    share_url: String,
    loaded: RefCell<Loaded>,
    /// What the card shows, as last told.
    state: RefCell<JsValue>,
    ui: Ui,
    /// `[what, id, message, name]`: `"make"` with the award's id, or `"revoke"` with the share's.
    publish: Closure<dyn Fn(JsValue)>,
    close: Closure<dyn Fn()>,
}

thread_local! {
    /// The widget's share card (one widget per page).
    static CARD: RefCell<Option<Rc<Card>>> = const { RefCell::new(None) };
}

/// Sets up the share card of the layer whose root is `root` (loaded later, on demand), and
/// tells it `ui`'s sharing state whenever that changes. `script` is the loader's URL; run
/// under the widget's owner.
pub fn bind(ui: Ui, root: Element, script: Option<&str>, share_url: String) {
    let url = script
        .and_then(|s| Url::new_with_base("share-card.js", s).ok())
        .map(|u| u.href());
    let publish = Closure::<dyn Fn(JsValue)>::new(move |args: JsValue| {
        let args = js_sys::Array::from(&args);
        let text = |i| args.get(i).as_string().unwrap_or_default();
        let id = text(1);
        ui.publish(if text(0) == "revoke" {
            Publish::Revoke { share_id: id }
        } else {
            Publish::Make {
                award_id: id,
                message: text(2),
                name: text(3),
            }
        });
    });
    let close = Closure::<dyn Fn()>::new(move || {
        if ui.sharing.with_untracked(Option::is_some) {
            ui.sharing.set(None);
        }
    });
    let card = Rc::new(Card {
        url,
        root,
        share_url,
        loaded: RefCell::new(Loaded::No),
        state: RefCell::new(JsValue::NULL),
        ui,
        publish,
        close,
    });
    CARD.with(|c| c.replace(Some(Rc::clone(&card))));
    effect(move || {
        let award = ui.sharing.get();
        let public = award.as_ref().and_then(|a| ui.public_share(&a.id));
        let state = Build::new()
            .set("award", &award)
            .set("public", &public)
            .set("busy", &ui.share_busy.get())
            .set("failed", &ui.share_failed.get())
            .set("lang", ui.strings.get().lang)
            .done();
        card.tell(state, award.is_some());
    });
}

/// Starts loading the card if it is not loaded (a user about to share).
pub fn preload() {
    if let Some(card) = CARD.with(|c| c.borrow().clone()) {
        card.load();
    }
}

/// Removes the card and ends its bindings (the widget's `shutdown`).
pub fn stop() {
    if let Some(card) = CARD.with(RefCell::take)
        && let Loaded::Yes(f) = &*card.loaded.borrow()
    {
        let _ = f.call1(&JsValue::NULL, &"stop".into());
    }
}

impl Card {
    /// Tells the card `state`, loading it first if it is needed now (`wanted`: a share).
    fn tell(self: &Rc<Self>, state: JsValue, wanted: bool) {
        self.state.replace(state);
        let ready = match &*self.loaded.borrow() {
            Loaded::Yes(f) => Some(f.clone()),
            _ => None,
        };
        match ready {
            Some(f) => {
                let state = self.state.borrow().clone();
                let _ = f.call1(&JsValue::NULL, &state);
            }
            None if wanted => self.load(),
            None => {}
        }
    }

    fn load(self: &Rc<Self>) {
        if !matches!(*self.loaded.borrow(), Loaded::No) {
            return;
        }
        let Some(url) = self.url.as_deref() else {
            warn(
                "cairn: the share card is loaded beside the loader; without the loader, there is none",
            );
            return;
        };
        self.loaded.replace(Loaded::Loading);
        let loading = card_here(
            url,
            &self.root,
            &self.share_url,
            self.publish.as_ref().unchecked_ref(),
            self.close.as_ref().unchecked_ref(),
        );
        let card = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let result = JsFuture::from(loading).await;
            // Stopped meanwhile: a card that loaded is stopped at once.
            let Some(card) = card
                .upgrade()
                .filter(|c| CARD.with(|k| k.borrow().as_ref().is_some_and(|k| Rc::ptr_eq(k, c))))
            else {
                if let Ok(f) = result.and_then(|f| f.dyn_into::<Function>()) {
                    let _ = f.call1(&JsValue::NULL, &"stop".into());
                }
                return;
            };
            match result.and_then(|f| f.dyn_into::<Function>()) {
                Ok(f) => {
                    card.loaded.replace(Loaded::Yes(f.clone()));
                    let state = card.state.borrow().clone();
                    let _ = f.call1(&JsValue::NULL, &state);
                }
                Err(_) => {
                    warn("cairn: the share card could not be loaded; sharing again retries");
                    card.loaded.replace(Loaded::No);
                    if card.ui.sharing.with_untracked(Option::is_some) {
                        card.ui.sharing.set(None);
                    }
                }
            }
        });
    }
}

/// The part of a public share the card shows, as the API writes it (`ShareView`).
impl ToJs for crate::logic::PublicShare {
    fn to_js(&self) -> JsValue {
        Build::new()
            .set("share_id", &self.share_id)
            .set("award_id", &self.award_id)
            .set("url", &self.url)
            .set("linkedin_add_url", &self.linkedin_add_url)
            .done()
    }
}

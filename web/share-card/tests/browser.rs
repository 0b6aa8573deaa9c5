//! The share card's module in real headless Chromium (`cargo test -p cairn-share-card --target
//! wasm32-unknown-unknown`, run by `cargo xtask test`): told what to show, it opens on an award,
//! keeps what the user writes while a publish comes and goes, asks to publish and revoke with
//! what the user wrote, shows the public page once there is one, says it closed, ignores an
//! unreadable award and leaves nothing behind on `"stop"`.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use cairn_share_card::card;
use js_sys::{Array, Function};
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::{
    Element, HtmlDialogElement, HtmlElement, HtmlInputElement, HtmlTextAreaElement, ShadowRoot,
    ShadowRootInit, ShadowRootMode,
};

wasm_bindgen_test_configure!(run_in_browser);

/// Waits, frame by frame (at most a second), until `done` holds; panics with `what` if it never does.
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..60 {
        if done() {
            return;
        }
        let frame = js_sys::Promise::new(&mut |resolve, _| {
            let _ = web_sys::window().unwrap().request_animation_frame(&resolve);
        });
        wasm_bindgen_futures::JsFuture::from(frame).await.unwrap();
    }
    panic!("never happened: {what}");
}

fn state(value: Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap()
}

fn award() -> Value {
    json!({
        "id": "aw_1", "milestone": "projects.1", "kind": "usage", "tier": "early", "scope": "user",
        "title": "First project!", "badge": {"icon": "medal", "alt": "A medal"},
        "channels": ["confetti", "badge"], "achieved_at": "2026-01-01T00:00:00Z", "value": 1,
        "celebrate": true
    })
}

/// A card in a fresh shadow root, the function that tells it what to show, and what it asked
/// (each `publish` call's arguments; `"closed"` for each `close`).
struct Card {
    root: ShadowRoot,
    tell: Function,
    asked: Rc<RefCell<Vec<Vec<String>>>>,
    _publish: Closure<dyn Fn(JsValue)>,
    _close: Closure<dyn Fn()>,
}

impl Card {
    fn new() -> Self {
        let document = web_sys::window().unwrap().document().unwrap();
        let host = document.create_element("div").unwrap();
        document.body().unwrap().append_child(&host).unwrap();
        let root = host
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
            .unwrap();
        let layer = document.create_element("div").unwrap();
        root.append_child(&layer).unwrap();
        let asked: Rc<RefCell<Vec<Vec<String>>>> = Rc::default();
        let publish = {
            let asked = Rc::clone(&asked);
            Closure::<dyn Fn(JsValue)>::new(move |args: JsValue| {
                let args = Array::from(&args)
                    .iter()
                    .map(|a| a.as_string().unwrap())
                    .collect();
                asked.borrow_mut().push(args);
            })
        };
        let close = {
            let asked = Rc::clone(&asked);
            Closure::<dyn Fn()>::new(move || asked.borrow_mut().push(vec!["closed".into()]))
        };
        let tell = card(
            layer,
            "https://app.example/welcome".into(),
            publish.as_ref().clone().unchecked_into(),
            close.as_ref().clone().unchecked_into(),
        );
        Self {
            root,
            tell,
            asked,
            _publish: publish,
            _close: close,
        }
    }

    fn tell(&self, value: &JsValue) {
        self.tell.call1(&JsValue::NULL, value).unwrap();
    }

    fn find(&self, css: &str) -> Option<Element> {
        self.root.query_selector(css).unwrap()
    }

    fn get<T: JsCast>(&self, css: &str) -> T {
        self.find(css)
            .unwrap_or_else(|| panic!("no {css}"))
            .unchecked_into()
    }

    fn dialog(&self) -> HtmlDialogElement {
        self.get("dialog.share-card")
    }

    fn asked(&self) -> Vec<Vec<String>> {
        self.asked.borrow().clone()
    }
}

fn showing(award: Value, public: Value, busy: bool) -> JsValue {
    state(json!({"award": award, "public": public, "busy": busy, "failed": false, "lang": "en"}))
}

fn type_into(field: &HtmlElement, text: &str) {
    if let Some(t) = field.dyn_ref::<HtmlTextAreaElement>() {
        t.set_value(text);
    } else {
        field.unchecked_ref::<HtmlInputElement>().set_value(text);
    }
    field
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn opens_keeps_the_message_publishes_and_shows_the_public_page() {
    let c = Card::new();
    assert!(!c.dialog().open(), "built closed");

    c.tell(&showing(award(), Value::Null, false));
    until("the card opens on the award", || c.dialog().open()).await;
    let message: HtmlTextAreaElement = c.get("textarea");
    assert_eq!(message.value(), "I just earned “First project!”!");
    assert_eq!(
        c.get::<HtmlElement>(".card-award").text_content().unwrap(),
        "First project!"
    );

    // The user writes; a publish starts (the same award told again): what they wrote stays.
    type_into(message.unchecked_ref(), "Ten more to go");
    type_into(&c.get("[part=share-name]"), "Ada");
    c.get::<HtmlElement>("[part=share-publish]").click();
    assert_eq!(
        c.asked(),
        vec![vec!["make", "aw_1", "Ten more to go", "Ada"]],
        "publish carries the id, the message and the name"
    );
    c.tell(&showing(award(), Value::Null, true));
    let publish: HtmlElement = c.get("[part=share-publish]");
    until("the publish button is disabled while busy", || {
        publish.has_attribute("disabled")
    })
    .await;
    assert_eq!(message.value(), "Ten more to go");
    let x = c.get::<web_sys::HtmlAnchorElement>("[part=share-x]").href();
    assert!(x.contains("Ten%20more%20to%20go"), "{x}");
    assert!(x.contains("https%3A%2F%2Fapp.example%2Fwelcome"), "{x}");

    // Public now: its page, LinkedIn's "Add to profile", and "Make private".
    let public = json!({"share_id": "sh_1", "award_id": "aw_1", "url": "https://cairn.example/b/sh_1",
        "linkedin_add_url": "https://www.linkedin.com/profile/add?name=x"});
    c.tell(&showing(award(), public, false));
    let url: HtmlInputElement = c.get("[part=share-public-url]");
    until("the public page is shown", || {
        url.value() == "https://cairn.example/b/sh_1"
    })
    .await;
    assert_eq!(message.value(), "Ten more to go");
    assert!(
        c.get::<HtmlElement>(".publish").hidden(),
        "the consent step is gone"
    );
    let x = c.get::<web_sys::HtmlAnchorElement>("[part=share-x]").href();
    assert!(x.contains("https%3A%2F%2Fcairn.example%2Fb%2Fsh_1"), "{x}");
    c.get::<HtmlElement>("[part=share-unpublish]").click();
    assert_eq!(c.asked()[1], vec!["revoke", "sh_1", "", ""]);

    // Closed by its button: it says so.
    c.get::<HtmlElement>(".close").click();
    until("the card closes", || !c.dialog().open()).await;
    assert_eq!(c.asked()[2], vec!["closed"]);
}

#[wasm_bindgen_test]
async fn another_award_starts_over_and_a_bad_one_changes_nothing() {
    let c = Card::new();
    c.tell(&showing(award(), Value::Null, false));
    until("the card opens", || c.dialog().open()).await;
    let message: HtmlTextAreaElement = c.get("textarea");
    type_into(message.unchecked_ref(), "mine");

    // An award without its badge: warned about, ignored.
    let mut bad = award();
    bad.as_object_mut().unwrap().remove("badge");
    c.tell(&showing(bad, Value::Null, false));
    let mut other = award();
    other["id"] = json!("aw_2");
    other["title"] = json!("Ten projects!");
    // Then another award: its own default message, in French as told.
    c.tell(&state(
        json!({"award": other, "public": null, "busy": false, "failed": true, "lang": "fr"}),
    ));
    until("the other award's message", || message.value() != "mine").await;
    assert!(
        message.value().contains("Ten projects!"),
        "{}",
        message.value()
    );
    assert_eq!(
        c.get::<HtmlElement>(".card-award").text_content().unwrap(),
        "Ten projects!"
    );
    let error: HtmlElement = c.get("[part=share-error]");
    assert!(
        !error.text_content().unwrap().is_empty(),
        "the failure is said"
    );
    assert_eq!(
        c.get::<HtmlElement>("#cairn-share-title")
            .text_content()
            .unwrap(),
        "Partagez votre badge",
        "French strings"
    );
    assert_eq!(
        error.text_content().unwrap(),
        "Cela n’a pas marché. Réessayez."
    );

    // Nothing to share: it closes without asking anything.
    c.tell(&showing(Value::Null, Value::Null, false));
    until("the card closes", || !c.dialog().open()).await;
    assert!(c.asked().is_empty(), "{:?}", c.asked());

    // Its styles: a constructable stylesheet of its own in the layer's shadow root.
    assert_eq!(c.root.adopted_style_sheets().length(), 1);
    let actions: HtmlElement = c.get(".share-actions");
    let style = web_sys::window()
        .unwrap()
        .get_computed_style(&actions)
        .unwrap()
        .unwrap();
    assert_eq!(style.get_property_value("display").unwrap(), "flex");

    c.tell(&"stop".into());
    assert!(c.find("dialog").is_none(), "stopped: the dialog is gone");
    assert_eq!(c.root.adopted_style_sheets().length(), 0, "and its styles");
    // Told again after stopping: nothing comes back.
    c.tell(&showing(award(), Value::Null, false));
    assert!(c.find("dialog").is_none());
}

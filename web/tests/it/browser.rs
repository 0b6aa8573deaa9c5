//! The floating layer in real headless Chromium.

use std::cell::RefCell;
use std::rc::Rc;

use cairn_widget::Widget;
use cairn_wire::AwardView;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

fn award(id: &str, title: &str) -> AwardView {
    serde_json::from_value(serde_json::json!({
        "id": id, "milestone": "projects.1", "kind": "usage", "tier": "early", "scope": "user",
        "title": title, "badge": {"icon": "medal", "alt": "A medal"}, "channels": ["confetti", "badge"],
        "achieved_at": "2026-01-01T00:00:00Z", "value": 1, "celebrate": true,
        "cta": {"kind": "next_feature", "label": "Try the next feature"}
    }))
    .unwrap()
}

async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .request_animation_frame(&resolve)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

fn shadow_of_last_host() -> ShadowRoot {
    let hosts = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .query_selector_all("cairn-layer")
        .unwrap();
    let host: Element = hosts.get(hosts.length() - 1).unwrap().unchecked_into();
    host.shadow_root().expect("open shadow root")
}

/// A widget against an API nobody answers, and its layer's shadow root.
fn mount() -> (Rc<Widget>, ShadowRoot) {
    let widget = Widget::mount(
        "pk_test".into(),
        "http://127.0.0.1:1".into(),
        &JsValue::UNDEFINED,
        None,
    )
    .unwrap();
    (widget, shadow_of_last_host())
}

fn titles(shadow: &ShadowRoot) -> Vec<String> {
    let nodes = shadow.query_selector_all(".toast .title").unwrap();
    (0..nodes.length())
        .map(|i| nodes.get(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn mounts_an_isolated_layer() {
    let (_widget, shadow) = mount();
    // Styled by one adopted stylesheet, with no inline `<style>` a strict CSP would block.
    assert!(shadow.query_selector("style").unwrap().is_none());
    assert_eq!(shadow.adopted_style_sheets().length(), 1);
    assert!(shadow.query_selector("canvas.confetti").unwrap().is_some());
    let region = shadow
        .query_selector("[aria-live]")
        .unwrap()
        .expect("a live region");
    assert_eq!(region.get_attribute("aria-live").as_deref(), Some("polite"));
    assert_eq!(region.get_attribute("role").as_deref(), Some("status"));
    let stack = shadow
        .query_selector(".toasts")
        .unwrap()
        .expect("toast stack");
    assert_eq!(stack.get_attribute("popover").as_deref(), Some("manual"));
    // Nothing of the widget is reachable from the host document's selectors.
    let document = web_sys::window().unwrap().document().unwrap();
    assert!(document.query_selector(".toasts").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn celebrating_shows_a_toast_launches_confetti_and_tells_the_host() {
    let (widget, shadow) = mount();
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let listener = {
        let seen = Rc::clone(&seen);
        Closure::<dyn Fn(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            let title = js_sys::Reflect::get(&e.detail(), &"title".into()).unwrap();
            seen.borrow_mut().push(title.as_string().unwrap());
        })
    };
    let window = web_sys::window().unwrap();
    window
        .add_event_listener_with_callback("cairn:award", listener.as_ref().unchecked_ref())
        .unwrap();

    widget.celebrate(&award("aw_1", "First project!"));
    for _ in 0..3 {
        next_frame().await;
    }
    assert_eq!(titles(&shadow), ["First project!"]);
    assert_eq!(*seen.borrow(), ["First project!"]);
    let live = shadow.query_selector("[aria-live]").unwrap().unwrap();
    assert_eq!(
        live.text_content().unwrap(),
        "New badge: First project!",
        "announced"
    );
    let canvas = shadow.query_selector("canvas.confetti").unwrap().unwrap();
    assert!(
        canvas.matches(":popover-open").unwrap(),
        "confetti is in the top layer (drawn by the painter, tested in web/painter and end to end)"
    );
    let cta = shadow
        .query_selector(".toast .cta")
        .unwrap()
        .expect("the tier's call to action");
    assert_eq!(cta.text_content().unwrap(), "Try the next feature");

    // Dismissing removes the toast.
    let button: HtmlElement = shadow
        .query_selector(".toast .dismiss")
        .unwrap()
        .unwrap()
        .unchecked_into();
    button.click();
    next_frame().await;
    assert!(titles(&shadow).is_empty());
    window
        .remove_event_listener_with_callback("cairn:award", listener.as_ref().unchecked_ref())
        .unwrap();
}

#[wasm_bindgen_test]
async fn a_toast_keeps_its_element_while_others_come_and_go() {
    let (widget, shadow) = mount();
    let toast = |title: &str| -> Element {
        let nodes = shadow.query_selector_all(".toast").unwrap();
        (0..nodes.length())
            .map(|i| nodes.get(i).unwrap().unchecked_into::<Element>())
            .find(|t| {
                t.query_selector(".title")
                    .unwrap()
                    .unwrap()
                    .text_content()
                    .unwrap()
                    == title
            })
            .unwrap_or_else(|| panic!("a toast titled {title}"))
    };
    widget.celebrate(&award("aw_1", "First"));
    next_frame().await;
    let first = toast("First");
    widget.celebrate(&award("aw_2", "Second"));
    next_frame().await;
    assert_eq!(titles(&shadow), ["First", "Second"]);
    assert!(
        first.is_same_node(Some(&toast("First"))),
        "the first toast was not rebuilt"
    );
    let second = toast("Second");
    let dismiss: HtmlElement = first
        .query_selector(".dismiss")
        .unwrap()
        .unwrap()
        .unchecked_into();
    dismiss.click();
    next_frame().await;
    assert_eq!(titles(&shadow), ["Second"]);
    assert!(second.is_same_node(Some(&toast("Second"))));
    assert!(!first.is_connected(), "the dismissed toast left the page");
}

#[wasm_bindgen_test]
async fn a_rehearsal_leaves_nothing_behind_and_tells_nobody() {
    let (widget, shadow) = mount();
    let window = web_sys::window().unwrap();
    let awards = Rc::new(std::cell::Cell::new(0));
    let on_award = {
        let awards = Rc::clone(&awards);
        Closure::<dyn Fn()>::new(move || awards.set(awards.get() + 1))
    };
    window
        .add_event_listener_with_callback("cairn:award", on_award.as_ref().unchecked_ref())
        .unwrap();
    // The stack goes into the top layer and out of it, in the same task.
    let toggles: Rc<RefCell<Vec<String>>> = Rc::default();
    let on_toggle = {
        let toggles = Rc::clone(&toggles);
        Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
            let state = js_sys::Reflect::get(&e, &"newState".into()).unwrap();
            toggles.borrow_mut().push(state.as_string().unwrap());
        })
    };
    let stack = shadow.query_selector(".toasts").unwrap().unwrap();
    stack
        .add_event_listener_with_callback("beforetoggle", on_toggle.as_ref().unchecked_ref())
        .unwrap();
    let nodes = || shadow.query_selector_all("*").unwrap().length();
    let (nodes_before, kept_before) = (nodes(), cairn_widget::html::kept());

    widget.rehearse();
    assert_eq!(
        *toggles.borrow(),
        ["open", "closed"],
        "shown and hidden at once"
    );
    next_frame().await;
    next_frame().await;
    assert_eq!(nodes(), nodes_before, "no element left");
    assert_eq!(cairn_widget::html::kept(), kept_before, "no binding left");
    assert!(titles(&shadow).is_empty(), "no toast");
    let live = shadow.query_selector("[aria-live]").unwrap().unwrap();
    assert_eq!(live.text_content().unwrap(), "", "nothing announced");
    assert!(!stack.matches(":popover-open").unwrap());
    let canvas = shadow.query_selector("canvas.confetti").unwrap().unwrap();
    assert!(!canvas.matches(":popover-open").unwrap(), "no burst");
    assert_eq!(awards.get(), 0, "the host hears of no award");

    // The first real celebration is as ever (its toast takes the first id), and a rehearsal
    // after it does nothing.
    widget.celebrate(&award("aw_1", "First project!"));
    next_frame().await;
    assert_eq!(titles(&shadow), ["First project!"]);
    let first = shadow.query_selector(".toast").unwrap().unwrap();
    assert_eq!(first.get_attribute("data-toast-id").as_deref(), Some("0"));
    let (nodes_after, kept_after) = (nodes(), cairn_widget::html::kept());
    widget.rehearse();
    next_frame().await;
    assert_eq!(
        (nodes(), cairn_widget::html::kept()),
        (nodes_after, kept_after)
    );
    assert_eq!(
        *toggles.borrow(),
        ["open", "closed", "open"],
        "the real toast's own open, and no more"
    );
    assert_eq!(awards.get(), 1);
    window
        .remove_event_listener_with_callback("cairn:award", on_award.as_ref().unchecked_ref())
        .unwrap();
}

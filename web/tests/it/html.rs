//! The components' DOM builder in headless Chromium: bindings follow their signals, a region
//! that re-renders takes its old bindings with it, listeners end with their owner, and nothing
//! a view kept alive outlives it.

use std::cell::Cell;
use std::rc::Rc;

use cairn_widget::html::{El, el, kept};
use reactive_graph::owner::Owner;
use reactive_graph::prelude::*;
use reactive_graph::signal::RwSignal;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

/// Effects re-run on the executor: give it a turn.
async fn settle() {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback(&resolve)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

fn html(el: &El) -> String {
    el.0.outer_html()
}

#[wasm_bindgen_test]
async fn bound_text_and_attributes_follow_their_signals() {
    settle().await;
    let owner = Owner::new();
    let name = RwSignal::new(String::from("Ada"));
    let title = RwSignal::new(Some(String::from("first")));
    let p = owner.with(|| {
        el("p")
            .class("who")
            .attr_with("title", move || title.get())
            .text("Hi ")
            .text_with(move || name.get())
    });
    // The first run is immediate: the element is complete when built.
    assert_eq!(html(&p), r#"<p class="who" title="first">Hi Ada</p>"#);
    name.set("Grace".into());
    title.set(None);
    settle().await;
    assert_eq!(html(&p), r#"<p class="who">Hi Grace</p>"#);
    // Once the owner is gone, so are the bindings.
    drop(owner);
    name.set("Linus".into());
    settle().await;
    assert_eq!(html(&p), r#"<p class="who">Hi Grace</p>"#);
}

#[wasm_bindgen_test]
async fn a_region_rebuilds_in_place_and_drops_the_old_bindings() {
    settle().await;
    let before = kept();
    let owner = Owner::new();
    let which = RwSignal::new(1_u32);
    let word = RwSignal::new(String::from("a"));
    let runs = Rc::new(Cell::new(0));
    let counted = Rc::clone(&runs);
    let list = owner.with(|| {
        el("ul")
            .child(el("li").text("first"))
            .children_with(move || {
                let n = which.get();
                let counted = Rc::clone(&counted);
                (0..n)
                    .map(|i| {
                        let counted = Rc::clone(&counted);
                        el("li").attr("data-i", &i.to_string()).text_with(move || {
                            counted.set(counted.get() + 1);
                            word.get()
                        })
                    })
                    .collect()
            })
            .child(el("li").text("last"))
    });
    assert_eq!(
        html(&list),
        r#"<ul><li>first</li><li data-i="0">a</li><li>last</li></ul>"#
    );
    assert_eq!(runs.get(), 1);
    which.set(2);
    settle().await;
    assert_eq!(
        html(&list),
        r#"<ul><li>first</li><li data-i="0">a</li><li data-i="1">a</li><li>last</li></ul>"#
    );
    assert_eq!(runs.get(), 3, "the two new items' bindings ran once each");
    // Only the live items' bindings react: the first build's one was dropped.
    word.set("b".into());
    settle().await;
    assert_eq!(runs.get(), 5);
    assert_eq!(
        html(&list),
        r#"<ul><li>first</li><li data-i="0">b</li><li data-i="1">b</li><li>last</li></ul>"#
    );
    which.set(0);
    settle().await;
    assert_eq!(html(&list), "<ul><li>first</li><li>last</li></ul>");
    word.set("c".into());
    settle().await;
    assert_eq!(runs.get(), 5, "no binding of a removed item runs");
    // The fixed items keep nothing, and the region's items are gone: only the region is kept.
    assert_eq!(kept(), before + 1);
    which.set(3);
    settle().await;
    assert_eq!(
        kept(),
        before + 4,
        "the region and its three items' bindings"
    );
    // Dropping the region's effect releases what its items kept, from inside a cleanup.
    drop(owner);
    assert_eq!(kept(), before, "nothing outlives the owner");
}

#[wasm_bindgen_test]
async fn listeners_end_with_their_owner() {
    settle().await;
    let before = kept();
    let owner = Owner::new();
    let clicks = Rc::new(Cell::new(0));
    let counted = Rc::clone(&clicks);
    let button = owner.with(|| el("button").on("click", move |_| counted.set(counted.get() + 1)));
    let button: HtmlElement = button.0.unchecked_into();
    button.click();
    button.click();
    assert_eq!(clicks.get(), 2);
    assert_eq!(kept(), before + 1, "the listener");
    drop(owner);
    assert_eq!(kept(), before);
    // Removed from the element, not merely dropped: a click now calls nothing. (A listener
    // dropped but still attached would throw, which the page sees as an error event.)
    let errors = Rc::new(Cell::new(0));
    let seen = Rc::clone(&errors);
    let on_error = Closure::<dyn Fn()>::new(move || seen.set(seen.get() + 1));
    let window = web_sys::window().unwrap();
    window
        .add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref())
        .unwrap();
    button.click();
    window
        .remove_event_listener_with_callback("error", on_error.as_ref().unchecked_ref())
        .unwrap();
    assert_eq!(clicks.get(), 2);
    assert_eq!(errors.get(), 0, "no dropped listener was called");
}

//! The painter in real headless Chromium (`cargo test -p cairn-painter --target
//! wasm32-unknown-unknown`, run by `cargo xtask test`): a burst message drawn on a page's
//! canvas, its end answered with its number, `"stop"` clearing it.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use cairn_confetti::{BurstMessage, BurstOptions, Shape};
use cairn_painter::confetti_local;
use js_sys::{Float64Array, Function, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, OffscreenCanvasRenderingContext2d};

wasm_bindgen_test_configure!(run_in_browser);

async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .request_animation_frame(&resolve)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

fn canvas() -> HtmlCanvasElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let canvas: HtmlCanvasElement = document.create_element("canvas").unwrap().unchecked_into();
    document.body().unwrap().append_child(&canvas).unwrap();
    canvas
}

fn painted(canvas: &HtmlCanvasElement) -> usize {
    if canvas.width() == 0 {
        return 0;
    }
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    let data = ctx
        .get_image_data(
            0.0,
            0.0,
            f64::from(canvas.width()),
            f64::from(canvas.height()),
        )
        .unwrap()
        .data();
    data.iter().skip(3).step_by(4).filter(|&&a| a > 0).count()
}

/// A burst as the widget posts it (`web/src/confetti.rs`).
fn burst(seq: f64, options: BurstOptions) -> JsValue {
    let (numbers, colors, shapes) = BurstMessage {
        seq,
        width: 400.0,
        height: 300.0,
        dpr: 1.0,
        options,
    }
    .encode();
    let message = Object::new();
    Reflect::set(
        &message,
        &"n".into(),
        &Float64Array::from(numbers.as_slice()),
    )
    .unwrap();
    Reflect::set(&message, &"c".into(), &colors.into()).unwrap();
    Reflect::set(&message, &"s".into(), &shapes.into()).unwrap();
    message.into()
}

/// The painter's `ended` callback, and the numbers of the bursts it was told ended.
fn ends() -> (Function, Rc<RefCell<Vec<f64>>>) {
    let ended: Rc<RefCell<Vec<f64>>> = Rc::default();
    let on_end = {
        let ended = Rc::clone(&ended);
        Closure::<dyn Fn(f64)>::new(move |seq| ended.borrow_mut().push(seq))
            .into_js_value()
            .unchecked_into()
    };
    (on_end, ended)
}

/// Waits (a second of frames at most) for a burst to be told ended.
async fn until_ended(ended: &RefCell<Vec<f64>>) {
    for _ in 0..120 {
        if !ended.borrow().is_empty() {
            break;
        }
        next_frame().await;
    }
}

/// A painter on a fresh canvas, and the numbers of the bursts it said ended.
fn painter() -> (HtmlCanvasElement, Function, Rc<RefCell<Vec<f64>>>) {
    let (on_end, ended) = ends();
    let canvas = canvas();
    let apply = confetti_local(canvas.clone().into(), on_end);
    (canvas, apply, ended)
}

#[wasm_bindgen_test]
async fn a_burst_is_drawn_and_its_end_is_told_with_its_number() {
    let (canvas, apply, ended) = painter();
    let options = BurstOptions {
        duration: 0.4,
        shapes: vec![Shape::Square, Shape::Circle, Shape::Emoji("🎉".into())],
        ..BurstOptions::default()
    };
    apply.call1(&JsValue::NULL, &burst(7.0, options)).unwrap();
    assert_eq!(
        (canvas.width(), canvas.height()),
        (400, 300),
        "sized to the viewport"
    );
    next_frame().await;
    next_frame().await;
    assert!(painted(&canvas) > 100, "the burst drew");
    // A 0.4 s burst ends within a second of frames; its end names it.
    until_ended(&ended).await;
    assert_eq!(*ended.borrow(), [7.0]);
    assert_eq!(painted(&canvas), 0, "nothing is left on the canvas");
}

#[wasm_bindgen_test]
async fn a_canvas_already_handed_over_is_drawn_from_the_main_thread() {
    // The widget hands its canvas's drawing over at the rehearsal; where the page then draws
    // itself (a policy that blocks the confetti frame), its painter gets that drawing.
    let canvas = canvas();
    let offscreen = canvas.transfer_control_to_offscreen().unwrap();
    let (on_end, ended) = ends();
    let apply = confetti_local(offscreen.clone().into(), on_end);
    let options = BurstOptions {
        duration: 0.4,
        ..BurstOptions::default()
    };
    apply.call1(&JsValue::NULL, &burst(3.0, options)).unwrap();
    assert_eq!((offscreen.width(), offscreen.height()), (400, 300));
    next_frame().await;
    next_frame().await;
    let ctx: OffscreenCanvasRenderingContext2d = offscreen
        .get_context("2d")
        .unwrap()
        .unwrap()
        .unchecked_into();
    let alpha = |ctx: &OffscreenCanvasRenderingContext2d| {
        let data = ctx.get_image_data(0.0, 0.0, 400.0, 300.0).unwrap().data();
        data.iter().skip(3).step_by(4).filter(|&&a| a > 0).count()
    };
    assert!(
        alpha(&ctx) > 100,
        "the burst drew on the handed-over canvas"
    );
    until_ended(&ended).await;
    assert_eq!(*ended.borrow(), [3.0]);
    assert_eq!(alpha(&ctx), 0, "nothing is left");
}

#[wasm_bindgen_test]
async fn stop_clears_a_burst_in_flight_and_draws_no_more() {
    let (canvas, apply, ended) = painter();
    apply
        .call1(&JsValue::NULL, &burst(1.0, BurstOptions::default()))
        .unwrap();
    next_frame().await;
    next_frame().await;
    assert!(painted(&canvas) > 100);
    apply.call1(&JsValue::NULL, &"stop".into()).unwrap();
    assert_eq!(painted(&canvas), 0, "cleared at once");
    next_frame().await;
    next_frame().await;
    assert_eq!(painted(&canvas), 0, "and no frame drew after");
    assert!(ended.borrow().is_empty(), "a stopped burst did not end");
}

#[wasm_bindgen_test]
async fn what_is_not_a_message_is_ignored() {
    let (canvas, apply, _ended) = painter();
    for junk in [
        JsValue::NULL,
        JsValue::from(3),
        JsValue::from("burst"),
        Object::new().into(),
        js_sys::JSON::parse(r#"{"n": [1, 2, 3], "c": "red", "s": "square"}"#).unwrap(),
    ] {
        apply.call1(&JsValue::NULL, &junk).unwrap();
    }
    next_frame().await;
    assert_eq!(painted(&canvas), 0);
}

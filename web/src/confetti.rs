//! Confetti on the browser's compositor: when a burst starts, the simulation ([`Confetti`])
//! computes every particle's whole flight ([`crate::logic::Flight`]: gravity, drag, spin, the
//! fade, as two tracks of a few keys with fitted easings), and `confetti.js` gives each
//! particle's element those keyframes through the Web Animations API. Only `transform` and `opacity` are animated, which the compositor runs by
//! itself: no animation-frame callback, no style, layout or paint on the main thread while the
//! burst flies. The main thread works when a burst starts and when it ends (its elements go).
//!
//! The layer is a manual popover: while a burst runs it is in the browser's top layer, above
//! the host page's modals and `<dialog>`s (shown again on each burst so it is the topmost).
//! No worker, no `eval`, no inline style: CSP-safe apart from `'wasm-unsafe-eval'`.

use std::cell::RefCell;

use js_sys::{Array, Float32Array, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

use crate::logic::{BurstOptions, Confetti, Shape, X_KEYS, Y_KEYS};

/// Numbers per particle handed to `confetti.js`: size, colour, shape, life (ms); per key of the
/// horizontal track offset, x, angle, opacity and its easing's two handles; per key of the
/// vertical track offset, y and the two handles.
const STRIDE: usize = 4 + 6 * X_KEYS + 4 * Y_KEYS;

/// Most particles in flight at once: the oldest bursts give way, so a flood of awards never
/// stalls the page.
pub const MAX_PARTICLES: usize = 2_000;

#[wasm_bindgen(module = "/src/confetti.js")]
extern "C" {
    /// Builds one burst in `layer` and starts its animations (see `confetti.js`).
    fn fly(
        layer: &HtmlElement,
        data: &Float32Array,
        colors: &Array,
        kinds: &Uint8Array,
        texts: &Array,
        most: u32,
    );
}

/// The confetti layer of one widget.
pub struct Painter {
    layer: HtmlElement,
    sim: RefCell<Confetti>,
}

impl Painter {
    pub fn new(layer: HtmlElement) -> Self {
        let seed = (js_sys::Math::random() * u64::MAX as f64) as u64;
        Self {
            layer,
            sim: RefCell::new(Confetti::new(BurstOptions::default(), seed)),
        }
    }

    /// Launches a burst with `options` from each of its origins.
    pub fn burst(&self, options: BurstOptions) {
        let window = crate::dom::window();
        let size =
            |v: Result<JsValue, JsValue>, or: f64| v.ok().and_then(|v| v.as_f64()).unwrap_or(or);
        let width = size(window.inner_width(), 800.0);
        let height = size(window.inner_height(), 600.0);
        let (colors, kinds, texts) = shapes_and_colors(&options);
        let flights = {
            let mut sim = self.sim.borrow_mut();
            sim.set_options(options);
            sim.burst_all(width, height);
            let mut flights = sim.take_flights();
            flights.truncate(MAX_PARTICLES);
            flights
        };
        let mut data = Vec::with_capacity(flights.len() * STRIDE);
        for f in &flights {
            let p = &f.particle;
            data.extend([p.size, p.color as f64, p.shape as f64, p.life * 1000.0]);
            for (k, key) in f.x.iter().enumerate() {
                data.extend([
                    key.offset,
                    key.value,
                    f.angle[k],
                    f.opacity[k],
                    key.a,
                    key.b,
                ]);
            }
            for key in &f.y {
                data.extend([key.offset, key.value, key.a, key.b]);
            }
        }
        let data: Vec<f32> = data.into_iter().map(|v| v as f32).collect();
        let _ = self.layer.hide_popover();
        let _ = self.layer.show_popover();
        fly(
            &self.layer,
            &Float32Array::from(data.as_slice()),
            &colors,
            &Uint8Array::from(kinds.as_slice()),
            &texts,
            MAX_PARTICLES as u32,
        );
    }
}

/// The burst's colours, and its shapes as kinds (0 square, 1 circle, 2 text, 3 image) with
/// their text or URL.
fn shapes_and_colors(options: &BurstOptions) -> (Array, Vec<u8>, Array) {
    let colors: Array = options
        .colors
        .iter()
        .map(|c| JsValue::from_str(c))
        .collect();
    let texts = Array::new();
    let kinds = options
        .shapes
        .iter()
        .map(|shape| {
            let (kind, text) = match shape {
                Shape::Square => (0, ""),
                Shape::Circle => (1, ""),
                Shape::Emoji(t) => (2, t.as_str()),
                Shape::Image(url) => (3, url.as_str()),
            };
            texts.push(&JsValue::from_str(text));
            kind
        })
        .collect();
    (colors, kinds, texts)
}

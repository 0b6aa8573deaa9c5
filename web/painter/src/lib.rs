//! Cairn's confetti painter: [`Confetti`]'s simulation drawn on a canvas.
//!
//! A module of its own, apart from the widget, because the page rarely needs it: the confetti
//! worker (`confetti-worker.js`, started by the widget from its own origin or by Cairn's
//! confetti frame) loads it to draw on the canvas the page hands over, and only a page where no
//! worker can draw (a policy that blocks the frame, no `OffscreenCanvas`) loads it on its main
//! thread (`confetti.js`). The widget's own module keeps the options, the message and the
//! layer; the page's first load carries no painter.
//!
//! Both entries speak the same messages: a burst (`{n, c, s}`, a [`BurstMessage`]), an image
//! particle's bitmap (`{url, bitmap}`), or `"stop"`; the painter answers each burst's end with
//! its number.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use cairn_confetti::{BurstMessage, BurstOptions, Confetti, Particle, Shape, sin_cos};
use js_sys::{Array, Float64Array, Function, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{
    CanvasRenderingContext2d, DedicatedWorkerGlobalScope, HtmlCanvasElement, ImageBitmap,
    MessageEvent, OffscreenCanvas,
};

/// The painter's allocator, as the widget's (`web/src/lib.rs`): Talc, faster and smaller than
/// the default dlmalloc.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen]
extern "C" {
    /// The global scope's `requestAnimationFrame`: a window's, or a dedicated worker's.
    #[wasm_bindgen(js_name = requestAnimationFrame)]
    fn request_animation_frame(callback: &Function) -> i32;
    #[wasm_bindgen(js_name = cancelAnimationFrame)]
    fn cancel_animation_frame(id: i32);
}

/// The animation-frame callback: called with the frame's time in ms.
type Tick = Closure<dyn FnMut(f64)>;

/// What the painter draws on.
enum Surface {
    /// A page's canvas, drawn on from its main thread.
    Element(HtmlCanvasElement),
    /// The page's canvas's drawing, handed over to this worker.
    Offscreen(OffscreenCanvas),
}

impl Surface {
    fn resize(&self, width: u32, height: u32) {
        match self {
            Self::Element(c) if c.width() != width || c.height() != height => {
                c.set_width(width);
                c.set_height(height);
            }
            Self::Offscreen(c) if c.width() != width || c.height() != height => {
                c.set_width(width);
                c.set_height(height);
            }
            _ => {}
        }
    }

    fn size(&self) -> (f64, f64) {
        match self {
            Self::Element(c) => (f64::from(c.width()), f64::from(c.height())),
            Self::Offscreen(c) => (f64::from(c.width()), f64::from(c.height())),
        }
    }

    fn context(&self) -> Option<CanvasRenderingContext2d> {
        match self {
            Self::Element(c) => c.get_context("2d").ok()??.dyn_into().ok(),
            // An OffscreenCanvasRenderingContext2D has the same drawing methods and properties
            // (both implement the canvas mixins: state, transform, path, fill, text, image),
            // and wasm-bindgen calls them by name: the painter draws on either through one type.
            Self::Offscreen(c) => Some(c.get_context("2d").ok()??.unchecked_into()),
        }
    }
}

/// `data[key]`, if it is there.
fn get(data: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(data, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn get_string(data: &JsValue, key: &str) -> Option<String> {
    get(data, key)?.as_string()
}

/// The simulation and its drawing, in the page or in the worker.
struct Painter {
    surface: Surface,
    /// The 2D context, taken once.
    ctx: RefCell<Option<CanvasRenderingContext2d>>,
    /// Device pixels per CSS pixel, given with each burst.
    dpr: Cell<f64>,
    sim: RefCell<Confetti>,
    /// Bitmaps of image particles by URL (loaded by the page; drawn once they are here).
    images: RefCell<Vec<(String, ImageBitmap)>>,
    running: Cell<bool>,
    /// The previous frame's time (ms), NaN before a burst's first frame.
    last: Cell<f64>,
    /// The animation-frame callback, made once (a frame creates no JS function), and the
    /// pending request, cancelled if the painter stops or goes away mid-burst.
    tick: RefCell<Option<Tick>>,
    pending: Cell<Option<i32>>,
    /// The number of the last burst given (the page counts them).
    seq: Cell<f64>,
    /// Called with that number when a burst's last particle is gone.
    ended: Box<dyn Fn(f64)>,
}

impl Painter {
    fn new(surface: Surface, ended: Box<dyn Fn(f64)>) -> Rc<Self> {
        let seed = (js_sys::Math::random() * u64::MAX as f64) as u64;
        let painter = Rc::new(Self {
            surface,
            ctx: RefCell::new(None),
            dpr: Cell::new(1.0),
            images: RefCell::new(Vec::new()),
            sim: RefCell::new(Confetti::new(BurstOptions::default(), seed)),
            running: Cell::new(false),
            last: Cell::new(f64::NAN),
            tick: RefCell::new(None),
            pending: Cell::new(None),
            seq: Cell::new(0.0),
            ended,
        });
        let weak = Rc::downgrade(&painter);
        let tick = Closure::new(move |t: f64| {
            if let Some(painter) = weak.upgrade() {
                painter.frame(t);
            }
        });
        *painter.tick.borrow_mut() = Some(tick);
        painter
    }

    fn request_frame(&self) {
        let tick = self.tick.borrow();
        let id = tick
            .as_ref()
            .map(|tick| request_animation_frame(tick.as_ref().unchecked_ref()));
        self.pending.set(id);
    }

    /// Launches a burst in a `width` × `height` viewport (CSS pixels) of `dpr` device pixels
    /// per pixel.
    fn burst(&self, options: BurstOptions, width: f64, height: f64, dpr: f64) {
        let dpr = dpr.max(1.0);
        self.dpr.set(dpr);
        self.surface
            .resize((width * dpr) as u32, (height * dpr) as u32);
        {
            let mut sim = self.sim.borrow_mut();
            sim.set_options(options);
            sim.burst_all(width, height);
        }
        if !self.running.replace(true) {
            self.last.set(f64::NAN);
            self.request_frame();
        }
    }

    /// Carries out a message of the page: a burst (`{n, c, s}`, a [`BurstMessage`]), an image
    /// particle's bitmap (`{url, bitmap}`), or `"stop"` (drop what is in flight, draw nothing
    /// more).
    fn apply(&self, data: &JsValue) {
        let burst = get(data, "n")
            .and_then(|n| n.dyn_into::<Float64Array>().ok())
            .zip(get_string(data, "c").zip(get_string(data, "s")))
            .and_then(|(n, (c, s))| BurstMessage::decode(&n.to_vec(), &c, &s));
        if let Some(m) = burst {
            self.seq.set(m.seq);
            self.burst(m.options, m.width, m.height, m.dpr);
        } else if let (Some(url), Some(bitmap)) = (
            get_string(data, "url"),
            get(data, "bitmap").and_then(|b| b.dyn_into().ok()),
        ) {
            self.images.borrow_mut().push((url, bitmap));
        } else if data.as_string().as_deref() == Some("stop") {
            self.stop();
        }
    }

    fn stop(&self) {
        if let Some(id) = self.pending.take() {
            cancel_animation_frame(id);
        }
        self.running.set(false);
        self.sim.borrow_mut().particles.clear();
        if let Some(ctx) = self.ctx.borrow().as_ref() {
            let (width, height) = self.surface.size();
            let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
            ctx.clear_rect(0.0, 0.0, width, height);
        }
    }

    /// One animation frame at time `t` (ms, the browser's frame time).
    fn frame(&self, t: f64) {
        self.pending.set(None);
        let last = self.last.replace(t);
        // The first frame draws the burst where it starts.
        let dt = if last.is_nan() {
            0.0
        } else {
            (t - last) / 1000.0
        };
        let alive = self.sim.borrow_mut().step(dt);
        self.paint();
        if alive {
            self.request_frame();
        } else {
            self.running.set(false);
            (self.ended)(self.seq.get());
        }
    }

    /// Draws every particle, grouped by colour so the fill style (a string crossing from
    /// wasm to JS) is set once per colour, and the alpha only when it changes.
    fn paint(&self) {
        let mut slot = self.ctx.borrow_mut();
        if slot.is_none() {
            *slot = self.surface.context();
        }
        let Some(ctx) = slot.as_ref() else {
            return;
        };
        let dpr = self.dpr.get();
        let (width, height) = self.surface.size();
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        ctx.clear_rect(0.0, 0.0, width, height);
        let sim = self.sim.borrow();
        let colors = &sim.options.colors;
        if colors.is_empty() {
            return;
        }
        let shapes = &sim.options.shapes;
        // One path per colour for the opaque pieces (most of a burst's life): each piece adds
        // its rectangle or circle under its own transform, then one fill. Fading pieces are
        // drawn one by one with their alpha. Emoji are text, drawn one by one.
        let place = |p: &Particle| {
            let (sin, cos) = sin_cos(p.angle);
            let _ = ctx.set_transform(
                cos * dpr,
                sin * dpr,
                -sin * dpr * 0.6,
                cos * dpr * 0.6,
                p.x * dpr,
                p.y * dpr,
            );
        };
        let add = |p: &Particle| -> bool {
            match shapes.get(p.shape).unwrap_or(&Shape::Square) {
                Shape::Square => ctx.rect(-p.size / 2.0, -p.size / 2.0, p.size, p.size),
                Shape::Circle => {
                    ctx.move_to(p.size / 2.0, 0.0);
                    let _ = ctx.arc(0.0, 0.0, p.size / 2.0, 0.0, std::f64::consts::TAU);
                }
                Shape::Emoji(_) | Shape::Image(_) => return false,
            }
            true
        };
        let mut font_set = false;
        let images = self.images.borrow();
        let mut text = |p: &Particle| match shapes.get(p.shape) {
            Some(Shape::Emoji(t)) => {
                if !font_set {
                    ctx.set_font("16px sans-serif");
                    ctx.set_text_align("center");
                    ctx.set_text_baseline("middle");
                    font_set = true;
                }
                let _ = ctx.fill_text(t, 0.0, 0.0);
            }
            Some(Shape::Image(url)) => {
                if let Some((_, img)) = images.iter().find(|(u, _)| u == url) {
                    let s = p.size * 1.6;
                    let _ = ctx.draw_image_with_image_bitmap_and_dw_and_dh(
                        img,
                        -s / 2.0,
                        -s / 2.0,
                        s,
                        s,
                    );
                }
            }
            _ => {}
        };
        ctx.set_global_alpha(1.0);
        for (c, color) in colors.iter().enumerate() {
            let mut mine = sim
                .particles
                .iter()
                .filter(|p| p.color % colors.len() == c)
                .peekable();
            if mine.peek().is_none() {
                continue;
            }
            ctx.set_fill_style_str(color);
            ctx.begin_path();
            let mut fading = Vec::new();
            for p in mine {
                if p.opacity() < 1.0 {
                    fading.push(p);
                    continue;
                }
                place(p);
                if !add(p) {
                    text(p);
                }
            }
            let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
            ctx.fill();
            for p in fading {
                ctx.set_global_alpha(p.opacity());
                place(p);
                ctx.begin_path();
                if add(p) {
                    ctx.fill();
                } else {
                    text(p);
                }
            }
            ctx.set_global_alpha(1.0);
        }
    }
}

impl Drop for Painter {
    fn drop(&mut self) {
        if let Some(id) = self.pending.get() {
            cancel_animation_frame(id);
        }
    }
}

/// The confetti worker's entry (`confetti-worker.js` calls it, with the messages that came
/// before the module was ready): paints the page's bursts on the canvas it hands over
/// (`{canvas}`), and answers each burst's end with its number.
#[wasm_bindgen]
pub fn confetti_worker(queued: Array) {
    let painter: RefCell<Option<Rc<Painter>>> = RefCell::new(None);
    let handle = move |data: JsValue| {
        if let Some(canvas) = get(&data, "canvas").and_then(|c| c.dyn_into().ok()) {
            let ended = |seq: f64| {
                let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
                let _ = scope.post_message(&seq.into());
            };
            *painter.borrow_mut() = Some(Painter::new(Surface::Offscreen(canvas), Box::new(ended)));
        } else if let Some(painter) = painter.borrow().as_ref() {
            painter.apply(&data);
        }
    };
    for message in queued.iter() {
        handle(message);
    }
    let on_message =
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| handle(e.data()));
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker (the page terminates it with its layer).
    on_message.forget();
}

/// The page's own painter, where no worker can draw (`confetti.js` calls it): paints on
/// `canvas` (the element, or its `OffscreenCanvas` if the widget's rehearsal had handed its
/// drawing over) from the main thread and calls `ended` with each burst's number when it
/// ends. Returns the function that takes the page's messages (the worker's, posted here).
#[wasm_bindgen]
pub fn confetti_local(canvas: JsValue, ended: Function) -> Function {
    let ended = move |seq: f64| {
        let _ = ended.call1(&JsValue::NULL, &seq.into());
    };
    let surface = match canvas.dyn_into() {
        Ok(offscreen) => Surface::Offscreen(offscreen),
        Err(element) => Surface::Element(element.unchecked_into()),
    };
    let painter = Painter::new(surface, Box::new(ended));
    Closure::<dyn Fn(JsValue)>::new(move |message: JsValue| painter.apply(&message))
        .into_js_value()
        .unchecked_into()
}

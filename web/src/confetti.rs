//! Confetti: [`Confetti`]'s simulation painted on a full-viewport, click-through canvas.
//!
//! Where it is drawn decides what the host page pays. The canvas hands its drawing over
//! (`transferControlToOffscreen`) to a dedicated worker running this same module, so the
//! page's main thread works only when a burst starts (one message) and ends (one message back,
//! and the layer leaves the top layer). Served from the page's origin (a Cairn route on the
//! product's domain, the demo), the widget starts that worker itself (`confetti-worker.js`
//! beside the loader); embedded from another origin, whose URL a page cannot start a worker
//! from, it shows Cairn's confetti frame instead, which starts the worker from Cairn's origin.
//! Where neither works — a policy that blocks the frame, no `OffscreenCanvas`, no loader URL —
//! the same [`Painter`] draws on the main thread. No blob worker, no `eval`: CSP-safe apart from
//! `'wasm-unsafe-eval'` (the worker is `script-src`/`worker-src` of its own origin).
//!
//! The canvas is a manual popover: while a burst runs it is in the browser's top layer, above
//! the host page's modals and `<dialog>`s (shown again on each burst so it is the topmost).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Array, Float64Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{
    CanvasRenderingContext2d, DedicatedWorkerGlobalScope, HtmlCanvasElement, HtmlElement,
    HtmlIFrameElement, HtmlImageElement, ImageBitmap, MessageEvent, OffscreenCanvas, Url, Worker,
};

use crate::convert::Build;
use crate::dom::{Listener, document, get, get_string, warn, window};
use crate::logic::{BurstMessage, BurstOptions, Confetti, Shape, sin_cos};

/// Most particles in flight at once: bursts beyond it are trimmed, so a flood of awards never
/// stalls the page.
pub const MAX_PARTICLES: usize = 2_000;

#[wasm_bindgen]
extern "C" {
    /// The global scope's `requestAnimationFrame`: a window's, or a dedicated worker's.
    #[wasm_bindgen(js_name = requestAnimationFrame)]
    fn request_animation_frame(callback: &js_sys::Function) -> i32;
    #[wasm_bindgen(js_name = cancelAnimationFrame)]
    fn cancel_animation_frame(id: i32);
}

/// The animation-frame callback: called with the frame's time in ms.
type Tick = Closure<dyn FnMut(f64)>;

/// What the painter draws on.
enum Surface {
    /// The layer's canvas, drawn on from the page's main thread.
    Element(HtmlCanvasElement),
    /// The canvas's drawing, handed over to this worker.
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
    /// pending request, cancelled if the painter goes away mid-burst.
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
            let excess = sim.particles.len().saturating_sub(MAX_PARTICLES);
            sim.particles.drain(..excess);
        }
        if !self.running.replace(true) {
            self.last.set(f64::NAN);
            self.request_frame();
        }
    }

    /// Carries out a message of the page: a burst (`{n, c, s}`, a [`BurstMessage`]) or an
    /// image particle's bitmap (`{url, bitmap}`).
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
        let place = |p: &crate::logic::Particle| {
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
        let add = |p: &crate::logic::Particle| -> bool {
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
        let mut text = |p: &crate::logic::Particle| match shapes.get(p.shape) {
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

/// Messages for the confetti frame, each with what it transfers, until the frame says it is
/// ready (`None` from then on).
type Waiting = Rc<RefCell<Option<Vec<(JsValue, Array)>>>>;

/// Where the layer's bursts are drawn.
enum Target {
    /// In the confetti worker; its messages say which burst ended.
    Worker {
        worker: Worker,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
    },
    /// In Cairn's confetti frame (a cross-origin embed), whose worker draws; the frame passes
    /// messages both ways.
    Frame {
        frame: HtmlIFrameElement,
        /// Cairn's origin: messages go to the frame only there, and come only from it.
        origin: String,
        /// What was sent before the frame said it was ready (`None` once it has).
        waiting: Waiting,
        _on_message: Listener,
        /// A host policy that blocks the frame: then the main thread draws.
        _on_violation: Listener,
    },
    /// On the page's main thread.
    Local(Rc<Painter>),
}

/// The confetti layer of one widget, seen from the page.
pub struct Layer {
    canvas: HtmlCanvasElement,
    /// The widget's script (the loader), which says where confetti can be drawn.
    script: Option<String>,
    /// Decided at the first burst (so a page that never celebrates starts no worker).
    target: RefCell<Option<Target>>,
    /// Bursts launched so far: an end names the last burst the painter had, so an end that
    /// crossed a newer burst does not hide it.
    bursts: Cell<u32>,
    /// Image particles asked for, by URL (each loaded once).
    images: RefCell<Vec<String>>,
}

impl Layer {
    /// The layer of `canvas`. `script` is the loader's URL: from the page's origin, confetti is
    /// drawn in a worker started from it; from another, in the confetti frame beside it; with
    /// none, on the main thread.
    pub fn new(canvas: HtmlCanvasElement, script: Option<String>) -> Rc<Self> {
        Rc::new(Self {
            canvas,
            script,
            target: RefCell::new(None),
            bursts: Cell::new(0),
            images: RefCell::new(Vec::new()),
        })
    }

    /// Launches a burst with `options` from each of its origins.
    pub fn burst(self: &Rc<Self>, options: BurstOptions) {
        let window = window();
        let size = |v: Result<JsValue, JsValue>, default| {
            v.ok().and_then(|v| v.as_f64()).unwrap_or(default)
        };
        let width = size(window.inner_width(), 800.0);
        let height = size(window.inner_height(), 600.0);
        let dpr = window.device_pixel_ratio();
        self.load_images(&options);
        let seq = self.bursts.get() + 1;
        self.bursts.set(seq);
        let (numbers, colors, shapes) = BurstMessage {
            seq: f64::from(seq),
            width,
            height,
            dpr,
            options,
        }
        .encode();
        let message = Build::new()
            .set("n", &JsValue::from(Float64Array::from(numbers.as_slice())))
            .set("c", &colors)
            .set("s", &shapes)
            .done();
        self.send(&message, Array::new());
        let shown = self.shown();
        let _ = shown.hide_popover();
        let _ = shown.show_popover();
    }

    /// The element in the top layer while a burst runs: the canvas, or the frame.
    fn shown(&self) -> HtmlElement {
        match &*self.target.borrow() {
            Some(Target::Frame { frame, .. }) => frame.clone().unchecked_into(),
            _ => self.canvas.clone().unchecked_into(),
        }
    }

    /// Hands `message` (a burst, or an image's bitmap with `transfer`) to the painter.
    fn send(self: &Rc<Self>, message: &JsValue, transfer: Array) {
        if self.target.borrow().is_none() {
            let target = self.start();
            *self.target.borrow_mut() = Some(target);
        }
        let sent = match &*self.target.borrow() {
            Some(Target::Worker { worker, .. }) => {
                worker.post_message_with_transfer(message, &transfer)
            }
            Some(Target::Frame {
                frame,
                origin,
                waiting,
                ..
            }) => match (waiting.borrow_mut().as_mut(), frame.content_window()) {
                (Some(queue), _) => {
                    queue.push((message.clone(), transfer));
                    Ok(())
                }
                (None, Some(w)) => w.post_message_with_transfer(message, origin, &transfer),
                (None, None) => Ok(()),
            },
            Some(Target::Local(painter)) => {
                painter.apply(message);
                Ok(())
            }
            None => Ok(()),
        };
        // An image without CORS from another origin cannot leave the page (DataCloneError).
        if let Err(e) = sent {
            web_sys::console::warn_2(&"cairn: confetti could not reach its worker".into(), &e);
        }
    }

    /// Takes the shown element out of the top layer when burst `seq` was the last launched.
    fn ended(&self, seq: f64) {
        if seq == f64::from(self.bursts.get()) {
            let _ = self.shown().hide_popover();
        }
    }

    /// Where this page can draw: a worker from the widget's own origin, Cairn's frame from
    /// another, or the main thread.
    fn start(self: &Rc<Self>) -> Target {
        let here = window().location().origin().unwrap_or_default();
        let script = self.script.as_deref().and_then(|s| Url::new(s).ok());
        let off_main = match script {
            Some(url) if url.origin() == here => {
                Url::new_with_base("confetti-worker.js", &url.href())
                    .ok()
                    .and_then(|worker| self.start_worker(&worker.href()))
            }
            Some(url) => self.start_frame(&url),
            None => None,
        };
        off_main.unwrap_or_else(|| self.local())
    }

    fn local(self: &Rc<Self>) -> Target {
        let layer = Rc::downgrade(self);
        let ended = move |seq| {
            if let Some(layer) = layer.upgrade() {
                layer.ended(seq);
            }
        };
        Target::Local(Painter::new(
            Surface::Element(self.canvas.clone()),
            Box::new(ended),
        ))
    }

    /// What the painter answers: the number of a burst that ended, or why it failed.
    fn on_answer(layer: &Weak<Self>, data: &JsValue) {
        match (data.as_f64(), layer.upgrade()) {
            (Some(seq), Some(layer)) => layer.ended(seq),
            (None, _) => warn(&format!(
                "cairn: confetti could not be drawn: {}",
                data.as_string().unwrap_or_default()
            )),
            _ => {}
        }
    }

    fn start_worker(self: &Rc<Self>, script: &str) -> Option<Target> {
        let worker = Worker::new(script).ok()?;
        let Ok(offscreen) = self.canvas.transfer_control_to_offscreen() else {
            worker.terminate();
            return None;
        };
        let message = Build::new()
            .set("canvas", &JsValue::from(&offscreen))
            .done();
        let _ = worker.post_message_with_transfer(&message, &Array::of1(&offscreen));
        let layer = Rc::downgrade(self);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            Self::on_answer(&layer, &e.data());
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Target::Worker {
            worker,
            _on_message: on_message,
        })
    }

    /// Cairn's confetti frame (`confetti`, the page beside the loader) over the page, beside
    /// the canvas and styled like it: click-through and transparent.
    fn start_frame(self: &Rc<Self>, script: &Url) -> Option<Target> {
        let src = Url::new_with_base("confetti", &script.href()).ok()?.href();
        let origin = script.origin();
        let frame: HtmlIFrameElement = document().create_element("iframe").ok()?.unchecked_into();
        frame.set_class_name("confetti");
        for (k, v) in [
            ("aria-hidden", "true"),
            ("tabindex", "-1"),
            ("title", "confetti"),
            ("popover", "manual"),
        ] {
            frame.set_attribute(k, v).ok()?;
        }
        frame.set_src(&src);
        self.canvas.after_with_node_1(&frame).ok()?;
        let waiting: Waiting = Rc::new(RefCell::new(Some(Vec::new())));
        let on_message = {
            let layer = Rc::downgrade(self);
            let (frame, origin, waiting) = (frame.clone(), origin.clone(), Rc::clone(&waiting));
            move |e: web_sys::Event| {
                let e: MessageEvent = e.unchecked_into();
                let Some(w) = frame.content_window() else {
                    return;
                };
                let from_frame = e.origin() == origin
                    && e.source()
                        .is_some_and(|s| JsValue::from(s) == JsValue::from(&w));
                if !from_frame {
                    return;
                }
                if e.data().as_string().as_deref() == Some("ready") {
                    for (message, transfer) in waiting.borrow_mut().take().unwrap_or_default() {
                        let _ = w.post_message_with_transfer(&message, &origin, &transfer);
                    }
                } else {
                    Self::on_answer(&layer, &e.data());
                }
            }
        };
        let on_violation = {
            let layer = Rc::downgrade(self);
            move |e: web_sys::Event| {
                let blocked = get_string(&e, "blockedURI").unwrap_or_default();
                if !blocked.is_empty()
                    && src.starts_with(&blocked)
                    && let Some(layer) = layer.upgrade()
                {
                    layer.frame_blocked();
                }
            }
        };
        Some(Target::Frame {
            frame,
            origin,
            waiting,
            _on_message: Listener::add(&window(), "message", on_message).ok()?,
            _on_violation: Listener::add(&document(), "securitypolicyviolation", on_violation)
                .ok()?,
        })
    }

    /// The host page's policy blocked the frame: the main thread draws what was waiting, and
    /// every burst after.
    fn frame_blocked(self: &Rc<Self>) {
        warn(
            "cairn: the page's Content-Security-Policy blocks Cairn's confetti frame (allow \
             Cairn's origin in frame-src); confetti is drawn on the page's main thread",
        );
        let Some(Target::Frame { frame, waiting, .. }) = self.target.take() else {
            return;
        };
        let shown = frame.matches(":popover-open").unwrap_or(false);
        frame.remove();
        let local = self.local();
        if let Target::Local(painter) = &local {
            for (message, _) in waiting.borrow_mut().take().unwrap_or_default() {
                painter.apply(&message);
            }
        }
        *self.target.borrow_mut() = Some(local);
        if shown {
            let _ = self.canvas.show_popover();
        }
    }

    /// Starts loading the images of `options`' image particles (drawn once they have loaded):
    /// decoded here, where the host page's image policy applies, and handed to the painter as
    /// bitmaps (moved to a worker, not copied).
    fn load_images(self: &Rc<Self>, options: &BurstOptions) {
        for shape in &options.shapes {
            let Shape::Image(url) = shape else { continue };
            if self.images.borrow().contains(url) {
                continue;
            }
            self.images.borrow_mut().push(url.clone());
            let (layer, url) = (Rc::downgrade(self), url.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let Some(bitmap) = bitmap(&url).await else {
                    warn(&format!(
                        "cairn: the confetti image {url} could not be loaded"
                    ));
                    return;
                };
                if let Some(layer) = layer.upgrade() {
                    let message = Build::new()
                        .set("url", &url)
                        .set("bitmap", &JsValue::from(&bitmap))
                        .done();
                    layer.send(&message, Array::of1(&bitmap));
                }
            });
        }
    }

    /// Stops drawing for good: the worker terminated (or the frame removed, with its worker),
    /// or the painter and its pending frame dropped; its listeners on the page removed.
    pub fn stop(&self) {
        match self.target.take() {
            Some(Target::Worker { worker, .. }) => worker.terminate(),
            Some(Target::Frame { frame, .. }) => frame.remove(),
            _ => {}
        }
        let _ = self.canvas.hide_popover();
    }
}

/// Decodes the image at `url` into a bitmap.
async fn bitmap(url: &str) -> Option<ImageBitmap> {
    let img = HtmlImageElement::new().ok()?;
    // Read with CORS, so the bitmap is clean and may move to the confetti worker.
    img.set_cross_origin(Some("anonymous"));
    img.set_src(url);
    wasm_bindgen_futures::JsFuture::from(img.decode())
        .await
        .ok()?;
    let promise = window()
        .create_image_bitmap_with_html_image_element(&img)
        .ok()?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .ok()?
        .dyn_into()
        .ok()
}

impl Drop for Layer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The confetti worker's entry (`confetti-worker.js` calls it, with the messages that came
/// before the module was ready): paints the page's bursts on the canvas it hands over, and
/// answers each burst's end with its number.
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

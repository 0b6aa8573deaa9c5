//! Confetti, seen from the page: where each burst is drawn, and what crosses to its painter.
//!
//! Where it is drawn decides what the host page pays. The layer's canvas hands its drawing
//! over (`transferControlToOffscreen`) to a dedicated worker running Cairn's painter
//! (`web/painter`, a module of its own), so the page's main thread works only when a burst
//! starts (one message) and ends (one message back, and the layer leaves the top layer). Served
//! from the page's origin (a Cairn route on the product's domain, the demo), the widget starts
//! that worker itself (`confetti-worker.js` beside the loader); embedded from another origin,
//! whose URL a page cannot start a worker from, it shows Cairn's confetti frame instead, which
//! starts the worker from Cairn's origin. Where neither works — a policy that blocks the frame,
//! no `OffscreenCanvas` — the page loads the painter itself (`confetti.js` beside the loader)
//! and it draws on the main thread. No blob worker, no `eval`: CSP-safe apart from
//! `'wasm-unsafe-eval'` (the worker is `script-src`/`worker-src` of its own origin). The
//! widget's own module carries no painter: a page that never celebrates never loads one.
//!
//! The canvas is a manual popover: while a burst runs it is in the browser's top layer, above
//! the host page's modals and `<dialog>`s (shown again on each burst so it is the topmost).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use cairn_confetti::{BurstMessage, BurstOptions, Shape};
use js_sys::{Array, Float64Array, Function};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{
    HtmlCanvasElement, HtmlElement, HtmlIFrameElement, HtmlImageElement, ImageBitmap, MessageEvent,
    OffscreenCanvas, Url, Worker,
};

use crate::convert::Build;
use crate::dom::{Listener, document, get_string, warn, window};

#[wasm_bindgen(
    inline_js = "export function paint_here(u, c, e) { return import(u).then((m) => m.painter(c, e)); }"
)]
extern "C" {
    /// Loads the painter on this page (`confetti.js` at `url`) for `canvas` (the element, or
    /// its drawing if the rehearsal handed it over); resolves to the function that takes its
    /// messages. `ended` is called with each burst's number.
    fn paint_here(url: &str, canvas: &JsValue, ended: &Function) -> js_sys::Promise;
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
    /// On the page's main thread, by the painter the page loads (`confetti.js`).
    Local {
        here: Rc<RefCell<Here>>,
        /// What the painter calls when a burst ends (with its number).
        _ended: Closure<dyn Fn(f64)>,
    },
}

/// The painter a page loads for itself.
enum Here {
    /// Still loading: the messages wait for it.
    Loading(Vec<JsValue>),
    /// The function that takes its messages.
    Ready(Function),
    /// It could not be loaded (said once, in a warning): nothing is drawn.
    Unavailable,
}

/// The confetti layer of one widget, seen from the page.
pub struct Layer {
    canvas: HtmlCanvasElement,
    /// The canvas's drawing, handed over at the rehearsal (so that the first burst does not
    /// pay for it), until a painter takes it.
    offscreen: RefCell<Option<OffscreenCanvas>>,
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
            offscreen: RefCell::default(),
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

    /// Before the first burst, shows and hides the canvas in one task (never painted): its
    /// top-layer styles are built once. Its drawing is handed over now
    /// (`transferControlToOffscreen`: ≈ 2 ms of the first burst's task at 1× otherwise, measured
    /// in ARCHITECTURE.md), for whichever painter the first burst starts: the worker, or the
    /// page's own (the confetti frame draws on a canvas of its own). No painter is started: a
    /// page that never celebrates starts none (see [`crate::view::Ui::rehearse`]).
    pub fn rehearse(&self) {
        if self.bursts.get() == 0 && self.canvas.show_popover().is_ok() {
            let _ = self.canvas.hide_popover();
            let handed = self.handed();
            *self.offscreen.borrow_mut() = handed;
        }
    }

    /// The canvas's drawing, handed over now if it was not at the rehearsal (none where the
    /// browser has no `OffscreenCanvas`).
    fn handed(&self) -> Option<OffscreenCanvas> {
        let handed = self.offscreen.take();
        handed.or_else(|| self.canvas.transfer_control_to_offscreen().ok())
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
            Some(Target::Local { here, .. }) => match &mut *here.borrow_mut() {
                Here::Loading(queue) => {
                    queue.push(message.clone());
                    Ok(())
                }
                Here::Ready(painter) => painter.call1(&JsValue::NULL, message).map(drop),
                Here::Unavailable => Ok(()),
            },
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

    /// The painter on this page (`confetti.js` beside the loader, loaded now), for the
    /// layer's canvas.
    fn local(self: &Rc<Self>) -> Target {
        let ended = {
            let layer = Rc::downgrade(self);
            Closure::<dyn Fn(f64)>::new(move |seq| {
                if let Some(layer) = layer.upgrade() {
                    layer.ended(seq);
                }
            })
        };
        let url = self
            .script
            .as_deref()
            .and_then(|s| Url::new_with_base("confetti.js", s).ok());
        let Some(url) = url else {
            warn(
                "cairn: confetti is drawn by the painter beside the loader; without the loader, none is",
            );
            return Target::Local {
                here: Rc::new(RefCell::new(Here::Unavailable)),
                _ended: ended,
            };
        };
        let here = Rc::new(RefCell::new(Here::Loading(Vec::new())));
        let canvas = self
            .offscreen
            .take()
            .map_or_else(|| JsValue::from(&self.canvas), JsValue::from);
        let loading = paint_here(&url.href(), &canvas, ended.as_ref().unchecked_ref());
        let slot = Rc::clone(&here);
        wasm_bindgen_futures::spawn_local(async move {
            let loaded = wasm_bindgen_futures::JsFuture::from(loading).await;
            let now = match &loaded {
                Ok(painter) => Here::Ready(painter.clone().unchecked_into()),
                Err(e) => {
                    web_sys::console::warn_2(
                        &"cairn: the confetti painter could not be loaded".into(),
                        e,
                    );
                    Here::Unavailable
                }
            };
            let painter = match &now {
                Here::Ready(painter) => Some(painter.clone()),
                _ => None,
            };
            let before = std::mem::replace(&mut *slot.borrow_mut(), now);
            if let (Here::Loading(waiting), Some(painter)) = (before, painter) {
                for message in waiting {
                    let _ = painter.call1(&JsValue::NULL, &message);
                }
            }
        });
        Target::Local {
            here,
            _ended: ended,
        }
    }

    /// What the painter answers: the number of a burst that ended, or why it failed.
    fn on_answer(layer: &Weak<Self>, data: &JsValue) {
        match (data.as_f64(), layer.upgrade()) {
            (Some(seq), Some(layer)) => layer.ended(seq),
            (None, _) => warn(
                &[
                    "cairn: confetti could not be drawn: ",
                    &data.as_string().unwrap_or_default(),
                ]
                .concat(),
            ),
            _ => {}
        }
    }

    fn start_worker(self: &Rc<Self>, script: &str) -> Option<Target> {
        let worker = Worker::new(script).ok()?;
        let Some(offscreen) = self.handed() else {
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
        *self.target.borrow_mut() = Some(local);
        for (message, transfer) in waiting.borrow_mut().take().unwrap_or_default() {
            self.send(&message, transfer);
        }
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
                    warn(&["cairn: the confetti image ", &url, " could not be loaded"].concat());
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
    /// or the page's painter stopped; its listeners on the page removed.
    pub fn stop(&self) {
        match self.target.take() {
            Some(Target::Worker { worker, .. }) => worker.terminate(),
            Some(Target::Frame { frame, .. }) => frame.remove(),
            Some(Target::Local { here, .. }) => {
                // A painter still loading finds nothing waiting for it.
                let was = std::mem::replace(&mut *here.borrow_mut(), Here::Unavailable);
                if let Here::Ready(painter) = was {
                    let _ = painter.call1(&JsValue::NULL, &"stop".into());
                }
            }
            None => {}
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

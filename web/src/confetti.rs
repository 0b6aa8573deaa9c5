//! Paints [`Confetti`] on a full-viewport, click-through canvas, one animation frame at a time.
//!
//! The canvas is a manual popover: while a burst runs it is in the browser's top layer, above
//! the host page's modals and `<dialog>`s (shown again on each burst so it is the topmost).
//! No worker, no `eval`: CSP-safe apart from `'wasm-unsafe-eval'`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement};

use crate::logic::{BurstOptions, Confetti, Shape, sin_cos};

/// Most particles in flight at once: bursts beyond it are trimmed, so a flood of awards never
/// stalls the page.
pub const MAX_PARTICLES: usize = 2_000;

/// The animation-frame callback: called with the frame's time in ms.
type Tick = Closure<dyn FnMut(f64)>;

/// The confetti layer of one widget.
pub struct Painter {
    canvas: HtmlCanvasElement,
    /// The canvas's 2D context, taken once.
    ctx: RefCell<Option<CanvasRenderingContext2d>>,
    /// Device pixels per CSS pixel, read at each burst.
    dpr: RefCell<f64>,
    sim: RefCell<Confetti>,
    /// Images of image particles, loaded once per URL.
    images: RefCell<Vec<(String, HtmlImageElement)>>,
    running: Cell<bool>,
    /// The previous frame's time (ms), NaN before a burst's first frame.
    last: Cell<f64>,
    /// The animation-frame callback, made once (a frame creates no JS function), and the
    /// pending request, cancelled if the painter goes away mid-burst.
    tick: RefCell<Option<Tick>>,
    pending: Cell<Option<i32>>,
}

impl Painter {
    pub fn new(canvas: HtmlCanvasElement) -> Rc<Self> {
        let seed = (js_sys::Math::random() * u64::MAX as f64) as u64;
        let painter = Rc::new(Self {
            canvas,
            ctx: RefCell::new(None),
            dpr: RefCell::new(1.0),
            images: RefCell::new(Vec::new()),
            sim: RefCell::new(Confetti::new(BurstOptions::default(), seed)),
            running: Cell::new(false),
            last: Cell::new(f64::NAN),
            tick: RefCell::new(None),
            pending: Cell::new(None),
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
        let id = web_sys::window().zip(tick.as_ref()).and_then(|(w, tick)| {
            w.request_animation_frame(tick.as_ref().unchecked_ref())
                .ok()
        });
        self.pending.set(id);
    }

    /// Launches a burst with `options` from each of its origins.
    pub fn burst(self: &Rc<Self>, options: BurstOptions) {
        let window = web_sys::window().expect("window");
        let width = window
            .inner_width()
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(800.0);
        let height = window
            .inner_height()
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(600.0);
        let dpr = window.device_pixel_ratio().max(1.0);
        *self.dpr.borrow_mut() = dpr;
        let (w, h) = ((width * dpr) as u32, (height * dpr) as u32);
        if self.canvas.width() != w || self.canvas.height() != h {
            self.canvas.set_width(w);
            self.canvas.set_height(h);
        }
        self.load_images(&options);
        {
            let mut sim = self.sim.borrow_mut();
            sim.set_options(options);
            sim.burst_all(width, height);
            let excess = sim.particles.len().saturating_sub(MAX_PARTICLES);
            sim.particles.drain(..excess);
        }
        let _ = self.canvas.hide_popover();
        let _ = self.canvas.show_popover();
        if !self.running.replace(true) {
            self.last.set(f64::NAN);
            self.request_frame();
        }
    }

    /// Starts loading the images of `options`' image particles (drawn once they have loaded).
    fn load_images(&self, options: &BurstOptions) {
        let mut images = self.images.borrow_mut();
        for shape in &options.shapes {
            if let Shape::Image(url) = shape
                && !images.iter().any(|(u, _)| u == url)
                && let Ok(img) = HtmlImageElement::new()
            {
                img.set_src(url);
                images.push((url.clone(), img));
            }
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
            let _ = self.canvas.hide_popover();
        }
    }

    /// Draws every particle, grouped by colour so the fill style (a string crossing from
    /// wasm to JS) is set once per colour, and the alpha only when it changes.
    fn paint(&self) {
        let mut slot = self.ctx.borrow_mut();
        if slot.is_none() {
            *slot = self
                .canvas
                .get_context("2d")
                .ok()
                .flatten()
                .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok());
        }
        let Some(ctx) = slot.as_ref() else {
            return;
        };
        let dpr = *self.dpr.borrow();
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        ctx.clear_rect(
            0.0,
            0.0,
            f64::from(self.canvas.width()),
            f64::from(self.canvas.height()),
        );
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
                let img = images.iter().find(|(u, _)| u == url).map(|(_, i)| i);
                if let Some(img) = img.filter(|i| i.complete() && i.natural_width() > 0) {
                    let s = p.size * 1.6;
                    let _ = ctx.draw_image_with_html_image_element_and_dw_and_dh(
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
        if let (Some(id), Some(w)) = (self.pending.get(), web_sys::window()) {
            let _ = w.cancel_animation_frame(id);
        }
    }
}

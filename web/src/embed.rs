//! The embed: the Shadow DOM host, `window.cairn(...)` and the celebration flow.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use cairn_wire::Channel;
use cairn_wire::{AwardView, ClientEvent, Time};
use reactive_graph::owner::Owner;
use reactive_graph::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{
    CssStyleSheet, Element, HtmlCanvasElement, HtmlElement, ShadowRootInit, ShadowRootMode,
};

use crate::api::Client;
use crate::confetti::Layer;
use crate::convert::ToJs;
use crate::dom::{
    Listener, document, emit, get, get_f64, get_string, local_storage_get, local_storage_remove,
    local_storage_set, number_text, prefers_reduced_motion, warn, when_idle, window,
};
use crate::html::El;
use crate::logic::{Celebrations, Corner, REF_KEY, Strings, base64_of_base64url, is_rtl, live_ref};
use crate::stream::Stream;
use crate::view::{
    Publish, STYLES, Ui, badge_placement, ladder_placement, layer, localized, shelf,
};
use cairn_confetti::{BurstOptions, Shape};

/// Awards reached while the page was closed are celebrated on the next visit if they are at
/// most this old (and nobody saw them on another device).
const CATCH_UP_HOURS: i64 = 72;

/// Becoming visible and getting focus often come together: one catch-up for both.
const WAKE_THROTTLE_MS: f64 = 2_000.0;

/// How long the tab that celebrates an award keeps other tabs from celebrating it too.
const CLAIM_MS: i32 = 30_000;

/// One running widget.
pub struct Widget {
    api: String,
    key: String,
    /// The identified user: their id (from the token) and their token.
    user: RefCell<Option<Identity>>,
    /// Events tracked before `identify`; sent once a user is known.
    pending: RefCell<Vec<ClientEvent>>,
    ui: Ui,
    /// Owns the components' effects and listeners: they live as long as the widget.
    owner: Owner,
    /// The confetti layer (drawn in a worker where the page allows one).
    confetti_layer: Rc<Layer>,
    /// Confetti settings (`cairn('configure', {confetti})`), scaled per tier.
    confetti: RefCell<BurstOptions>,
    /// `data-locale` of the script tag: wins over the token's and the browser's.
    forced_locale: Option<String>,
    /// `light`, `dark` or `auto`, given to every shadow host.
    theme: RefCell<String>,
    /// The floating layer's shadow host, removed by `shutdown`.
    host: HtmlElement,
    /// Inline placements in the document, each with the reactive owner of its bindings.
    placements: RefCell<Vec<Placement>>,
    /// Watches the host page for placements added and removed; disconnected by `shutdown`.
    observer: RefCell<Option<Observer>>,
    /// The listeners the widget added to the host page (`window.cairn` included), removed by
    /// `shutdown`.
    host_listeners: RefCell<Vec<Listener>>,
    /// The real-time stream of the identified user.
    stream: RefCell<Option<Rc<Stream>>>,
    /// Functions registered with `cairn('on', 'award', fn)`.
    listeners: RefCell<Vec<js_sys::Function>>,
    /// Set by `shutdown`.
    stopped: Cell<bool>,
    /// When the page last became visible or focused (`performance.now()`).
    woken: Cell<f64>,
}

/// One inline placement: its element and the owner its effects and listeners belong to,
/// disposed when the element leaves the document.
struct Placement {
    el: HtmlElement,
    owner: Owner,
}

/// The placements' observer and its callback (kept alive while it observes).
type Observer = (web_sys::MutationObserver, Closure<dyn Fn(js_sys::Array)>);

thread_local! {
    /// The running widget. `window.cairn` and the host page's listeners hold it weakly, so
    /// `shutdown` taking it out of here frees everything.
    static RUNNING: RefCell<Option<Rc<Widget>>> = const { RefCell::new(None) };
}

/// Starts the widget: called once by the embed loader.
///
/// `queue` holds the `arguments` of every `cairn(...)` call made before the widget loaded; they
/// are replayed in order, then `window.cairn` is replaced by the live dispatcher.
///
/// `options` is the script tag's `dataset`: `theme` (`light`, `dark`, `auto`), `corner`
/// (`bottom-end`, `bottom-start`, `top-end`, `top-start`), `locale`, `shareUrl`. `script` is
/// the loader's URL (where confetti can be drawn off the page's main thread: see
/// [`Layer::new`]).
#[cfg_attr(feature = "entry", wasm_bindgen)]
pub fn start(
    key: String,
    api: String,
    queue: JsValue,
    options: JsValue,
    script: String,
) -> Result<(), JsValue> {
    let script = Some(script).filter(|s| !s.is_empty());
    let widget = Widget::mount(key, api, &options, script)?;
    {
        let widget = Rc::downgrade(&widget);
        let ui = widget.upgrade().map(|w| w.ui);
        if let Some(ui) = ui {
            ui.set_publisher(move |intent| {
                if let Some(w) = widget.upgrade() {
                    w.on_publish(intent);
                }
            });
        }
    }
    RUNNING.with(|r| r.replace(Some(Rc::clone(&widget))));
    let dispatch = {
        let widget = Rc::downgrade(&widget);
        Closure::<dyn Fn(JsValue, JsValue, JsValue)>::new(
            move |cmd: JsValue, a: JsValue, b: JsValue| {
                if let Some(widget) = widget.upgrade() {
                    widget.dispatch(&cmd, a, b);
                }
            },
        )
    };
    let window = window();
    js_sys::Reflect::set(&window, &"cairn".into(), dispatch.as_ref())?;
    // The function outlives a shutdown (a host may still hold `window.cairn`); after it, calls
    // do nothing, and it holds no more than a weak reference.
    dispatch.forget();
    for call in js_sys::Array::from(&queue).iter() {
        let args = js_sys::Array::from(&call);
        widget.dispatch(&args.get(0), args.get(1), args.get(2));
    }
    let on_visible = {
        let widget = Rc::downgrade(&widget);
        move |_| {
            let visible = document().visibility_state() == web_sys::VisibilityState::Visible;
            if let (true, Some(widget)) = (visible, widget.upgrade()) {
                widget.on_visible();
            }
        }
    };
    let on_focus = {
        let widget = Rc::downgrade(&widget);
        move |_| {
            if let Some(widget) = widget.upgrade() {
                widget.on_visible();
            }
        }
    };
    // Coming back from another window while the tab stayed visible: `focus`.
    let listeners = [
        Listener::add(&document(), "visibilitychange", on_visible)?,
        Listener::add(&window, "focus", on_focus)?,
    ];
    widget.host_listeners.borrow_mut().extend(listeners);
    widget.watch_placements();
    {
        let widget = Rc::downgrade(&widget);
        when_idle(move || {
            if let Some(widget) = widget.upgrade() {
                widget.rehearse();
            }
        });
    }
    emit("cairn:ready", &JsValue::NULL);
    Ok(())
}

/// Runs `f` if this tab can take the Web Lock `name` now (no other tab holds it), and keeps
/// the lock for `hold_ms`; where the browser has no Web Locks, runs `f` at once.
fn claim(name: &str, hold_ms: i32, f: impl FnOnce() + 'static) {
    let locks = js_sys::Reflect::get(&window().navigator(), &"locks".into())
        .ok()
        .filter(JsValue::is_object);
    let request = locks.as_ref().and_then(|l| {
        js_sys::Reflect::get(l, &"request".into())
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()
    });
    let (Some(locks), Some(request)) = (locks, request) else {
        return f();
    };
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        if lock.is_null() {
            return JsValue::UNDEFINED; // another tab has it
        }
        f();
        // Resolving later keeps the lock that long.
        js_sys::Promise::new(&mut |resolve, _| {
            let _ =
                window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, hold_ms);
        })
        .into()
    });
    let _ = request.call3(&locks, &name.into(), &options, &callback);
}

/// The award of `cairn('celebrate', {title, description?, tier?, icon?, image?, alt?, cta?})`:
/// a preview, shown but never sent or stored.
fn preview(options: &JsValue) -> AwardView {
    use cairn_wire::{Badge, Cta, CtaKind, Kind, Scope};
    let text = |field: &str| get_string(options, field);
    let now = js_sys::Date::now();
    AwardView {
        id: ["preview-", &number_text(now)].concat(),
        milestone: "preview".into(),
        kind: Kind::Custom,
        tier: text("tier").unwrap_or_else(|| "mid".into()),
        scope: Scope::User,
        title: text("title").unwrap_or_else(|| "Milestone reached!".into()),
        description: text("description").unwrap_or_default(),
        badge: Badge {
            icon: Some(text("icon").unwrap_or_else(|| "medal".into())),
            image: text("image"),
            alt: text("alt").unwrap_or_else(|| "A badge".into()),
        },
        channels: vec![Channel::Confetti, Channel::Badge],
        cta: get(options, "cta").map(|cta| Cta {
            kind: CtaKind::NextFeature,
            label: get_string(&cta, "label").unwrap_or_else(|| "Continue".into()),
            url: get_string(&cta, "url"),
        }),
        achieved_at: Time::from_utc_text(
            js_sys::Date::new(&JsValue::from_f64(now))
                .to_iso_string()
                .into(),
        ),
        value: 0,
        celebrate: true,
        seen: false,
    }
}

/// Parses `cairn('configure', {confetti: {...}})` over `base`; a field of the wrong type or
/// value is reported and ignored.
fn confetti_options(base: &BurstOptions, o: &JsValue) -> BurstOptions {
    let mut out = base.clone();
    let number = |field: &str, lo: f64, hi: f64| {
        let v = get_f64(o, field)?;
        if v.is_finite() && (lo..=hi).contains(&v) {
            Some(v)
        } else {
            warn(
                &[
                    "cairn: confetti.",
                    field,
                    " must be a number from ",
                    &number_text(lo),
                    " to ",
                    &number_text(hi),
                ]
                .concat(),
            );
            None
        }
    };
    if let Some(v) = number("particles", 1.0, 2_000.0) {
        out.particles = v as usize;
    }
    if let Some(v) = number("spread", 1.0, 360.0) {
        out.spread = v;
    }
    if let Some(v) = number("velocity", 50.0, 5_000.0) {
        out.velocity = v;
    }
    if let Some(v) = number("gravity", -5_000.0, 10_000.0) {
        out.gravity = v;
    }
    if let Some(v) = number("decay", 0.01, 1.0) {
        out.decay = v;
    }
    if let Some(v) = number("duration", 0.2, 15.0) {
        out.duration = v;
    }
    let strings = |field: &str| -> Option<Vec<String>> {
        let list = get(o, field)?;
        let list: Vec<String> = js_sys::Array::from(&list)
            .iter()
            .filter_map(|v| v.as_string())
            .collect();
        (!list.is_empty()).then_some(list)
    };
    if let Some(colors) = strings("colors") {
        out.colors = colors;
    }
    if let Some(shapes) = strings("shapes") {
        let shapes: Vec<Shape> = shapes.iter().filter_map(|s| Shape::parse(s)).collect();
        if shapes.is_empty() {
            warn("cairn: confetti.shapes lists square, circle or short texts (emoji)");
        } else {
            out.shapes = shapes;
        }
    }
    if let Some(origin) = get(o, "origin") {
        match (get_f64(&origin, "x"), get_f64(&origin, "y")) {
            (Some(x), Some(y)) if (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y) => {
                out.origins = vec![(x, y)];
            }
            _ => warn("cairn: confetti.origin is {x, y}, fractions of the viewport from 0 to 1"),
        }
    }
    out
}

thread_local! {
    /// The widget's stylesheet, built once and adopted by every shadow root.
    static SHEET: Option<CssStyleSheet> = CssStyleSheet::new()
        .and_then(|sheet| sheet.replace_sync(STYLES).map(|()| sheet))
        .ok();
}

/// Ends a placement: its bindings, its content and its mark (a placement put back in the
/// document is mounted again, in the same shadow root).
fn unmount(p: Placement) {
    p.owner.cleanup();
    if let Some(shadow) = p.el.shadow_root() {
        shadow.set_inner_html("");
    }
    let _ = p.el.remove_attribute("data-cairn-mounted");
}

/// Creates a shadow root on `host` with the widget's styles and an empty container.
///
/// The styles are one constructable stylesheet (`adoptedStyleSheets`), shared by every root:
/// no inline `<style>` element, so a host page whose CSP has no `'unsafe-inline'` for styles
/// still shows the widget styled, and the CSS is parsed once however many placements there are.
fn shadow_container(host: &HtmlElement, class: &str) -> Result<HtmlElement, JsValue> {
    let sheet = SHEET
        .with(|s| s.clone())
        .ok_or("constructable stylesheets are not supported")?;
    // A placement mounted before (and unmounted) keeps its shadow root: reused when it is ours.
    let shadow = match host.shadow_root() {
        Some(shadow) if shadow.adopted_style_sheets().includes(&sheet, 0) => shadow,
        _ => host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
    };
    shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    let root: HtmlElement = document().create_element("div")?.unchecked_into();
    root.set_class_name(class);
    shadow.append_child(&root)?;
    Ok(root)
}

impl Widget {
    /// Creates the floating layer's shadow host at the end of `<body>` and mounts it.
    ///
    /// `script` is the loader's URL, which says where confetti can be drawn ([`Layer::new`]).
    pub fn mount(
        key: String,
        api: String,
        options: &JsValue,
        script: Option<String>,
    ) -> Result<Rc<Self>, JsValue> {
        let document = document();
        let theme = get_string(options, "theme")
            .filter(|t| matches!(t.as_str(), "light" | "dark" | "auto"))
            .unwrap_or_else(|| "light".into());
        let corner = get_string(options, "corner")
            .and_then(|c| Corner::parse(&c))
            .unwrap_or_default();
        let forced_locale = get_string(options, "locale");
        let locale = forced_locale
            .clone()
            .or_else(|| window().navigator().language())
            .unwrap_or_else(|| "en".into());
        let share_url = get_string(options, "shareUrl")
            .or_else(|| window().location().origin().ok())
            .unwrap_or_default();

        let host: HtmlElement = document.create_element("cairn-layer")?.unchecked_into();
        host.set_attribute("data-cairn-host", "layer")?;
        host.set_attribute("data-theme", &theme)?;
        host.set_attribute("data-corner", corner.as_str())?;
        let root = shadow_container(&host, "layer-root")?;
        let canvas: HtmlCanvasElement = document.create_element("canvas")?.unchecked_into();
        canvas.set_class_name("confetti");
        canvas.set_attribute("aria-hidden", "true")?;
        canvas.set_attribute("part", "confetti")?;
        canvas.set_attribute("popover", "manual")?;
        root.before_with_node_1(&canvas)?;
        document.body().ok_or("no <body>")?.append_child(&host)?;

        // Effects re-run on Leptos' executor: here the browser's microtasks. (`Err` when it
        // already is.)
        let _ = any_spawner::Executor::init_wasm_bindgen();
        let ui = Ui::new(Strings::for_locale(&locale), is_rtl(&locale));
        let owner = Owner::new();
        let layer_root = owner.with(|| layer(ui));
        root.append_child(&layer_root.0)?;
        owner.with(|| crate::card::bind(ui, layer_root.0, script.as_deref(), share_url));
        Ok(Rc::new(Self {
            api,
            key,
            user: RefCell::new(None),
            pending: RefCell::new(Vec::new()),
            ui,
            owner,
            confetti_layer: Layer::new(canvas, script),
            confetti: RefCell::new(BurstOptions::default()),
            forced_locale,
            theme: RefCell::new(theme),
            host,
            placements: RefCell::new(Vec::new()),
            observer: RefCell::new(None),
            host_listeners: RefCell::new(Vec::new()),
            stream: RefCell::new(None),
            listeners: RefCell::new(Vec::new()),
            stopped: Cell::new(false),
            woken: Cell::new(f64::NEG_INFINITY),
        }))
    }

    /// Renders the `[data-cairn]` elements in `scope` (itself included) not rendered yet, each
    /// in its own shadow root under its own reactive owner.
    fn mount_placements(&self, scope: &Element) {
        if scope
            .matches("[data-cairn]:not([data-cairn-mounted])")
            .unwrap_or(false)
        {
            self.mount_placement(scope);
        }
        let Ok(nodes) = scope.query_selector_all("[data-cairn]:not([data-cairn-mounted])") else {
            return;
        };
        for i in 0..nodes.length() {
            if let Some(el) = nodes.get(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                self.mount_placement(&el);
            }
        }
    }

    fn mount_placement(&self, el: &Element) {
        let Some(el) = el.dyn_ref::<HtmlElement>() else {
            return;
        };
        let kind = el.get_attribute("data-cairn").unwrap_or_default();
        if !matches!(kind.as_str(), "ladder" | "shelf" | "badge") {
            warn(
                &[
                    "cairn: unknown placement data-cairn=\"",
                    &kind,
                    "\" (ladder, shelf or badge)",
                ]
                .concat(),
            );
            let _ = el.set_attribute("data-cairn-mounted", "");
            return;
        }
        let root = match shadow_container(el, "inline") {
            Ok(root) => root,
            Err(_) => {
                warn("cairn: a [data-cairn] element must not have a shadow root already");
                let _ = el.set_attribute("data-cairn-mounted", "");
                return;
            }
        };
        let _ = el.set_attribute("data-cairn-mounted", "");
        if !el.has_attribute("data-theme") {
            let _ = el.set_attribute("data-theme", &self.theme.borrow());
        }
        let ui = self.ui;
        let attr = |name: &str| el.get_attribute(name).unwrap_or_default();
        let _ = root.set_attribute("part", &["placement ", &kind].concat());
        let inner = El(root.into());
        // An owner of its own, disposed when the element leaves the document or the widget
        // shuts down. Not a child of the widget's owner: that one would keep an entry for every
        // placement ever unmounted. (The observer's callback runs under no owner.)
        let owner = Owner::new();
        owner.with(|| {
            let inner = match kind.as_str() {
                "ladder" => ladder_placement(inner, ui, attr("data-metric"), "label".into()),
                "shelf" => inner.child(shelf(ui)),
                _ => badge_placement(inner, ui, attr("data-milestone")),
            };
            localized(inner, ui);
        });
        self.placements.borrow_mut().push(Placement {
            el: el.clone(),
            owner,
        });
    }

    /// Disposes the placements whose element left the document: their bindings end, their
    /// shadow root is emptied (kept, since an element has at most one; it is reused if the
    /// element comes back).
    fn unmount_detached(&self) {
        let detached: Vec<Placement> = {
            let mut all = self.placements.borrow_mut();
            let (gone, kept) = std::mem::take(&mut *all)
                .into_iter()
                .partition(|p| !p.el.is_connected());
            *all = kept;
            gone
        };
        for p in detached {
            unmount(p);
        }
    }

    /// Mounts placements now and whenever the host page adds some (single-page apps), and
    /// unmounts those it removes. The observer reads only the nodes each mutation added or
    /// removed, never the whole document.
    fn watch_placements(self: &Rc<Self>) {
        if let Some(body) = document().body() {
            self.mount_placements(&body);
        }
        let this = Rc::downgrade(self);
        let callback = Closure::<dyn Fn(js_sys::Array)>::new(move |records: js_sys::Array| {
            let Some(this) = this.upgrade().filter(|w| !w.stopped.get()) else {
                return;
            };
            let mut removed = false;
            for record in records.iter() {
                let record: web_sys::MutationRecord = record.unchecked_into();
                let added = record.added_nodes();
                for i in 0..added.length() {
                    if let Some(el) = added.get(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                        this.mount_placements(&el);
                    }
                }
                removed |= record.removed_nodes().length() > 0;
            }
            if removed {
                this.unmount_detached();
            }
        });
        if let (Ok(observer), Some(body)) = (
            web_sys::MutationObserver::new(callback.as_ref().unchecked_ref()),
            document().body(),
        ) {
            let init = web_sys::MutationObserverInit::new();
            init.set_child_list(true);
            init.set_subtree(true);
            let _ = observer.observe_with_options(&body, &init);
            self.observer.replace(Some((observer, callback)));
        }
    }

    fn dispatch(self: &Rc<Self>, cmd: &JsValue, a: JsValue, b: JsValue) {
        match cmd.as_string().as_deref() {
            Some("identify") => {
                match get_string(&a, "token").and_then(|t| Identity::from_token(&t)) {
                    Some(identity) => self.identify(identity),
                    None => {
                        warn("cairn('identify', {token}) needs the user token your backend signed");
                    }
                }
            }
            Some("track") => match a.as_string() {
                Some(metric) => {
                    let value = get_f64(&b, "value").map(|v| v as u64);
                    self.track(ClientEvent {
                        event: metric,
                        value,
                        timestamp: None,
                        idempotency_key: new_idempotency_key(),
                    });
                }
                None => warn("cairn('track', metric) needs a metric name"),
            },
            Some("on") => match (a.as_string().as_deref(), b.dyn_into::<js_sys::Function>()) {
                (Some("award"), Ok(f)) => self.listeners.borrow_mut().push(f),
                _ => warn("cairn('on', 'award', fn) needs the event name and a function"),
            },
            Some("open") => match a.as_string().as_deref() {
                Some("shelf") => {
                    self.ui.shelf_open.set(true);
                    self.refresh();
                }
                _ => warn("cairn('open', 'shelf') is the one thing to open"),
            },
            Some("close") => {
                self.ui.shelf_open.set(false);
                self.ui.sharing.set(None);
            }
            Some("configure") => self.configure(&a),
            Some("celebrate") => self.celebrate(&preview(&a)),
            Some("shutdown") => self.shutdown(),
            other => warn(&["cairn: unknown command \"", other.unwrap_or_default(), "\""].concat()),
        }
    }

    /// `cairn('configure', {confetti?, theme?, corner?})`.
    fn configure(&self, o: &JsValue) {
        if let Some(confetti) = get(o, "confetti") {
            let next = confetti_options(&self.confetti.borrow(), &confetti);
            *self.confetti.borrow_mut() = next;
        }
        if let Some(theme) = get_string(o, "theme") {
            if matches!(theme.as_str(), "light" | "dark" | "auto") {
                let _ = self.host.set_attribute("data-theme", &theme);
                for p in self.placements.borrow().iter() {
                    let _ = p.el.set_attribute("data-theme", &theme);
                }
                *self.theme.borrow_mut() = theme;
            } else {
                warn("cairn: theme is light, dark or auto");
            }
        }
        if let Some(corner) = get_string(o, "corner") {
            match Corner::parse(&corner) {
                Some(c) => {
                    let _ = self.host.set_attribute("data-corner", c.as_str());
                }
                None => warn("cairn: corner is bottom-end, bottom-start, top-end or top-start"),
            }
        }
    }

    /// Stops everything the widget started: the stream, the observer, the listeners it added
    /// to the host page, every placement and the layer, and the reactive owner of them all;
    /// `window.cairn` is unset, so a later loader can start over.
    fn shutdown(&self) {
        self.stopped.set(true);
        if let Some(stream) = self.stream.take() {
            stream.close();
        }
        if let Some((observer, _callback)) = self.observer.take() {
            observer.disconnect();
        }
        self.host_listeners.take();
        for p in self.placements.take() {
            unmount(p);
        }
        self.confetti_layer.stop();
        crate::card::stop();
        self.host.remove();
        self.owner.cleanup();
        self.listeners.take();
        // The last strong reference, once the tasks in flight (which see `stopped`) are done.
        RUNNING.with(|r| r.take());
        let window = window();
        let _ = js_sys::Reflect::set(&window, &"cairn".into(), &JsValue::UNDEFINED);
        let _ = js_sys::Reflect::set(&window, &"__cairnLoader".into(), &JsValue::UNDEFINED);
        emit("cairn:shutdown", &JsValue::NULL);
    }

    fn client(&self, user: &Identity) -> Client {
        Client {
            api: self.api.clone(),
            key: self.key.clone(),
            token: user.token.clone(),
        }
    }

    /// Reads `/v1/client/me` into the components; then `then` gets it.
    fn load(self: &Rc<Self>, then: impl FnOnce(&Rc<Self>, &Identity, &crate::api::Me) + 'static) {
        let Some(user) = self.user.borrow().clone() else {
            return;
        };
        let client = self.client(&user);
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            match client.me().await {
                Ok(me) => {
                    this.ui.me.set(Some(me.clone()));
                    then(&this, &user, &me);
                }
                Err(message) => {
                    warn(&["cairn: reading the user's state failed: ", &message].concat());
                }
            }
        });
    }

    /// Reads the user's state again (after an award, or when the shelf opens).
    fn refresh(self: &Rc<Self>) {
        self.load(|_, _, _| {});
    }

    /// Reads the user's state and celebrates what they reached while away (server-side
    /// events, other devices that did not show it): recent, celebratable, not acknowledged.
    fn catch_up(self: &Rc<Self>) {
        self.load(|this, user, me| {
            let horizon = js_sys::Date::now() - (CATCH_UP_HOURS * 3_600_000) as f64;
            for award in me.earned() {
                if !award.seen && js_sys::Date::parse(award.achieved_at.as_str()) >= horizon {
                    this.offer(&user.id, &award);
                }
            }
        });
    }

    fn identify(self: &Rc<Self>, user: Identity) {
        if let Some(stream) = self.stream.take() {
            stream.close();
        }
        let this = Rc::downgrade(self);
        let id = user.id.clone();
        let stream = Stream::open(&self.api, &self.key, &user.token, move |award| {
            if let Some(this) = this.upgrade() {
                this.offer(&id, &award);
                this.refresh();
            }
        });
        if let (None, Some(locale)) = (&self.forced_locale, &user.locale) {
            self.ui.strings.set(Strings::for_locale(locale));
            self.ui.rtl.set(is_rtl(locale));
        }
        *self.stream.borrow_mut() = Some(stream);
        // A visit from a shared badge: the signup is reported before this user's first event,
        // while Cairn still sees them as new; events wait in `pending` until then.
        let reference = local_storage_get(REF_KEY)
            .and_then(|r| live_ref(&r, js_sys::Date::now()).map(str::to_owned));
        if local_storage_get(REF_KEY).is_some() && reference.is_none() {
            local_storage_remove(REF_KEY);
        }
        match reference {
            Some(reference) => {
                let client = self.client(&user);
                let this = Rc::clone(self);
                wasm_bindgen_futures::spawn_local(async move {
                    if client.attribute(&reference).await == Err(true) {
                        warn("cairn: the signup could not be reported; kept for later");
                    } else {
                        local_storage_remove(REF_KEY);
                    }
                    this.start_as(user);
                });
            }
            None => self.start_as(user),
        }
    }

    /// The user is known: send what waited for them and catch up.
    fn start_as(self: &Rc<Self>, user: Identity) {
        *self.user.borrow_mut() = Some(user);
        for event in self.pending.take() {
            self.track(event);
        }
        self.catch_up();
        self.load_shares();
    }

    /// Reads which of the user's badges are public.
    fn load_shares(self: &Rc<Self>) {
        let Some(user) = self.user.borrow().clone() else {
            return;
        };
        let client = self.client(&user);
        let ui = self.ui;
        wasm_bindgen_futures::spawn_local(async move {
            match client.shares().await {
                Ok(list) => ui.public.set(list),
                Err(message) => {
                    warn(&["cairn: reading public badges failed: ", &message].concat());
                }
            }
        });
    }

    /// Carries out what the share card and the shelf ask for (`Ui::publish`).
    fn on_publish(self: &Rc<Self>, intent: Publish) {
        if let Publish::Cta { award_id, click } = intent {
            // Previews are not awards; the ledger only counts its own.
            let user = self.user.borrow().clone();
            if let (Some(user), true) = (user, award_id.starts_with("aw_")) {
                let client = self.client(&user);
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(message) = client.cta(&award_id, click).await {
                        warn(&["cairn: recording the call to action failed: ", &message].concat());
                    }
                });
            }
            return;
        }
        let Some(user) = self.user.borrow().clone() else {
            self.ui.share_failed.set(true);
            return;
        };
        let client = self.client(&user);
        let ui = self.ui;
        ui.share_busy.set(true);
        ui.share_failed.set(false);
        wasm_bindgen_futures::spawn_local(async move {
            let done = match intent {
                Publish::Make {
                    award_id,
                    message,
                    name,
                } => client.share(&award_id, &message, &name).await.map(|share| {
                    ui.public.update(|p| {
                        p.retain(|s| s.award_id != share.award_id);
                        p.push(share);
                    });
                }),
                Publish::Revoke { share_id } => client.revoke(&share_id).await.map(|()| {
                    ui.public.update(|p| p.retain(|s| s.share_id != share_id));
                }),
                Publish::Cta { .. } => Ok(()),
            };
            ui.share_busy.set(false);
            if let Err(message) = done {
                warn(&["cairn: sharing failed: ", &message].concat());
                ui.share_failed.set(true);
            }
        });
    }

    /// The page became visible again: reconnect the stream now and fetch what was missed.
    fn on_visible(self: &Rc<Self>) {
        let now = crate::dom::now();
        if self.stopped.get() || now - self.woken.get() < WAKE_THROTTLE_MS {
            return;
        }
        self.woken.set(now);
        if let Some(stream) = self.stream.borrow().as_ref() {
            stream.wake();
        }
        self.catch_up();
    }

    fn track(self: &Rc<Self>, event: ClientEvent) {
        let Some(user) = self.user.borrow().clone() else {
            self.pending.borrow_mut().push(event);
            return;
        };
        let client = self.client(&user);
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            match client.track(&event).await {
                Ok(answer) => {
                    this.ui.me.update(|me| {
                        if let Some(me) = me {
                            me.set_total(&answer.metric, answer.total);
                        }
                    });
                    for award in &answer.awards {
                        this.offer(&user.id, award);
                    }
                    if !answer.awards.is_empty() {
                        this.refresh();
                    }
                    emit("cairn:track", &answer.to_js());
                }
                Err(message) => {
                    warn(&["cairn: tracking \"", &event.event, "\" failed: ", &message].concat());
                    emit("cairn:error", &JsValue::from_str(&message));
                }
            }
        });
    }

    /// Celebrates `award` unless this browser already did, in any tab. The tab that first
    /// takes the award's Web Lock celebrates it and holds the lock for [`CLAIM_MS`]; other tabs
    /// find it taken and skip it. Later arrivals find it in the celebrated set in localStorage
    /// (shared by the tabs, but propagated between them asynchronously — hence the lock). Then
    /// the award is acknowledged, so other devices do not celebrate it again.
    fn offer(self: &Rc<Self>, user: &str, award: &AwardView) {
        if !award.celebrate || self.stopped.get() {
            return;
        }
        let this = Rc::clone(self);
        let user = user.to_owned();
        let award = award.clone();
        let lock = [&self.storage_key(&user), ":", &award.id].concat();
        claim(&lock, CLAIM_MS, move || {
            let key = this.storage_key(&user);
            let mut set = Celebrations::from_text(local_storage_get(&key).as_deref());
            if !set.offer(&award) {
                return;
            }
            local_storage_set(&key, &set.to_text());
            this.celebrate(&award);
            let Some(identity) = this.user.borrow().clone() else {
                return;
            };
            let client = this.client(&identity);
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(message) = client.seen(&award.id).await {
                    warn(&["cairn: acknowledging ", &award.id, " failed: ", &message].concat());
                }
            });
        });
    }

    /// Shows the toast and the confetti for `award` (as its channels say, the burst sized by
    /// its tier; a glow instead of particles under reduced motion), and tells the host page.
    pub fn celebrate(self: &Rc<Self>, award: &AwardView) {
        if award.channels.contains(&Channel::Badge) {
            self.ui.toast(award);
        }
        if award.channels.contains(&Channel::Confetti) && !prefers_reduced_motion() {
            let options = BurstOptions::for_tier(&award.tier, &self.confetti.borrow());
            self.confetti_layer.burst(options);
        }
        let detail = award.to_js();
        for f in self.listeners.borrow().iter() {
            if let Err(e) = f.call1(&JsValue::NULL, &detail) {
                web_sys::console::error_2(&"cairn: an award listener failed".into(), &e);
            }
        }
        emit("cairn:award", &detail);
    }

    /// Once the page is first idle, a celebration rehearsed where nobody sees it: a toast
    /// built and laid out in the stack, and the canvas shown, both taken down in the same
    /// task ([`crate::view::Ui::rehearse`], [`Layer::rehearse`]). No painter is started for
    /// it: a page that never celebrates starts no worker. (Public for the browser tests.)
    pub fn rehearse(&self) {
        let stack = self
            .host
            .shadow_root()
            .and_then(|s| s.query_selector(".toasts").ok().flatten());
        if let (false, Some(stack)) = (self.stopped.get(), stack) {
            self.confetti_layer.rehearse();
            self.ui
                .rehearse(stack.unchecked_ref(), preview(&JsValue::UNDEFINED));
        }
    }

    fn storage_key(&self, user: &str) -> String {
        ["cairn:celebrated:", &self.key, ":", user].concat()
    }
}

/// Who the widget acts for.
#[derive(Debug, Clone)]
struct Identity {
    /// The user's id: the token's `sub`.
    id: String,
    token: String,
    /// `traits.locale` of the token.
    locale: Option<String>,
}

impl Identity {
    /// Reads `sub` from the token's payload (the server verifies the signature; the widget only
    /// needs the id to key its per-user memory).
    fn from_token(token: &str) -> Option<Self> {
        let payload = token.split('.').nth(1)?;
        let json = window().atob(&base64_of_base64url(payload)).ok()?;
        // `UserClaims` in the wire types; only these two fields are read here.
        let claims = js_sys::JSON::parse(&json).ok()?;
        Some(Self {
            id: get_string(&claims, "sub")?,
            token: token.to_owned(),
            locale: get(&claims, "traits").and_then(|t| get_string(&t, "locale")),
        })
    }
}

/// A fresh key per tracked event, so retries are counted once.
fn new_idempotency_key() -> Option<String> {
    window().crypto().ok().map(|c| c.random_uuid())
}

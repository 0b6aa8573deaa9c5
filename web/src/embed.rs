//! The embed: the Shadow DOM host, `window.cairn(...)` and the celebration flow.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use cairn_core::wire::{AwardView, ClientEvent};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{
    CustomEvent, CustomEventInit, HtmlCanvasElement, HtmlElement, ShadowRootInit, ShadowRootMode,
};

use crate::api::Client;
use crate::confetti::Painter;
use crate::logic::{Celebrations, toast_caption};
use crate::stream::Stream;
use crate::view::{STYLES, Toast, Toasts};

/// Awards reached while the page was closed are celebrated on the next visit if they are at
/// most this old (and nobody saw them on another device).
const CATCH_UP_HOURS: i64 = 72;

/// How long the tab that celebrates an award keeps other tabs from celebrating it too.
const CLAIM_MS: i32 = 30_000;

/// How long a toast stays, in milliseconds.
const TOAST_MS: u64 = 6_000;

/// One running widget.
pub struct Widget {
    api: String,
    key: String,
    /// The identified user: their id (from the token) and their token.
    user: RefCell<Option<Identity>>,
    /// Events tracked before `identify`; sent once a user is known.
    pending: RefCell<Vec<ClientEvent>>,
    toasts: RwSignal<Vec<Toast>>,
    next_toast: Cell<u64>,
    painter: Rc<Painter>,
    /// The shadow host, removed by `shutdown`.
    host: HtmlElement,
    /// The real-time stream of the identified user.
    stream: RefCell<Option<Rc<Stream>>>,
    /// Functions registered with `cairn('on', 'award', fn)`.
    listeners: RefCell<Vec<js_sys::Function>>,
    /// Set by `shutdown`.
    stopped: Cell<bool>,
}

/// Starts the widget: called once by the embed loader.
///
/// `queue` holds the `arguments` of every `cairn(...)` call made before the widget loaded; they
/// are replayed in order, then `window.cairn` is replaced by the live dispatcher.
#[wasm_bindgen]
pub fn start(key: String, api: String, queue: JsValue) -> Result<(), JsValue> {
    console_error_panic_hook::set_once();
    let widget = Widget::mount(key, api)?;
    let dispatch = {
        let widget = Rc::clone(&widget);
        Closure::<dyn Fn(JsValue, JsValue, JsValue)>::new(
            move |cmd: JsValue, a: JsValue, b: JsValue| {
                widget.dispatch(&cmd, a, b);
            },
        )
    };
    let window = window();
    js_sys::Reflect::set(&window, &"cairn".into(), dispatch.as_ref())?;
    dispatch.forget();
    for call in js_sys::Array::from(&queue).iter() {
        let args = js_sys::Array::from(&call);
        widget.dispatch(&args.get(0), args.get(1), args.get(2));
    }
    let on_visible = {
        let widget = Rc::downgrade(&widget);
        Closure::<dyn Fn()>::new(move || {
            let visible = document().visibility_state() == web_sys::VisibilityState::Visible;
            if let (true, Some(widget)) = (visible, widget.upgrade()) {
                widget.on_visible();
            }
        })
    };
    document().add_event_listener_with_callback(
        "visibilitychange",
        on_visible.as_ref().unchecked_ref(),
    )?;
    on_visible.forget();
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

/// The award of `cairn('celebrate', {title, description?, tier?, icon?, image?, alt?})`: a
/// preview, shown but never sent or stored.
fn preview(options: &JsValue) -> AwardView {
    use cairn_core::definitions::{Badge, Channel, Kind, Scope};
    let text = |field: &str| get_string(options, field);
    let now = js_sys::Date::now() as i64;
    AwardView {
        id: format!("preview-{now}"),
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
        cta: None,
        achieved_at: jiff::Timestamp::from_millisecond(now).unwrap_or_default(),
        value: 0,
        celebrate: true,
        seen: false,
    }
}

impl Widget {
    /// Creates the shadow host at the end of `<body>` and mounts the floating layer in it.
    pub fn mount(key: String, api: String) -> Result<Rc<Self>, JsValue> {
        let document = document();
        let host: HtmlElement = document.create_element("cairn-layer")?.unchecked_into();
        host.set_attribute("data-cairn-host", "layer")?;
        let shadow = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
        let style = document.create_element("style")?;
        style.set_text_content(Some(STYLES));
        shadow.append_child(&style)?;
        let canvas: HtmlCanvasElement = document.create_element("canvas")?.unchecked_into();
        canvas.set_class_name("confetti");
        canvas.set_attribute("aria-hidden", "true")?;
        canvas.set_attribute("part", "confetti")?;
        shadow.append_child(&canvas)?;
        let root: HtmlElement = document.create_element("div")?.unchecked_into();
        shadow.append_child(&root)?;
        document.body().ok_or("no <body>")?.append_child(&host)?;

        let toasts = RwSignal::new(Vec::new());
        mount_to(root, move || view! { <Toasts toasts=toasts /> }).forget();
        Ok(Rc::new(Self {
            api,
            key,
            user: RefCell::new(None),
            pending: RefCell::new(Vec::new()),
            toasts,
            next_toast: Cell::new(0),
            painter: Painter::new(canvas),
            host,
            stream: RefCell::new(None),
            listeners: RefCell::new(Vec::new()),
            stopped: Cell::new(false),
        }))
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
            Some("celebrate") => self.celebrate(&preview(&a)),
            Some("shutdown") => self.shutdown(),
            other => warn(&format!("cairn: unknown command {other:?}")),
        }
    }

    /// Stops everything: the stream, the layer, `window.cairn` (a queue again, so a later
    /// loader can start over).
    fn shutdown(&self) {
        self.stopped.set(true);
        if let Some(stream) = self.stream.take() {
            stream.close();
        }
        self.host.remove();
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

    /// Celebrates what the user reached while away (server-side events, other devices that did
    /// not show it): recent, celebratable, not acknowledged anywhere.
    fn catch_up(self: &Rc<Self>) {
        let Some(user) = self.user.borrow().clone() else {
            return;
        };
        let client = self.client(&user);
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let Ok(me) = client.me().await else {
                return;
            };
            let horizon = js_sys::Date::now() as i64 - CATCH_UP_HOURS * 3_600_000;
            let account = me.account.iter().flat_map(|a| a.awards.iter());
            for award in me.awards.iter().chain(account) {
                let recent = award.achieved_at.as_millisecond() >= horizon;
                if !award.seen && recent {
                    this.offer(&user.id, award);
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
            }
        });
        *self.stream.borrow_mut() = Some(stream);
        *self.user.borrow_mut() = Some(user);
        for event in self.pending.take() {
            self.track(event);
        }
        self.catch_up();
    }

    /// The page became visible again: reconnect the stream now and fetch what was missed.
    fn on_visible(self: &Rc<Self>) {
        if self.stopped.get() {
            return;
        }
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
                    for award in &answer.awards {
                        this.offer(&user.id, award);
                    }
                    emit("cairn:track", &to_js(&answer));
                }
                Err(message) => {
                    warn(&format!(
                        "cairn: tracking \"{}\" failed: {message}",
                        event.event
                    ));
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
        let lock = format!("{}:{}", self.storage_key(&user), award.id);
        claim(&lock, CLAIM_MS, move || {
            let key = this.storage_key(&user);
            let mut set = Celebrations::from_json(local_storage_get(&key).as_deref());
            if !set.offer(&award) {
                return;
            }
            local_storage_set(&key, &set.to_json());
            this.celebrate(&award);
            let Some(identity) = this.user.borrow().clone() else {
                return;
            };
            let client = this.client(&identity);
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(message) = client.seen(&award.id).await {
                    warn(&format!(
                        "cairn: acknowledging {} failed: {message}",
                        award.id
                    ));
                }
            });
        });
    }

    /// Shows the toast and the confetti for `award`, and tells the host page.
    pub fn celebrate(self: &Rc<Self>, award: &AwardView) {
        let id = self.next_toast.get();
        self.next_toast.set(id + 1);
        self.toasts.update(|ts| {
            ts.push(Toast {
                id,
                title: award.title.clone(),
                caption: toast_caption(award),
            });
        });
        let toasts = self.toasts;
        set_timeout(
            move || toasts.update(|ts| ts.retain(|t| t.id != id)),
            std::time::Duration::from_millis(TOAST_MS),
        );
        if !prefers_reduced_motion() {
            self.painter.burst();
        }
        let detail = to_js(award);
        for f in self.listeners.borrow().iter() {
            if let Err(e) = f.call1(&JsValue::NULL, &detail) {
                web_sys::console::error_2(&"cairn: an award listener failed".into(), &e);
            }
        }
        emit("cairn:award", &detail);
    }

    fn storage_key(&self, user: &str) -> String {
        format!("cairn:celebrated:{}:{user}", self.key)
    }
}

/// Who the widget acts for.
#[derive(Debug, Clone)]
struct Identity {
    /// The user's id: the token's `sub`.
    id: String,
    token: String,
}

impl Identity {
    /// Reads `sub` from the token's payload (the server verifies the signature; the widget only
    /// needs the id to key its per-user memory).
    fn from_token(token: &str) -> Option<Self> {
        let payload = token.split('.').nth(1)?;
        let base64 = payload.replace('-', "+").replace('_', "/");
        let padded = format!("{base64}{}", "=".repeat((4 - base64.len() % 4) % 4));
        let json = window().atob(&padded).ok()?;
        let claims: cairn_core::wire::UserClaims = serde_json::from_str(&json).ok()?;
        Some(Self {
            id: claims.sub,
            token: token.to_owned(),
        })
    }
}

/// A fresh key per tracked event, so retries are counted once.
fn new_idempotency_key() -> Option<String> {
    window().crypto().ok().map(|c| c.random_uuid())
}

fn emit(name: &str, detail: &JsValue) {
    let init = CustomEventInit::new();
    init.set_detail(detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = window().dispatch_event(&event);
    }
}

fn to_js<T: serde::Serialize>(value: &T) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|s| js_sys::JSON::parse(&s).ok())
        .unwrap_or(JsValue::NULL)
}

fn get_string(obj: &JsValue, field: &str) -> Option<String> {
    js_sys::Reflect::get(obj, &field.into()).ok()?.as_string()
}

fn get_f64(obj: &JsValue, field: &str) -> Option<f64> {
    if obj.is_undefined() || obj.is_null() {
        return None;
    }
    js_sys::Reflect::get(obj, &field.into()).ok()?.as_f64()
}

fn local_storage_get(key: &str) -> Option<String> {
    window()
        .local_storage()
        .ok()
        .flatten()?
        .get_item(key)
        .ok()
        .flatten()
}

fn local_storage_set(key: &str, value: &str) {
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(key, value);
    }
}

fn prefers_reduced_motion() -> bool {
    window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

fn warn(message: &str) {
    web_sys::console::warn_1(&message.into());
}

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
use crate::view::{STYLES, Toast, Toasts};

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
    celebrations: RefCell<Celebrations>,
    toasts: RwSignal<Vec<Toast>>,
    next_toast: Cell<u64>,
    painter: Rc<Painter>,
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
    emit("cairn:ready", &JsValue::NULL);
    Ok(())
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
            celebrations: RefCell::new(Celebrations::default()),
            toasts,
            next_toast: Cell::new(0),
            painter: Painter::new(canvas),
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
            other => warn(&format!("cairn: unknown command {other:?}")),
        }
    }

    fn identify(self: &Rc<Self>, user: Identity) {
        *self.celebrations.borrow_mut() =
            Celebrations::from_json(local_storage_get(&self.storage_key(&user.id)).as_deref());
        *self.user.borrow_mut() = Some(user);
        for event in self.pending.take() {
            self.track(event);
        }
    }

    fn track(self: &Rc<Self>, event: ClientEvent) {
        let Some(user) = self.user.borrow().clone() else {
            self.pending.borrow_mut().push(event);
            return;
        };
        let client = Client {
            api: self.api.clone(),
            key: self.key.clone(),
            token: user.token.clone(),
        };
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

    /// Celebrates `award` unless this browser already did.
    fn offer(self: &Rc<Self>, user: &str, award: &AwardView) {
        let fresh = self.celebrations.borrow_mut().offer(award);
        if !fresh {
            return;
        }
        local_storage_set(
            &self.storage_key(user),
            &self.celebrations.borrow().to_json(),
        );
        self.celebrate(award);
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
        emit("cairn:award", &to_js(award));
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

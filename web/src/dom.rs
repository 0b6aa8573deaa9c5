//! Small DOM helpers shared by the embed and the components.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CustomEvent, CustomEventInit};

pub fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

pub fn document() -> web_sys::Document {
    window().document().expect("a document")
}

/// Milliseconds on the page's monotonic clock.
pub fn now() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// Dispatches `name` on `window` with `detail`, for the host page's analytics. Returns `false`
/// when a listener called `preventDefault()` (the event is cancelable).
pub fn emit(name: &str, detail: &JsValue) -> bool {
    let init = CustomEventInit::new();
    init.set_detail(detail);
    init.set_cancelable(true);
    match CustomEvent::new_with_event_init_dict(name, &init) {
        Ok(event) => window().dispatch_event(&event).unwrap_or(true),
        Err(_) => true,
    }
}

/// A number as JavaScript writes it (`0.01`, `2000`), without Rust's float formatting code.
pub fn number_text(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// `obj[field]` when `obj` is an object.
pub fn get(obj: &JsValue, field: &str) -> Option<JsValue> {
    if !obj.is_object() {
        return None;
    }
    js_sys::Reflect::get(obj, &field.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

pub fn get_string(obj: &JsValue, field: &str) -> Option<String> {
    get(obj, field)?.as_string()
}

pub fn get_f64(obj: &JsValue, field: &str) -> Option<f64> {
    get(obj, field)?.as_f64()
}

/// Calls `obj.method(args…)` if it is a function; `None` when it is missing or throws.
pub fn call_method(obj: &JsValue, method: &str, args: &[JsValue]) -> Option<JsValue> {
    let f: js_sys::Function = get(obj, method)?.dyn_into().ok()?;
    f.apply(obj, &args.iter().collect::<js_sys::Array>()).ok()
}

pub fn prefers_reduced_motion() -> bool {
    window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

pub fn warn(message: &str) {
    web_sys::console::warn_1(&message.into());
}

pub fn local_storage_get(key: &str) -> Option<String> {
    window()
        .local_storage()
        .ok()
        .flatten()?
        .get_item(key)
        .ok()
        .flatten()
}

pub fn local_storage_set(key: &str, value: &str) {
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(key, value);
    }
}

/// The element that has focus, looking through open shadow roots.
pub fn deep_active_element() -> Option<web_sys::Element> {
    let mut active = document().active_element()?;
    while let Some(inner) = active.shadow_root().and_then(|s| s.active_element()) {
        active = inner;
    }
    Some(active)
}

/// Removes `key` from localStorage (ignored where storage is off).
pub fn local_storage_remove(key: &str) {
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.remove_item(key);
    }
}

/// `f` as a JS function that frees itself once called. Not generic: every callback shares
/// one closure type, so the glue has one shim for them.
fn once(f: Box<dyn FnOnce()>) -> JsValue {
    wasm_bindgen::closure::Closure::once_into_js(f)
}

/// Runs `f` once after `ms` milliseconds.
pub fn set_timeout(f: impl FnOnce() + 'static, ms: f64) {
    let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
        once(Box::new(f)).unchecked_ref(),
        ms.max(0.0) as i32,
    );
}

/// Runs `f` once when the browser is next idle (`requestIdleCallback`); never where it has
/// none.
pub fn when_idle(f: impl FnOnce() + 'static) {
    call_method(&window(), "requestIdleCallback", &[once(Box::new(f))]);
}

/// An event listener added to a target, removed from it when dropped (not only released).
pub struct Listener {
    target: web_sys::EventTarget,
    event: &'static str,
    f: Closure<dyn Fn(web_sys::Event)>,
}

impl Listener {
    /// Adds `f` as `target`'s listener of `event`.
    pub fn add(
        target: &web_sys::EventTarget,
        event: &'static str,
        f: impl Fn(web_sys::Event) + 'static,
    ) -> Result<Self, JsValue> {
        let f = Closure::<dyn Fn(web_sys::Event)>::new(f);
        target.add_event_listener_with_callback(event, f.as_ref().unchecked_ref())?;
        Ok(Self {
            target: target.clone(),
            event,
            f,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.event, self.f.as_ref().unchecked_ref());
    }
}

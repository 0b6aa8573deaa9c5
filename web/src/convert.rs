//! Wire types to and from the browser's JavaScript values.
//!
//! The widget parses the API's answers with the browser's `JSON.parse` and takes the fields it
//! needs from the resulting objects, type by type ([`FromJs`]); what it sends or hands to the
//! host page it builds as plain objects ([`ToJs`]), which `JSON.stringify` writes when it goes
//! over the network. serde's derived code, driven by serde-wasm-bindgen, did the same with a
//! visitor per type monomorphized for that (de)serializer: a tenth of the widget's bytes
//! (ARCHITECTURE.md, "The widget's bytes are a budget"). Unit enums use the core's single list
//! of names (`as_str`, `FromStr`). The widget's browser tests check every type against serde's
//! own reading and writing of the same JSON, so the two cannot drift apart.
//!
//! Reading is lenient where a newer server may be: unknown fields are ignored, and `null` is
//! taken as absent. Anything else that is off (a missing field, a wrong type, a negative or
//! fractional count) is an error naming the field, e.g. `AwardView.badge: Badge.alt is missing`.

use cairn_wire::{AwardView, ClientEvent, LadderProgress, LockedMilestone, Time, TrackResponse};
use cairn_wire::{Badge, Channel, Cta, CtaKind, Kind, Scope};
use js_sys::{Array, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};

use crate::logic::{AccountPart, Me, PublicShare, digits};

/// A value that can be read from parsed JSON.
pub trait FromJs: Sized {
    /// Reads `value`; the error says what was expected.
    fn read(value: &JsValue) -> Result<Self, String>;
}

/// Reads JSON text (through `JSON.parse`) as `T`.
pub fn from_json<T: FromJs>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(|_| "not JSON".to_owned())?;
    T::read(&value)
}

/// Ignores whatever it is given (an answer whose body does not matter).
impl FromJs for () {
    fn read(_: &JsValue) -> Result<Self, String> {
        Ok(())
    }
}

impl FromJs for String {
    fn read(value: &JsValue) -> Result<Self, String> {
        value.as_string().ok_or_else(|| "expected a string".into())
    }
}

impl FromJs for bool {
    fn read(value: &JsValue) -> Result<Self, String> {
        value
            .as_bool()
            .ok_or_else(|| "expected true or false".into())
    }
}

/// JSON numbers are doubles: counts are exact up to 2^53.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

fn count(value: &JsValue, max: f64) -> Result<f64, String> {
    value
        .as_f64()
        .filter(|n| n.fract() == 0.0 && (0.0..=max).contains(n))
        .ok_or_else(|| "expected a whole number from 0".into())
}

impl FromJs for u64 {
    fn read(value: &JsValue) -> Result<Self, String> {
        count(value, MAX_SAFE).map(|n| n as u64)
    }
}

impl FromJs for u8 {
    fn read(value: &JsValue) -> Result<Self, String> {
        count(value, f64::from(u8::MAX)).map(|n| n as u8)
    }
}

impl FromJs for Time {
    fn read(value: &JsValue) -> Result<Self, String> {
        String::read(value).map(Time::from_utc_text)
    }
}

impl<T: FromJs> FromJs for Vec<T> {
    fn read(value: &JsValue) -> Result<Self, String> {
        let list: &Array = value
            .dyn_ref()
            .filter(|_| Array::is_array(value))
            .ok_or("expected a list")?;
        // A plain loop: collecting into `Result<Vec<_>, _>` costs an iterator adapter per type.
        let mut out = Vec::with_capacity(list.length() as usize);
        for i in 0..list.length() {
            out.push(T::read(&list.get(i)).map_err(|e| at(i, e))?);
        }
        Ok(out)
    }
}

fn at(i: u32, e: String) -> String {
    ["[", &digits(u64::from(i)), "]: ", &e].concat()
}

/// Unit enums, by the core's names.
macro_rules! by_name {
    ($($ty:ty = $blank:expr),*) => {$(
        impl Blank for $ty {
            fn blank() -> Self {
                $blank
            }
        }

        impl FromJs for $ty {
            fn read(value: &JsValue) -> Result<Self, String> {
                let text = String::read(value)?;
                text.parse().map_err(|_| ["unknown value \"", &text, "\""].concat())
            }
        }

        impl ToJs for $ty {
            fn to_js(&self) -> JsValue {
                self.as_str().into()
            }
        }
    )*};
}

by_name!(
    Kind = Kind::Custom,
    Scope = Scope::User,
    Channel = Channel::Badge,
    CtaKind = CtaKind::NextFeature
);

/// What a field takes while the object it belongs to is being rejected: [`Fields::req`]
/// returns it after recording the field's error, and [`Fields::done`] drops it with the rest.
trait Blank {
    fn blank() -> Self;
}

/// Types whose blank is their `Default`.
macro_rules! blank_is_default {
    ($($ty:ty),*) => {$(
        impl Blank for $ty {
            fn blank() -> Self {
                Self::default()
            }
        }
    )*};
}

blank_is_default!(String, bool, u64, u8, Badge);

impl Blank for Time {
    fn blank() -> Self {
        Time::from_utc_text(String::new())
    }
}

impl<T> Blank for Vec<T> {
    fn blank() -> Self {
        Self::new()
    }
}

/// The fields of one object, named `Type.field` in errors.
///
/// A field that is missing or wrong does not return at once: its error is recorded (the first
/// one is kept), the field takes a [`Blank`] value, and [`Fields::done`] turns the object into
/// that error. One exit per type instead of one per field, each of which dropped the fields
/// read before it (`AwardView`'s reading is a third smaller).
struct Fields<'a> {
    object: &'a JsValue,
    of: &'static str,
    error: RefCell<Option<String>>,
}

impl<'a> Fields<'a> {
    fn of(object: &'a JsValue, of: &'static str) -> Result<Self, String> {
        if object.is_object() && !Array::is_array(object) {
            Ok(Self {
                object,
                of,
                error: RefCell::new(None),
            })
        } else {
            Err([of, ": expected an object"].concat())
        }
    }

    /// The field's value, `None` when it is absent or `null`.
    fn raw(&self, field: &str) -> Option<JsValue> {
        Reflect::get(self.object, &field.into())
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// The field, `None` when it is absent, `null` or (recorded) wrong.
    fn opt<T: FromJs>(&self, field: &str) -> Option<T> {
        match T::read(&self.raw(field)?) {
            Ok(v) => Some(v),
            Err(e) => {
                self.wrong(field, &e);
                None
            }
        }
    }

    /// The field, which must be there.
    fn req<T: FromJs + Blank>(&self, field: &str) -> T {
        let Some(raw) = self.raw(field) else {
            self.missing(field);
            return T::blank();
        };
        T::read(&raw).unwrap_or_else(|e| {
            self.wrong(field, &e);
            T::blank()
        })
    }

    fn or_default<T: FromJs + Default>(&self, field: &str) -> T {
        self.opt(field).unwrap_or_default()
    }

    // The errors are built out of line: inlined, each field of each type carried its own copy.
    #[inline(never)]
    fn wrong(&self, field: &str, e: &str) {
        self.fail([self.of, ".", field, ": ", e].concat());
    }

    #[inline(never)]
    fn missing(&self, field: &str) {
        self.fail([self.of, ".", field, " is missing"].concat());
    }

    fn fail(&self, e: String) {
        self.error.borrow_mut().get_or_insert(e);
    }

    /// `value`, read from these fields, unless one of them was missing or wrong.
    fn done<T>(&self, value: T) -> Result<T, String> {
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }
}

impl FromJs for Badge {
    fn read(value: &JsValue) -> Result<Self, String> {
        let f = Fields::of(value, "Badge")?;
        f.done(Self {
            icon: f.opt("icon"),
            image: f.opt("image"),
            alt: f.req("alt"),
        })
    }
}

impl FromJs for Cta {
    fn read(value: &JsValue) -> Result<Self, String> {
        let f = Fields::of(value, "Cta")?;
        f.done(Self {
            kind: f.req("kind"),
            label: f.req("label"),
            url: f.opt("url"),
        })
    }
}

impl FromJs for AwardView {
    fn read(value: &JsValue) -> Result<Self, String> {
        let f = Fields::of(value, "AwardView")?;
        f.done(Self {
            id: f.req("id"),
            milestone: f.req("milestone"),
            kind: f.req("kind"),
            tier: f.req("tier"),
            scope: f.req("scope"),
            title: f.req("title"),
            description: f.or_default("description"),
            badge: f.req("badge"),
            channels: f.req("channels"),
            cta: f.opt("cta"),
            achieved_at: f.req("achieved_at"),
            value: f.req("value"),
            celebrate: f.req("celebrate"),
            seen: f.or_default("seen"),
        })
    }
}

impl FromJs for TrackResponse {
    fn read(value: &JsValue) -> Result<Self, String> {
        let f = Fields::of(value, "TrackResponse")?;
        f.done(Self {
            metric: f.req("metric"),
            total: f.req("total"),
            duplicate: f.or_default("duplicate"),
            awards: f.req("awards"),
        })
    }
}

/// The part of `ShareView` the widget uses.
impl FromJs for PublicShare {
    fn read(value: &JsValue) -> Result<Self, String> {
        let f = Fields::of(value, "ShareView")?;
        f.done(Self {
            share_id: f.req("share_id"),
            award_id: f.req("award_id"),
            url: f.req("url"),
            linkedin_add_url: f.req("linkedin_add_url"),
        })
    }
}

impl FromJs for LadderProgress {
    fn read(value: &JsValue) -> Result<Self, String> {
        let f = Fields::of(value, "LadderProgress")?;
        f.done(Self {
            ladder: f.req("ladder"),
            metric: f.req("metric"),
            label: f.or_default("label"),
            steps: f.req("steps"),
            current: f.req("current"),
            next: f.opt("next"),
            remaining: f.opt("remaining"),
            percent: f.req("percent"),
        })
    }
}

impl FromJs for LockedMilestone {
    fn read(value: &JsValue) -> Result<Self, String> {
        let f = Fields::of(value, "LockedMilestone")?;
        f.done(Self {
            milestone: f.req("milestone"),
            kind: f.req("kind"),
            tier: f.req("tier"),
            name: f.req("name"),
            criteria: f.req("criteria"),
            current: f.opt("current"),
            target: f.opt("target"),
            percent: f.req("percent"),
            available_until: f.opt("available_until"),
        })
    }
}

impl FromJs for Me {
    fn read(value: &JsValue) -> Result<Self, String> {
        let f = Fields::of(value, "MeResponse")?;
        f.done(Self {
            awards: f.req("awards"),
            progress: f.or_default("progress"),
            locked: f.or_default("locked"),
            account: f.opt("account"),
        })
    }
}

impl FromJs for AccountPart {
    fn read(value: &JsValue) -> Result<Self, String> {
        let f = Fields::of(value, "AccountView")?;
        f.done(Self {
            awards: f.req("awards"),
            locked: f.or_default("locked"),
        })
    }
}

/// The message of an error answer, `{"error": {"code", "message", …}}`: `message (code)`.
pub fn error_message(text: &str) -> Option<String> {
    let body = js_sys::JSON::parse(text).ok()?;
    let error = Fields::of(&body, "ErrorBody").ok()?.raw("error")?;
    let f = Fields::of(&error, "ErrorDetail").ok()?;
    let (code, message): (String, String) = (f.opt("code")?, f.opt("message")?);
    Some([&message, " (", &code, ")"].concat())
}

/// A value as a plain JavaScript object, shaped as serde writes it to JSON.
pub trait ToJs {
    fn to_js(&self) -> JsValue;
}

/// Writes it as JSON text, through the browser's `JSON.stringify`.
pub fn to_json<T: ToJs>(value: &T) -> String {
    js_sys::JSON::stringify(&value.to_js())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

impl ToJs for str {
    fn to_js(&self) -> JsValue {
        self.into()
    }
}

impl ToJs for String {
    fn to_js(&self) -> JsValue {
        self.as_str().into()
    }
}

impl ToJs for bool {
    fn to_js(&self) -> JsValue {
        JsValue::from_bool(*self)
    }
}

impl ToJs for u64 {
    fn to_js(&self) -> JsValue {
        JsValue::from_f64(*self as f64)
    }
}

impl ToJs for Time {
    fn to_js(&self) -> JsValue {
        self.as_str().into()
    }
}

impl<T: ToJs> ToJs for Option<T> {
    fn to_js(&self) -> JsValue {
        self.as_ref().map_or(JsValue::NULL, T::to_js)
    }
}

impl<T: ToJs> ToJs for Vec<T> {
    fn to_js(&self) -> JsValue {
        self.iter().map(T::to_js).collect::<Array>().into()
    }
}

/// A JavaScript value already (handed on as it is, e.g. in a message to the confetti worker).
impl ToJs for JsValue {
    fn to_js(&self) -> JsValue {
        self.clone()
    }
}

/// An object under construction, field by field.
pub(crate) struct Build(Object);

impl Build {
    pub(crate) fn new() -> Self {
        Self(Object::new())
    }

    pub(crate) fn set(self, field: &str, value: &(impl ToJs + ?Sized)) -> Self {
        let _ = Reflect::set(&self.0, &field.into(), &value.to_js());
        self
    }

    /// Sets the field unless `skip` (serde's `skip_serializing_if`).
    fn set_unless(self, skip: bool, field: &str, value: &(impl ToJs + ?Sized)) -> Self {
        if skip { self } else { self.set(field, value) }
    }

    pub(crate) fn done(self) -> JsValue {
        self.0.into()
    }
}

impl ToJs for Badge {
    fn to_js(&self) -> JsValue {
        Build::new()
            .set("icon", &self.icon)
            .set("image", &self.image)
            .set("alt", &self.alt)
            .done()
    }
}

impl ToJs for Cta {
    fn to_js(&self) -> JsValue {
        Build::new()
            .set("kind", &self.kind)
            .set("label", &self.label)
            .set("url", &self.url)
            .done()
    }
}

impl ToJs for AwardView {
    fn to_js(&self) -> JsValue {
        Build::new()
            .set("id", &self.id)
            .set("milestone", &self.milestone)
            .set("kind", &self.kind)
            .set("tier", &self.tier)
            .set("scope", &self.scope)
            .set("title", &self.title)
            .set_unless(
                self.description.is_empty(),
                "description",
                &self.description,
            )
            .set("badge", &self.badge)
            .set("channels", &self.channels)
            .set_unless(self.cta.is_none(), "cta", &self.cta)
            .set("achieved_at", &self.achieved_at)
            .set("value", &self.value)
            .set("celebrate", &self.celebrate)
            .set("seen", &self.seen)
            .done()
    }
}

impl ToJs for TrackResponse {
    fn to_js(&self) -> JsValue {
        Build::new()
            .set("metric", &self.metric)
            .set("total", &self.total)
            .set("duplicate", &self.duplicate)
            .set("awards", &self.awards)
            .done()
    }
}

/// An instant as JavaScript's `Date.prototype.toISOString()` writes it (to the millisecond;
/// the widget sends no timestamps of its own, the server stamps events as they arrive).
impl ToJs for jiff::Timestamp {
    fn to_js(&self) -> JsValue {
        js_sys::Date::new(&JsValue::from_f64(self.as_millisecond() as f64))
            .to_iso_string()
            .into()
    }
}

impl ToJs for ClientEvent {
    fn to_js(&self) -> JsValue {
        Build::new()
            .set("event", &self.event)
            .set_unless(self.value.is_none(), "value", &self.value)
            .set_unless(self.timestamp.is_none(), "timestamp", &self.timestamp)
            .set_unless(
                self.idempotency_key.is_none(),
                "idempotency_key",
                &self.idempotency_key,
            )
            .done()
    }
}

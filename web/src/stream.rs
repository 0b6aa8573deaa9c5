//! Real time: a WebSocket to the user's Durable Object (`GET /v1/client/stream`), which pushes
//! awards the moment they happen — also those of server-side events, alarms and the account.
//!
//! It reconnects with [`Backoff`] after a drop, at once when the page becomes visible again,
//! and pings every [`PING_MS`] so idle proxies keep it open (the object answers pings without
//! waking). Awards arriving here may also arrive in an HTTP answer; the caller celebrates each
//! award id once.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use cairn_wire::AwardView;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::logic::{Backoff, websocket_origin};

/// Keep-alive ping interval.
const PING_MS: i32 = 30_000;

/// One user's stream.
pub struct Stream {
    url: String,
    on_award: Box<dyn Fn(AwardView)>,
    socket: RefCell<Option<WebSocket>>,
    backoff: RefCell<Backoff>,
    /// Set by [`Stream::close`]: no more reconnections.
    closed: Cell<bool>,
    /// A reconnection is scheduled.
    waiting: Cell<bool>,
}

impl Stream {
    /// Opens the stream of the user with `token` at `api` (an `http(s)://` origin).
    pub fn open(
        api: &str,
        key: &str,
        token: &str,
        on_award: impl Fn(AwardView) + 'static,
    ) -> Rc<Self> {
        let ws_origin = websocket_origin(api);
        let stream = Rc::new(Self {
            url: [
                &ws_origin,
                "/v1/client/stream?key=",
                &String::from(js_sys::encode_uri_component(key)),
                "&token=",
                &String::from(js_sys::encode_uri_component(token)),
            ]
            .concat(),
            on_award: Box::new(on_award),
            socket: RefCell::new(None),
            backoff: RefCell::new(Backoff::default()),
            closed: Cell::new(false),
            waiting: Cell::new(false),
        });
        stream.connect();
        Self::keep_alive(&stream);
        stream
    }

    /// Whether the socket is open (or opening).
    pub fn is_up(&self) -> bool {
        self.socket.borrow().as_ref().is_some_and(|s| {
            s.ready_state() == WebSocket::OPEN || s.ready_state() == WebSocket::CONNECTING
        })
    }

    /// Reconnects now if the socket is down (e.g. the page became visible again).
    pub fn wake(self: &Rc<Self>) {
        if !self.closed.get() && !self.is_up() && !self.waiting.get() {
            self.connect();
        }
    }

    /// Closes the stream for good.
    pub fn close(&self) {
        self.closed.set(true);
        if let Some(socket) = self.socket.take() {
            let _ = socket.close();
        }
    }

    fn connect(self: &Rc<Self>) {
        let Ok(socket) = WebSocket::new(&self.url) else {
            return self.retry();
        };
        let me = Rc::downgrade(self);
        let on_open = Closure::<dyn Fn()>::new(move || {
            if let Some(me) = me.upgrade() {
                me.backoff.borrow_mut().reset();
                // Hosts (and tests) may want to know that awards now arrive live.
                if let (Some(w), Ok(e)) =
                    (web_sys::window(), web_sys::Event::new("cairn:connected"))
                {
                    let _ = w.dispatch_event(&e);
                }
            }
        });
        let me = Rc::downgrade(self);
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
            let (Some(me), Some(text)) = (me.upgrade(), e.data().as_string()) else {
                return;
            };
            // "pong", or a message type this version does not know yet, is skipped.
            if let Some(award) = award_of(&text) {
                (me.on_award)(award);
            }
        });
        let me = Rc::downgrade(self);
        let on_close = Closure::<dyn Fn(CloseEvent)>::new(move |_: CloseEvent| {
            if let Some(me) = me.upgrade() {
                me.socket.take();
                me.retry();
            }
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The socket owns its handlers for its whole life.
        on_open.forget();
        on_message.forget();
        on_close.forget();
        *self.socket.borrow_mut() = Some(socket);
    }

    fn retry(self: &Rc<Self>) {
        if self.closed.get() || self.waiting.get() {
            return;
        }
        let delay = self
            .backoff
            .borrow_mut()
            .next_delay_ms(js_sys::Math::random());
        self.waiting.set(true);
        let me = Rc::downgrade(self);
        crate::dom::set_timeout(
            move || {
                if let Some(me) = me.upgrade() {
                    me.waiting.set(false);
                    me.wake();
                }
            },
            f64::from(delay),
        );
    }

    fn keep_alive(self: &Rc<Self>) {
        let me = Rc::downgrade(self);
        let interval = Rc::new(Cell::new(None::<i32>));
        let handle = Rc::clone(&interval);
        let ping = Closure::<dyn Fn()>::new(move || match me.upgrade() {
            Some(me) if !me.closed.get() => {
                if let Some(socket) = me.socket.borrow().as_ref()
                    && socket.ready_state() == WebSocket::OPEN
                {
                    let _ = socket.send_with_str("ping");
                }
            }
            _ => {
                if let (Some(w), Some(id)) = (web_sys::window(), handle.get()) {
                    w.clear_interval_with_handle(id);
                }
            }
        });
        if let Some(w) = web_sys::window() {
            interval.set(
                w.set_interval_with_callback_and_timeout_and_arguments_0(
                    ping.as_ref().unchecked_ref(),
                    PING_MS,
                )
                .ok(),
            );
        }
        ping.forget();
    }
}

/// The award of a [`cairn_wire::StreamMessage`], `{"type": "award", "award": {…}}`.
/// (The shape is pinned by `stream_message_shape` in the core's tests.)
fn award_of(text: &str) -> Option<AwardView> {
    let message = js_sys::JSON::parse(text).ok()?;
    if crate::dom::get_string(&message, "type")? != "award" {
        return None;
    }
    crate::convert::FromJs::read(&crate::dom::get(&message, "award")?).ok()
}

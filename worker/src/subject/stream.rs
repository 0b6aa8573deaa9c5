//! A user's real-time streams: WebSockets on the hibernation API, each remembering its locale.

use cairn_core::Compiled;
use cairn_core::engine::Award;
use cairn_core::wire::StreamMessage;
use worker::{Response, State, WebSocket, WebSocketPair, WebSocketRequestResponsePair};

use crate::error::{ApiError, ApiResult};

/// Accepts a WebSocket on which this user's awards are pushed, in `locale`. The object may
/// sleep while sockets stay open (the locale is kept as the socket's attachment); `ping` is
/// answered `pong` without waking it.
pub fn accept(storage: &State, locale: &str) -> ApiResult<Response> {
    let pair = WebSocketPair::new()?;
    storage.accept_web_socket(&pair.server);
    pair.server.serialize_attachment(locale)?;
    let ping = WebSocketRequestResponsePair::new("ping", "pong")
        .map_err(|e| ApiError::internal(format!("{e:?}")))?;
    storage.set_websocket_auto_response(&ping);
    Ok(Response::from_websocket(pair.client)?)
}

/// Sends `awards` to this object's open streams, each rendered in its socket's locale.
pub fn push(storage: &State, defs: &Compiled, awards: &[Award]) {
    if awards.is_empty() {
        return;
    }
    for socket in storage.get_websockets() {
        let locale: String = socket
            .deserialize_attachment()
            .ok()
            .flatten()
            .unwrap_or_else(|| cairn_core::definitions::DEFAULT_LOCALE.to_owned());
        for award in awards {
            let message = StreamMessage::Award {
                award: cairn_core::wire::award_view(defs, award, &locale),
            };
            // A socket that is closing just misses it; /v1/client/me still lists the award.
            let _ = socket.send(&message);
        }
    }
}

/// Completes a close the client started, with its code when it may be echoed.
pub fn close(ws: &WebSocket, code: usize, reason: String) {
    let code = u16::try_from(code)
        .ok()
        .filter(|c| (1000..5000).contains(c) && *c != 1005 && *c != 1006)
        .unwrap_or(1000);
    let _ = ws.close(Some(code), Some(reason));
}

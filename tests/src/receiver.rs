//! A real HTTP receiver on 127.0.0.1, standing in for a service the tests cannot reach
//! (a webhook endpoint, Slack, Loops, PostHog…): it records every request and answers what
//! the test says. The worker reaches it through its configurable URL exactly as it would the
//! real service. Tests wait on its channel (a signal), never on a sleep.

use std::sync::mpsc::{self, Receiver as Channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// Path and query.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// What the receiver answers.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl From<(u16, Vec<(String, String)>)> for Answer {
    fn from((status, headers): (u16, Vec<(String, String)>)) -> Self {
        Self {
            status,
            headers,
            body: String::new(),
        }
    }
}

impl Answer {
    /// `status` with a JSON body.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }
}

type Respond = Box<dyn FnMut(&Received) -> Answer + Send>;

/// A running receiver; stops when dropped.
pub struct Receiver {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    port: u16,
    server: Option<Arc<tiny_http::Server>>,
    thread: Option<JoinHandle<()>>,
    requests: Channel<Received>,
    sender: mpsc::Sender<Received>,
    respond: Arc<Mutex<Respond>>,
}

impl Receiver {
    /// A receiver on a free port answering `200` to everything.
    pub fn start() -> Self {
        Self::on(0, Box::new(|_| (200, Vec::new()).into()))
    }

    fn on(port: u16, respond: Respond) -> Self {
        let (sender, requests) = mpsc::channel();
        let respond = Arc::new(Mutex::new(respond));
        let mut me = Self {
            url: String::new(),
            port,
            server: None,
            thread: None,
            requests,
            sender,
            respond,
        };
        me.listen();
        me
    }

    fn listen(&mut self) {
        let server = Arc::new(
            tiny_http::Server::http(("127.0.0.1", self.port)).expect("receiver: cannot listen"),
        );
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .expect("receiver: an IP address");
        self.port = port;
        self.url = format!("http://127.0.0.1:{port}");
        let (worker, sender, respond) = (
            Arc::clone(&server),
            self.sender.clone(),
            Arc::clone(&self.respond),
        );
        self.thread = Some(std::thread::spawn(move || {
            for mut request in worker.incoming_requests() {
                let mut body = String::new();
                let _ = request.as_reader().read_to_string(&mut body);
                let received = Received {
                    method: request.method().as_str().to_owned(),
                    url: request.url().to_owned(),
                    headers: request
                        .headers()
                        .iter()
                        .map(|h| {
                            (
                                h.field.as_str().as_str().to_owned(),
                                h.value.as_str().to_owned(),
                            )
                        })
                        .collect(),
                    body,
                };
                let answer = (respond.lock().expect("respond"))(&received);
                let _ = sender.send(received);
                let mut response =
                    tiny_http::Response::from_string(answer.body).with_status_code(answer.status);
                for (k, v) in answer.headers {
                    if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
                        response.add_header(h);
                    }
                }
                let _ = request.respond(response);
            }
        }));
        self.server = Some(server);
    }

    /// From now on, answer with `respond`.
    pub fn answer<A: Into<Answer>>(
        &self,
        mut respond: impl FnMut(&Received) -> A + Send + 'static,
    ) {
        *self.respond.lock().expect("respond") = Box::new(move |r| respond(r).into());
    }

    /// Stops listening: connections to its port are refused (the service is down).
    pub fn go_down(&mut self) {
        if let Some(server) = self.server.take() {
            server.unblock();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Listens again on the same port.
    pub fn come_back(&mut self) {
        if self.server.is_none() {
            self.listen();
        }
    }

    /// The next request, waiting at most `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<Received> {
        self.requests.recv_timeout(timeout).ok()
    }

    /// Requests until `done` holds for everything received so far, within `timeout`.
    pub fn until(&self, timeout: Duration, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        let mut got = Vec::new();
        while !done(&got) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left) {
                Some(r) => got.push(r),
                None => panic!(
                    "receiver: timed out after {timeout:?} with {} requests: {got:#?}",
                    got.len()
                ),
            }
        }
        got
    }

    /// Everything received since the last call, without waiting.
    pub fn drain(&self) -> Vec<Received> {
        self.requests.try_iter().collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.go_down();
    }
}

//! Harness of Cairn's end-to-end tests: the release build, served by real workerd through
//! `wrangler dev`, driven over HTTP and by real headless Chromium (Playwright scripts in
//! `tests/e2e/`).
//!
//! Each [`App`] gets free ports and a fresh persistence directory under `target/e2e/`, runs in
//! its own process group and is stopped when dropped.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use xtask::wrangler::{Options, Wrangler};

pub mod receiver;

pub use xtask::{DEMO_IDENTITY_SECRET, DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY, DEV_ADMIN_TOKEN};

/// A user token for `claims`, signed with `secret` (what a product's backend does).
pub fn sign(secret: &str, claims: &cairn_core::wire::UserClaims) -> String {
    use hmac::Mac;
    use jwt::SignWithKey;
    let key: hmac::Hmac<sha2::Sha256> = hmac::Hmac::new_from_slice(secret.as_bytes()).unwrap();
    claims.sign_with_key(&key).unwrap()
}

/// Seconds since the epoch.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A demo-project token for `user`, valid for an hour.
pub fn demo_token(user: &str, acct: Option<&str>) -> String {
    let now = now_secs();
    let claims = cairn_core::wire::UserClaims {
        sub: user.into(),
        exp: now + 3600,
        iat: Some(now),
        acct: acct.map(Into::into),
        traits: None,
    };
    sign(DEMO_IDENTITY_SECRET, &claims)
}

/// Builds the release artifacts once per test binary, unless `cargo xtask test` already did
/// (it sets `CAIRN_PREBUILT=1`).
pub fn ensure_built() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        if std::env::var_os("CAIRN_PREBUILT").is_none() {
            xtask::build::build(xtask::build::WidgetToolchain::Nightly).expect("release build");
        }
    });
}

/// Where a test keeps its state, logs and artifacts: `target/e2e/<name>/`, emptied first.
pub fn test_dir(name: &str) -> PathBuf {
    let dir = xtask::target_dir().join("e2e").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create test dir");
    dir
}

/// The worker and its assets on real workerd.
#[derive(Debug)]
pub struct App {
    wrangler: Wrangler,
    dir: PathBuf,
    http: ureq::Agent,
}

/// An HTTP answer: status, headers and body text.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// An HTTP answer whose body is bytes (an image, say).
#[derive(Debug)]
pub struct BytesReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl BytesReply {
    /// The first value of header `name` (case-insensitive), or `""`.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl App {
    /// Builds if needed and starts `wrangler dev` with a fresh state directory for test `name`.
    pub fn start(name: &str) -> Result<Self> {
        Self::start_with(name, 1)
    }

    /// [`App::start`] with the notification schedule running `notify_scale` times faster
    /// for loopback receivers (`CAIRN_DEV_NOTIFY_SCALE`).
    pub fn start_with(name: &str, notify_scale: u32) -> Result<Self> {
        ensure_built();
        let dir = test_dir(name);
        let wrangler = Wrangler::start(Options {
            notify_scale,
            ..Options::ephemeral(dir.join("state"), dir.join("wrangler-0.log"))?
        })?;
        let http = xtask::http_agent(Some(Duration::from_secs(30)));
        Ok(Self {
            wrangler,
            dir,
            http,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.wrangler.base
    }

    /// This test's directory.
    pub fn dir(&self) -> &PathBuf {
        &self.dir
    }

    /// Runs SQL against this app's local D1 database while it runs.
    pub fn d1(&self, sql: &str) -> Result<()> {
        xtask::seed::d1_execute(&self.dir.join("state"), sql)
    }

    /// Lines of this app's logs (every run of it) that report an internal error: a failure
    /// the client only saw as `500`/`503`, or one inside an alarm that no client saw at all.
    pub fn internal_errors(&self) -> Vec<String> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !(name.starts_with("wrangler-") && name.ends_with(".log")) {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            found.extend(
                text.lines()
                    .filter(|l| l.contains("internal error") || l.contains("alarm failed"))
                    .map(str::to_owned),
            );
        }
        found
    }

    /// Kills wrangler's whole process group at once (SIGKILL), as a crash would.
    pub fn crash(&mut self) {
        self.wrangler.crash();
    }

    /// Stops wrangler and starts it again on the same state directory (and a new port).
    pub fn restart(&mut self) -> Result<()> {
        self.wrangler.stop();
        let n = std::fs::read_dir(&self.dir)?
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("wrangler-"))
            })
            .count();
        let options = Options {
            notify_scale: self.wrangler.options.notify_scale,
            ..Options::ephemeral(
                self.dir.join("state"),
                self.dir.join(format!("wrangler-{n}.log")),
            )?
        };
        self.wrangler = Wrangler::start(options)?;
        Ok(())
    }

    /// `method path` with `headers` and an optional body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Result<Reply> {
        let reply = self.send(method, path, headers, body)?;
        Ok(Reply {
            status: reply.status,
            headers: reply.headers,
            body: String::from_utf8_lossy(&reply.body).into_owned(),
        })
    }

    /// `GET path` with `headers`, the body as bytes (an image, say).
    pub fn get_bytes(&self, path: &str, headers: &[(&str, &str)]) -> Result<BytesReply> {
        self.send("GET", path, headers, None)
    }

    /// `method path` with `headers` and an optional body; the answer's body as bytes.
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Result<BytesReply> {
        let url = format!("{}{path}", self.base());
        let request = ureq::http::Request::builder().method(method).uri(&url);
        let request = headers.iter().fold(request, |r, (k, v)| r.header(*k, *v));
        let mut response = match body {
            Some(body) => self.http.run(request.body(body.to_owned())?),
            None => self.http.run(request.body(())?),
        }
        .with_context(|| format!("{method} {url}"))?;
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let status = response.status().as_u16();
        Ok(BytesReply {
            status,
            headers,
            body: response.body_mut().read_to_vec()?,
        })
    }

    /// A client-API request as user `user` of the demo project.
    pub fn client(
        &self,
        method: &str,
        path: &str,
        user: &str,
        body: Option<&str>,
    ) -> Result<Reply> {
        self.client_with(method, path, &demo_token(user, None), body)
    }

    /// A client-API request with `token` (e.g. one carrying an account).
    pub fn client_with(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&str>,
    ) -> Result<Reply> {
        let auth = format!("Bearer {token}");
        self.request(
            method,
            path,
            &[
                ("x-cairn-key", DEMO_PUBLISHABLE_KEY),
                ("authorization", &auth),
            ],
            body,
        )
    }

    /// A server-API request with the demo project's secret key.
    pub fn server(&self, method: &str, path: &str, body: Option<&str>) -> Result<Reply> {
        let auth = format!("Bearer {DEMO_SECRET_KEY}");
        self.request(
            method,
            path,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body,
        )
    }

    /// Runs the Playwright script `tests/e2e/<script>` against this app; returns the JSON it
    /// prints last. Screenshots go to `target/e2e/<name>/`.
    pub fn browser(&self, script: &str) -> Result<Value> {
        self.browser_with(script, &[])
    }

    /// [`App::browser`] with more environment variables for the script.
    pub fn browser_with(&self, script: &str, env: &[(&str, &str)]) -> Result<Value> {
        let path = xtask::root().join("tests/e2e").join(script);
        let out = Command::new("node")
            .arg(&path)
            .current_dir(xtask::root())
            .envs(env.iter().copied())
            .env("CAIRN_BASE", self.base())
            .env("CAIRN_ARTIFACTS", &self.dir)
            .env("CHROMIUM", xtask::setup::CHROMIUM)
            .output()
            .with_context(|| format!("running node {}", path.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            bail!("{script} failed ({}):\n{stdout}\n{stderr}", out.status);
        }
        let last = stdout
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .with_context(|| format!("{script} printed no JSON:\n{stdout}\n{stderr}"))?;
        Ok(serde_json::from_str(last)?)
    }
}

/// Polls `f` every 200 ms until it answers `Some`, for at most `secs` seconds: a wait on a
/// condition a D1 write offers no event for (the ledger has the rows, the counts are in).
pub fn until<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl App {
    /// `method path` with the bearer `auth`, sent again after its `Retry-After` while it is a
    /// 503 (the local runtime restarting under the other tests' load), as a client would: only
    /// for idempotent calls (events with keys, reads).
    pub fn retrying(
        &self,
        auth: &str,
        method: &str,
        path: &str,
        body: &str,
        content_type: &str,
    ) -> Reply {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let reply = self
                .request(
                    method,
                    path,
                    &[("authorization", auth), ("content-type", content_type)],
                    Some(body),
                )
                .unwrap();
            if reply.status != 503 || attempt == 5 {
                return reply;
            }
            let wait = reply
                .header("retry-after")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            std::thread::sleep(Duration::from_secs(wait));
        }
    }

    /// A new project named `name` (admin token): its id and keys, as `POST /v1/projects`
    /// answers them.
    pub fn create_project(&self, name: &str) -> Value {
        let admin = format!("Bearer {DEV_ADMIN_TOKEN}");
        let reply = self
            .request(
                "POST",
                "/v1/projects",
                &[
                    ("authorization", &admin),
                    ("content-type", "application/json"),
                ],
                Some(&serde_json::json!({ "name": name, "allowed_origins": [] }).to_string()),
            )
            .unwrap();
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.json()
    }

    /// Every row of the ledger (`GET /v1/milestones`, page after page) with the bearer `auth`;
    /// `None` when a page is not a list.
    pub fn ledger(&self, auth: &str) -> Option<Vec<Value>> {
        let mut rows = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = cursor
                .as_ref()
                .map_or_else(String::new, |c| format!("&cursor={}", encode(c)));
            let page = self
                .request(
                    "GET",
                    &format!("/v1/milestones?limit=200{q}"),
                    &[("authorization", auth)],
                    None,
                )
                .ok()?
                .json();
            rows.extend(page["milestones"].as_array()?.iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return Some(rows),
            }
        }
    }
}

/// `value` percent-encoded for a query string (RFC 3986 unreserved characters stay).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

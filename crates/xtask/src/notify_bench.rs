//! `cargo xtask bench notify`: how fast the notification pipeline drains. A webhook receiver on
//! 127.0.0.1 counts distinct `webhook-id`s while 10,000 awards (one per new user) are sent in
//! batches of 1,000; the figure is the time from the first batch to the last delivery.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The longest a run may take before it gives up.
const DEADLINE: Duration = Duration::from_secs(600);

/// One run's figures.
#[derive(Debug, Clone)]
pub struct Run {
    pub awards: usize,
    /// Time to send every batch.
    pub ingest: Duration,
    /// Time from the first batch to the last distinct delivery.
    pub delivered: Duration,
    /// Deliveries of a `webhook-id` already received (should be 0).
    pub duplicates: usize,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.awards as f64 / self.delivered.as_secs_f64()
    }
}

/// The repository's `wrangler.toml` with the consumer's `max_batch_size` set to `batch` and
/// every path made absolute, written into `dir`.
pub fn config_variant(dir: &Path, batch: usize) -> Result<PathBuf> {
    let root = crate::root();
    let text = std::fs::read_to_string(root.join("wrangler.toml"))?;
    let abs = |p: &str| root.join(p).display().to_string();
    let text = text
        .replace(
            "main = \"worker/entry.mjs\"",
            &format!("main = \"{}\"", abs("worker/entry.mjs")),
        )
        .replace(
            "directory = \"web/dist\"",
            &format!("directory = \"{}\"", abs("web/dist")),
        )
        .replace(
            "migrations_dir = \"migrations\"",
            &format!("migrations_dir = \"{}\"", abs("migrations")),
        )
        .replace("max_batch_size = 50", &format!("max_batch_size = {batch}"));
    if !text.contains(&format!("max_batch_size = {batch}")) {
        bail!("wrangler.toml has no `max_batch_size = 50` to vary");
    }
    let path = dir.join("wrangler.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Sends `awards` awards and waits until the receiver has every webhook.
pub fn run(base: &str, secret_key: &str, awards: usize) -> Result<Run> {
    if !base.starts_with("http://127.0.0.1:") {
        bail!("the notify benchmark targets loopback only");
    }
    let server = Arc::new(
        tiny_http::Server::http("127.0.0.1:0").map_err(|e| anyhow::anyhow!("receiver: {e}"))?,
    );
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .context("receiver address")?;
    let seen = Arc::new(Mutex::new((
        HashSet::<String>::new(),
        0usize,
        None::<Instant>,
    )));
    let receiver = {
        let (server, seen) = (Arc::clone(&server), Arc::clone(&seen));
        std::thread::spawn(move || {
            for mut request in server.incoming_requests() {
                let id = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("webhook-id"))
                    .map(|h| h.value.as_str().to_owned());
                let mut sink = Vec::new();
                let _ = std::io::Read::read_to_end(request.as_reader(), &mut sink);
                if let (Some(id), Ok(mut s)) = (id, seen.lock()) {
                    if !s.0.insert(id) {
                        s.1 += 1;
                    }
                    s.2 = Some(Instant::now());
                }
                let _ = request.respond(tiny_http::Response::empty(204));
            }
        })
    };
    let agent = crate::http_agent(Some(Duration::from_secs(120)));
    let auth = format!("Bearer {secret_key}");
    let endpoint =
        format!(r#"{{"url":"http://127.0.0.1:{port}/hook","event_types":["milestone.achieved"]}}"#);
    let mut reply = agent
        .post(format!("{base}/v1/webhooks"))
        .header("authorization", &auth)
        .send(&endpoint)?;
    if reply.status().as_u16() != 201 {
        bail!(
            "creating the endpoint: {} {}",
            reply.status(),
            reply.body_mut().read_to_string()?
        );
    }
    let started = Instant::now();
    let batch = 1000;
    for first in (0..awards).step_by(batch) {
        let events: Vec<String> = (first..(first + batch).min(awards))
            .map(|i| {
                format!(
                    r#"{{"user_id":"n{i}","event":"project_created","idempotency_key":"n{i}"}}"#
                )
            })
            .collect();
        let body = format!(r#"{{"events":[{}]}}"#, events.join(","));
        let mut tries = 0;
        loop {
            tries += 1;
            let mut reply = agent
                .post(format!("{base}/v1/events"))
                .header("authorization", &auth)
                .send(&body)?;
            let status = reply.status().as_u16();
            let text = reply.body_mut().read_to_string()?;
            match status {
                200 if !text.contains("rejected") => break,
                // The local runtime restarted mid-request: resending is exact (idempotency keys).
                503 if tries < 5 => std::thread::sleep(Duration::from_millis(500)),
                _ => bail!("batch at {first}: {status} {text:.300}"),
            }
        }
    }
    let ingest = started.elapsed();
    loop {
        let (count, duplicates, last) = {
            let s = seen
                .lock()
                .map_err(|_| anyhow::anyhow!("receiver poisoned"))?;
            (s.0.len(), s.1, s.2)
        };
        if count >= awards {
            server.unblock();
            let _ = receiver.join();
            return Ok(Run {
                awards,
                ingest,
                delivered: last.map_or(started.elapsed(), |l| l - started),
                duplicates,
            });
        }
        if started.elapsed() > DEADLINE {
            server.unblock();
            bail!("only {count} of {awards} webhooks arrived within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

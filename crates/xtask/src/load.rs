//! A small closed-loop load generator for `cargo xtask bench`: N connections on loopback, each
//! sending its next request when the previous answer arrived, for a fixed time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

/// One scenario's result.
#[derive(Debug, Clone)]
pub struct Report {
    pub name: String,
    pub requests: usize,
    pub events: usize,
    pub errors: usize,
    /// What the errors were: `HTTP 503 (Retry-After: 1)`, `io: …`, by count, each with the
    /// start of one of their bodies.
    pub error_kinds: std::collections::BTreeMap<String, (usize, String)>,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Report {
    pub fn requests_per_sec(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
}

/// What to send: `(method, path, body)` for request number `n` of connection `c`, and how
/// many events it carries.
pub type Make = dyn Fn(usize, usize) -> (&'static str, String, Option<String>, usize) + Send + Sync;

/// How long each scenario runs unmeasured before it is measured (caches and the JIT warm),
/// as any benchmark harness does.
pub const WARM_UP: Duration = Duration::from_secs(2);

/// Runs `make` on `connections` connections to `base` unmeasured for [`WARM_UP`] and at least
/// `warm_requests` requests (enough to wake every object the scenario touches: the runtime
/// evicts an object after about 10 s idle), then measures it
/// for `duration`; `auth` is sent as the `authorization` header. Only loopback addresses are
/// accepted. Request numbers continue from the warm-up (idempotency keys stay distinct).
pub fn run(
    name: &str,
    base: &str,
    auth: Option<&str>,
    connections: usize,
    duration: Duration,
    warm_requests: usize,
    make: Arc<Make>,
) -> Result<Report> {
    if !(base.starts_with("http://127.0.0.1:") || base.starts_with("http://localhost:")) {
        bail!("load tests target loopback only, not {base}");
    }
    let counter = Arc::new(AtomicUsize::new(0));
    let warming = Instant::now();
    while counter.load(Ordering::Relaxed) < warm_requests || warming.elapsed() < WARM_UP {
        let report = measure(name, base, auth, connections, WARM_UP, &make, &counter)?;
        if report.requests == 0 {
            bail!(
                "{name}: no request succeeded while warming up: {:?}",
                report.error_kinds
            );
        }
    }
    measure(name, base, auth, connections, duration, &make, &counter)
}

fn measure(
    name: &str,
    base: &str,
    auth: Option<&str>,
    connections: usize,
    duration: Duration,
    make: &Arc<Make>,
    counter: &Arc<AtomicUsize>,
) -> Result<Report> {
    let started = Instant::now();
    let threads: Vec<_> = (0..connections)
        .map(|c| {
            let base = base.to_owned();
            let auth = auth.map(str::to_owned);
            let make = Arc::clone(make);
            let counter = Arc::clone(counter);
            std::thread::spawn(move || {
                let agent = crate::http_agent(Some(Duration::from_secs(30)));
                let mut latencies = Vec::new();
                let mut kinds = std::collections::BTreeMap::<String, (usize, String)>::new();
                let mut events = 0;
                let deadline = started + duration;
                while Instant::now() < deadline {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let (method, path, body, carried) = make(c, n);
                    let url = format!("{base}{path}");
                    let mut request = ureq::http::Request::builder().method(method).uri(&url);
                    if let Some(auth) = &auth {
                        request = request.header("authorization", auth);
                    }
                    let sent = Instant::now();
                    let result = match body {
                        Some(body) => request
                            .body(body)
                            .map_err(|e| e.to_string())
                            .and_then(|r| agent.run(r).map_err(|e| e.to_string())),
                        None => request
                            .body(())
                            .map_err(|e| e.to_string())
                            .and_then(|r| agent.run(r).map_err(|e| e.to_string())),
                    };
                    match result {
                        Ok(mut response) if response.status().is_success() => {
                            let _ = response.body_mut().read_to_vec();
                            latencies.push(sent.elapsed());
                            events += carried;
                        }
                        Ok(mut response) => {
                            let status = response.status().as_u16();
                            let retry = response
                                .headers()
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok())
                                .map_or_else(
                                    || "no Retry-After".to_owned(),
                                    |v| format!("Retry-After: {v}"),
                                );
                            let body = response.body_mut().read_to_string().unwrap_or_default();
                            let entry = kinds
                                .entry(format!("HTTP {status} ({retry})"))
                                .or_insert_with(|| (0, body.chars().take(160).collect()));
                            entry.0 += 1;
                        }
                        Err(e) => kinds.entry(format!("io: {e}")).or_default().0 += 1,
                    }
                }
                (latencies, events, kinds)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut events = 0;
    let mut error_kinds = std::collections::BTreeMap::<String, (usize, String)>::new();
    for t in threads {
        let (l, e, kinds) = t
            .join()
            .map_err(|_| anyhow::anyhow!("a load thread panicked"))?;
        latencies.extend(l);
        events += e;
        for (kind, (n, sample)) in kinds {
            let entry = error_kinds.entry(kind).or_insert((0, sample));
            entry.0 += n;
        }
    }
    let errors = error_kinds.values().map(|(n, _)| n).sum();
    let elapsed = started.elapsed();
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok(Report {
        name: name.to_owned(),
        requests: latencies.len(),
        events,
        errors,
        error_kinds,
        elapsed,
        p50: pick(0.5),
        p99: pick(0.99),
    })
}

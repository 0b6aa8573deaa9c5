//! `cargo xtask bench share`: a shared badge's public page and preview image on loopback, beside
//! the no-op route in the same run: page p50/p99, the PNG rendered (cold: each share's first
//! request) and served from the Cache API, and the worker's size with the renderer in it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::load;

/// One share per user: the cold renders are this many.
pub const COLD_RENDERS: usize = 12;

/// What [`run`] measured.
#[derive(Debug)]
pub struct Outcome {
    pub noop: load::Report,
    pub page: load::Report,
    pub png_cached: load::Report,
    /// Each share's first image request (rendered in the worker), wall time.
    pub png_cold: Vec<Duration>,
    /// The same images' second request, one at a time (from the cache): the first minus this
    /// is what rendering added.
    pub png_warm: Vec<Duration>,
    /// The render's own time as the worker saw it (`x-cairn-render: rendered; ms=…`, Date.now
    /// around the render: workerd advances it during computation locally; Cloudflare's edge
    /// does not, so there only CPU-time metrics tell).
    pub render_ms: Vec<f64>,
    pub png_bytes: usize,
}

fn agent() -> ureq::Agent {
    crate::http_agent(Some(Duration::from_secs(60)))
}

fn call(method: &str, url: &str, auth: &[(&str, &str)], body: Option<Value>) -> Result<Value> {
    let request = ureq::http::Request::builder().method(method).uri(url);
    let request = auth.iter().fold(request, |r, (k, v)| r.header(*k, *v));
    let mut response = match body {
        Some(b) => agent().run(
            request
                .header("content-type", "application/json")
                .body(b.to_string())?,
        )?,
        None => agent().run(request.body(())?)?,
    };
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string()?;
    if !(200..300).contains(&status) {
        bail!("{method} {url}: {status} {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Makes `n` users each earn a badge and share it; answers the share ids.
fn shares(base: &str, secret: &str, publishable: &str, n: usize) -> Result<Vec<String>> {
    let server = format!("Bearer {secret}");
    let mut ids = Vec::new();
    for i in 0..n {
        let user = format!("bench-sharer-{i}");
        call(
            "POST",
            &format!("{base}/v1/events"),
            &[("authorization", &server)],
            Some(json!({ "user_id": user, "event": "project_created" })),
        )?;
        let token = call(
            "GET",
            &format!("{base}/v1/demo/token?key={publishable}&user={user}"),
            &[],
            None,
        )?;
        let token = token["token"].as_str().context("a demo token")?.to_owned();
        let bearer = format!("Bearer {token}");
        let client = [
            ("x-cairn-key", publishable),
            ("authorization", bearer.as_str()),
        ];
        let me = call("GET", &format!("{base}/v1/client/me"), &client, None)?;
        let award = me["awards"][0]["id"]
            .as_str()
            .context("an award")?
            .to_owned();
        let share = call(
            "POST",
            &format!("{base}/v1/client/shares"),
            &client,
            Some(
                json!({ "award_id": award, "message": "Proud of this one", "display_name": format!("Sharer {i}") }),
            ),
        )?;
        ids.push(share["share_id"].as_str().context("a share id")?.to_owned());
    }
    Ok(ids)
}

/// Runs the scenarios against `base` (8 connections, `secs` each).
pub fn run(base: &str, secret: &str, publishable: &str, secs: u64) -> Result<Outcome> {
    let duration = Duration::from_secs(secs);
    let ids = shares(base, secret, publishable, COLD_RENDERS + 1)?;
    let mut png_cold = Vec::new();
    let mut png_warm = Vec::new();
    let mut render_ms = Vec::new();
    let mut png_bytes = 0;
    for id in ids.iter().skip(1) {
        let started = Instant::now();
        let mut response = agent().get(format!("{base}/s/{id}.png")).call()?;
        let render = response
            .headers()
            .get("x-cairn-render")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response.body_mut().read_to_vec()?;
        png_cold.push(started.elapsed());
        if !render.starts_with("rendered") {
            bail!("{id}.png was not rendered on its first request: {render}");
        }
        if let Some(ms) = render
            .split_once("ms=")
            .and_then(|(_, v)| v.trim().parse::<f64>().ok())
        {
            render_ms.push(ms);
        }
        png_bytes = bytes.len();
        let started = Instant::now();
        let mut again = agent().get(format!("{base}/s/{id}.png")).call()?;
        let _ = again.body_mut().read_to_vec()?;
        png_warm.push(started.elapsed());
    }
    let noop = load::run(
        "no-op",
        base,
        None,
        8,
        duration,
        0,
        Arc::new(|_, _| ("GET", "/v1/health".into(), None, 0)),
    )?;
    let first = ids.first().cloned().context("a share")?;
    let page_path = format!("/s/{first}");
    let page = load::run(
        "page",
        base,
        None,
        8,
        duration,
        0,
        Arc::new(move |_, _| ("GET", page_path.clone(), None, 0)),
    )?;
    let png_path = format!("/s/{}.png", ids.get(1).cloned().unwrap_or(first));
    let png_cached = load::run(
        "png (cached)",
        base,
        None,
        8,
        duration,
        0,
        Arc::new(move |_, _| ("GET", png_path.clone(), None, 0)),
    )?;
    png_cold.sort();
    png_warm.sort();
    render_ms.sort_by(f64::total_cmp);
    Ok(Outcome {
        render_ms,
        noop,
        page,
        png_cached,
        png_cold,
        png_warm,
        png_bytes,
    })
}

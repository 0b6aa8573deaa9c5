//! `cairn import FILE.jsonl|FILE.csv`: backfills history through `POST /v1/import`.
//!
//! Events go in batches of up to 1,000. Each event without an `idempotency_key` gets one derived
//! from the file's content and its line, so sending a batch again (after an interruption, or a
//! retry) counts it once. After each batch the number of events done is written next to the
//! file (`FILE.progress`); a later run resumes from there.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use cairn_core::wire::{EventStatus, EventsResponse, MAX_BATCH, ServerEvent};
use sha2::{Digest, Sha256};

/// What to import, and where.
#[derive(Debug, Clone)]
pub struct Options {
    pub file: PathBuf,
    /// API origin, e.g. `http://127.0.0.1:8787`.
    pub base: String,
    /// The project's secret key.
    pub secret_key: String,
    /// Stop after this many batches (to rehearse an interruption).
    pub stop_after_batches: Option<usize>,
    /// Draw a progress bar.
    pub progress_bar: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub resumed_from: usize,
    pub accepted: usize,
    pub duplicate: usize,
    pub rejected: usize,
}

/// Where the progress of `file` is kept.
pub fn progress_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".progress");
    file.with_file_name(name)
}

/// Imports `options.file`.
pub fn run(options: &Options) -> Result<Summary> {
    let text = std::fs::read_to_string(&options.file)
        .with_context(|| format!("reading {}", options.file.display()))?;
    let events = parse(&options.file, &text)?;
    let progress = progress_path(&options.file);
    let done: usize = std::fs::read_to_string(&progress)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let mut summary = Summary {
        total: events.len(),
        resumed_from: done.min(events.len()),
        ..Summary::default()
    };
    let bar = indicatif::ProgressBar::new(events.len() as u64);
    if !options.progress_bar {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} events, {per_sec}, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_position(summary.resumed_from as u64);
    let agent = crate::agent(Some(Duration::from_secs(120)));
    let url = format!("{}/v1/import", options.base.trim_end_matches('/'));
    let auth = format!("Bearer {}", options.secret_key);
    for (n, batch) in events[summary.resumed_from..].chunks(MAX_BATCH).enumerate() {
        if options.stop_after_batches.is_some_and(|stop| n >= stop) {
            break;
        }
        let body = serde_json::json!({ "events": batch }).to_string();
        let answer = send_with_retries(&agent, &url, &auth, &body)?;
        for result in &answer.results {
            match result.status {
                EventStatus::Accepted => summary.accepted += 1,
                EventStatus::Duplicate => summary.duplicate += 1,
                EventStatus::Rejected => summary.rejected += 1,
            }
        }
        let position = bar.position() as usize + batch.len();
        std::fs::write(&progress, position.to_string())
            .with_context(|| format!("writing {}", progress.display()))?;
        bar.set_position(position as u64);
    }
    bar.finish();
    Ok(summary)
}

/// Sends one batch; retries network errors, 429 and 5xx with backoff.
fn send_with_retries(
    agent: &ureq::Agent,
    url: &str,
    auth: &str,
    body: &str,
) -> Result<EventsResponse> {
    let mut delay = Duration::from_millis(500);
    for attempt in 1..=6 {
        let sent = agent
            .post(url)
            .header("authorization", auth)
            .header("content-type", "application/json")
            .send(body);
        match sent {
            Ok(mut response) if response.status().is_success() => {
                return Ok(response.body_mut().read_json()?);
            }
            Ok(mut response)
                if response.status().as_u16() == 429 || response.status().is_server_error() =>
            {
                let _ = response.body_mut().read_to_vec();
            }
            Ok(mut response) => {
                let text = response.body_mut().read_to_string().unwrap_or_default();
                bail!("the import was refused ({}): {text}", response.status());
            }
            Err(e) if attempt == 6 => return Err(e.into()),
            Err(_) => {}
        }
        std::thread::sleep(delay);
        delay *= 2;
    }
    bail!("the API kept failing; run the import again to resume")
}

/// Reads JSON lines or CSV (`user_id,event,value,timestamp,account_id,idempotency_key`).
fn parse(path: &Path, text: &str) -> Result<Vec<ServerEvent>> {
    let file_id: String = Sha256::digest(text.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let key = |line: usize| format!("import:{file_id}:{line}");
    let csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut events = Vec::new();
    if csv {
        #[derive(serde::Deserialize)]
        struct Row {
            user_id: String,
            event: String,
            #[serde(default)]
            value: Option<u64>,
            #[serde(default)]
            timestamp: Option<jiff::Timestamp>,
            #[serde(default)]
            account_id: Option<String>,
            #[serde(default)]
            idempotency_key: Option<String>,
        }
        for (i, row) in csv::Reader::from_reader(text.as_bytes())
            .deserialize::<Row>()
            .enumerate()
        {
            let row = row.with_context(|| format!("{}: record {}", path.display(), i + 1))?;
            events.push(ServerEvent {
                user_id: row.user_id,
                event: row.event,
                value: row.value,
                timestamp: row.timestamp,
                idempotency_key: Some(
                    row.idempotency_key
                        .filter(|k| !k.is_empty())
                        .unwrap_or_else(|| key(i + 2)),
                ),
                account_id: row.account_id.filter(|a| !a.is_empty()),
                user: None,
            });
        }
    } else {
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let mut event: ServerEvent = serde_json::from_str(line)
                .with_context(|| format!("{}:{}: not an event", path.display(), i + 1))?;
            if event.idempotency_key.is_none() {
                event.idempotency_key = Some(key(i + 1));
            }
            events.push(event);
        }
    }
    Ok(events)
}

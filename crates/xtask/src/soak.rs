//! Exactness at volume: a bounded soak of the event API, and the check that every total and
//! every ledger row is exactly what was sent (`cargo xtask bench soak`, and a smaller run with
//! a crash in the middle in the end-to-end tests).
//!
//! Batches of events spread over many users, some of them members of accounts; about one
//! event in ten sent again with its idempotency key; meanwhile many writers on a few hot
//! users. Every event has a unique key, so what must be counted is known exactly: each key
//! once. [`verify`] first re-sends the events whose answer never arrived (in flight when the
//! server died, say) — they are the newest of their users, inside the engine's idempotency
//! window — then checks every user's and account's total and that the ledger holds each award
//! of each subject once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

/// The shape of a soak.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Users the batches spread over.
    pub users: usize,
    /// Events sent in batches (replays not counted).
    pub events: usize,
    /// Events per batch.
    pub batch: usize,
    /// Connections sending batches.
    pub connections: usize,
    /// One event in `replay_every` is sent again later in its stream.
    pub replay_every: usize,
    /// The first `members` users belong to accounts `a0` … (round robin over `accounts`).
    pub members: usize,
    pub accounts: usize,
    /// Hot users `hot0` … (all in account `hot-team`) and the writers hammering them.
    pub hot_users: usize,
    pub hot_writers: usize,
    /// Single events each hot writer sends.
    pub hot_events: usize,
}

impl Plan {
    /// 100,000 events over 1,000 users, 20 writers on 5 hot users.
    pub fn full() -> Self {
        Self {
            users: 1000,
            events: 100_000,
            batch: 500,
            connections: 4,
            replay_every: 10,
            members: 300,
            accounts: 20,
            hot_users: 5,
            hot_writers: 20,
            hot_events: 250,
        }
    }
}

/// One event as sent.
#[derive(Debug, Clone)]
struct Sent {
    user: String,
    account: Option<String>,
    body: Value,
}

/// What a soak sent and what it heard back.
#[derive(Debug, Default)]
pub struct Outcome {
    events: BTreeMap<String, Sent>,
    /// Keys in the order they were first sent.
    order: Vec<String>,
    /// Keys answered `accepted` or `duplicate`.
    answered: BTreeSet<String>,
    /// Requests sent, events sent (replays included), answers that were errors.
    pub requests: usize,
    pub sent: usize,
    pub errors: usize,
    /// What the errors were (`HTTP 503`, `io`), by count.
    pub error_kinds: BTreeMap<String, usize>,
    pub elapsed: Duration,
}

impl Outcome {
    /// Events the soak meant to count (each unique key).
    pub fn unique(&self) -> usize {
        self.events.len()
    }

    /// Keys that got an answer.
    pub fn answered(&self) -> usize {
        self.answered.len()
    }
}

/// Sends `plan` to `base` with secret key `key`. Stops early, without error, once `stop` is
/// set (a test that kills the server sets it first). `progress` counts answered events.
pub fn run(
    base: &str,
    key: &str,
    plan: &Plan,
    stop: &AtomicBool,
    progress: &AtomicUsize,
) -> Result<Outcome> {
    if !(base.starts_with("http://127.0.0.1:") || base.starts_with("http://localhost:")) {
        bail!("soaks target loopback only, not {base}");
    }
    let outcome = Mutex::new(Outcome::default());
    let auth = format!("Bearer {key}");
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for c in 0..plan.connections {
            let (outcome, auth, next) = (&outcome, &auth, &next);
            scope.spawn(move || {
                let agent = crate::http_agent(Some(Duration::from_secs(60)));
                let mut history: Vec<Sent> = Vec::new();
                let mut since_replay = 0;
                loop {
                    let first = next.fetch_add(plan.batch, Ordering::Relaxed);
                    if first >= plan.events || stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let mut batch = Vec::with_capacity(plan.batch + plan.batch / plan.replay_every);
                    for n in first..(first + plan.batch).min(plan.events) {
                        let u = (n * 7919 + c) % plan.users;
                        let account = (u < plan.members).then(|| format!("a{}", u % plan.accounts));
                        let sent = event(format!("u{u}"), account, format!("e{n}"));
                        batch.push(sent.clone());
                        history.push(sent);
                        since_replay += 1;
                        if since_replay == plan.replay_every {
                            since_replay = 0;
                            // A recent one (well inside the idempotency window).
                            let back = (n * 31) % history.len().min(50);
                            batch.push(history[history.len() - 1 - back].clone());
                        }
                    }
                    if history.len() > 200 {
                        history.drain(..100);
                    }
                    send(&agent, base, auth, &batch, outcome, progress);
                }
            });
        }
        for w in 0..plan.hot_writers {
            let (outcome, auth) = (&outcome, &auth);
            scope.spawn(move || {
                let agent = crate::http_agent(Some(Duration::from_secs(60)));
                let user = format!("hot{}", w % plan.hot_users.max(1));
                for i in 0..plan.hot_events {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let sent = event(user.clone(), Some("hot-team".into()), format!("h{w}-{i}"));
                    send(
                        &agent,
                        base,
                        auth,
                        std::slice::from_ref(&sent),
                        outcome,
                        progress,
                    );
                    if i % plan.replay_every == 0 {
                        send(&agent, base, auth, &[sent], outcome, progress);
                    }
                }
            });
        }
    });
    let mut outcome = outcome.into_inner().unwrap_or_else(|e| e.into_inner());
    outcome.elapsed = started.elapsed();
    Ok(outcome)
}

fn event(user: String, account: Option<String>, key: String) -> Sent {
    let mut body = json!({"user_id": user, "event": "project_created", "idempotency_key": key});
    if let Some(account) = &account {
        body["account_id"] = json!(account);
    }
    Sent {
        user,
        account,
        body,
    }
}

/// Sends `events` as one request (a batch, or a single event) and records the answers.
fn send(
    agent: &ureq::Agent,
    base: &str,
    auth: &str,
    events: &[Sent],
    outcome: &Mutex<Outcome>,
    progress: &AtomicUsize,
) {
    let body = match events {
        [one] => one.body.clone(),
        many => json!({"events": many.iter().map(|s| s.body.clone()).collect::<Vec<_>>()}),
    };
    // Any error (a refused connection, a 503) leaves the events unanswered.
    let mut error = None;
    let answer = match agent
        .post(format!("{base}/v1/events"))
        .header("authorization", auth)
        .send(body.to_string())
    {
        Ok(mut r) if r.status().is_success() => r.body_mut().read_json::<Value>().ok(),
        Ok(r) => {
            error = Some(format!("HTTP {}", r.status().as_u16()));
            None
        }
        Err(e) => {
            error = Some(format!("io: {e}"));
            None
        }
    };
    let results: Vec<Value> = answer
        .as_ref()
        .and_then(|a| a["results"].as_array().cloned())
        .unwrap_or_default();
    let mut o = outcome.lock().unwrap_or_else(|e| e.into_inner());
    o.requests += 1;
    o.sent += events.len();
    if answer.is_none() {
        o.errors += 1;
        *o.error_kinds
            .entry(error.unwrap_or_else(|| "unreadable answer".into()))
            .or_default() += 1;
    }
    for (i, sent) in events.iter().enumerate() {
        let key = sent.body["idempotency_key"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !o.events.contains_key(&key) {
            o.events.insert(key.clone(), sent.clone());
            o.order.push(key.clone());
        }
        let ok = results
            .get(i)
            .and_then(|r| r["status"].as_str())
            .is_some_and(|s| s == "accepted" || s == "duplicate");
        if ok && o.answered.insert(key) {
            progress.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What [`verify`] found.
#[derive(Debug)]
pub struct Verified {
    /// Events re-sent because their first answer never came.
    pub resent: usize,
    pub users: usize,
    pub accounts: usize,
    pub ledger_rows: usize,
    /// Time from the end of the load until the accounts and the ledger were complete.
    pub settled: Duration,
}

/// First checks that every user's total already includes each of their events that was
/// answered (nothing answered is lost, crash or not); then re-sends what got no answer, and
/// checks every total and the ledger (waiting up to `patience` for the outboxes to drain).
pub fn verify(base: &str, key: &str, outcome: &Outcome, patience: Duration) -> Result<Verified> {
    let agent = crate::http_agent(Some(Duration::from_secs(60)));
    let auth = format!("Bearer {key}");
    let get_with = |path: &str, query: &[(&str, &str)]| -> Result<Value> {
        let mut r = agent
            .get(format!("{base}{path}"))
            .query_pairs(query.iter().copied())
            .header("authorization", &auth)
            .call()
            .with_context(|| format!("GET {path}"))?;
        if !r.status().is_success() {
            bail!(
                "GET {path}: {} {}",
                r.status(),
                r.body_mut().read_to_string()?
            );
        }
        Ok(r.body_mut().read_json()?)
    };
    let get = |path: &str| get_with(path, &[]);
    let total = |v: &Value| v["totals"]["project_created"].as_u64().unwrap_or(0) as usize;
    let mut by_user: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut by_account: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for (key, sent) in &outcome.events {
        let entry = by_user.entry(&sent.user).or_default();
        entry.0 += 1;
        if outcome.answered.contains(key) {
            entry.1 += 1;
        }
        if let Some(account) = &sent.account {
            let entry = by_account.entry(account).or_insert((0, &sent.user));
            entry.0 += 1;
        }
    }
    // Nothing answered is lost.
    for (user, (_, answered)) in &by_user {
        let counted = total(&get(&format!("/v1/users/{user}"))?);
        if counted < *answered {
            bail!("user {user}: {counted} counted, but {answered} events were answered accepted");
        }
    }
    // What got no answer is sent again, with its key, in the order it was first sent (an
    // event that was applied but not answered is then still in its user's idempotency window:
    // the newest 128 keys of the last 24 h).
    let missing: Vec<&Sent> = outcome
        .order
        .iter()
        .filter(|k| !outcome.answered.contains(*k))
        .filter_map(|k| outcome.events.get(k))
        .collect();
    for chunk in missing.chunks(500) {
        let body = json!({"events": chunk.iter().map(|s| s.body.clone()).collect::<Vec<_>>()});
        let mut tries = 0;
        loop {
            tries += 1;
            let answer: Result<Value> = agent
                .post(format!("{base}/v1/events"))
                .header("authorization", &auth)
                .send(body.to_string())
                .map_err(anyhow::Error::from)
                .and_then(|mut r| Ok(r.body_mut().read_json()?));
            let done = answer.as_ref().is_ok_and(|a| {
                a["results"].as_array().is_some_and(|r| {
                    r.iter()
                        .all(|r| r["status"] == "accepted" || r["status"] == "duplicate")
                })
            });
            if done {
                break;
            }
            if tries == 5 {
                bail!("re-sending unanswered events failed: {answer:?}");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    let ended = Instant::now();
    // Every user: exactly their unique events.
    let mut expected_awards = BTreeSet::new();
    for (user, (unique, _)) in &by_user {
        let me = get(&format!("/v1/users/{user}"))?;
        if total(&me) != *unique {
            bail!("user {user}: {} counted, {unique} sent", total(&me));
        }
        for award in me["awards"].as_array().into_iter().flatten() {
            expected_awards.insert(award["id"].as_str().unwrap_or_default().to_owned());
        }
    }
    // Every account: exactly its members' unique events, once the steps have landed.
    let deadline = Instant::now() + patience;
    for (account, (unique, member)) in &by_account {
        loop {
            let me = get(&format!("/v1/users/{member}?account_id={account}"))?;
            let counted = total(&me["account"]);
            if counted == *unique {
                for award in me["account"]["awards"].as_array().into_iter().flatten() {
                    expected_awards.insert(award["id"].as_str().unwrap_or_default().to_owned());
                }
                break;
            }
            if counted > *unique || Instant::now() > deadline {
                bail!("account {account}: {counted} counted, {unique} sent");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
    // The ledger: each award of each subject once, none else.
    let ledger_rows = loop {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("limit", "200")];
            query.extend(cursor.as_deref().map(|c| ("cursor", c)));
            let page = get_with("/v1/milestones", &query)?;
            for row in page["milestones"].as_array().into_iter().flatten() {
                ids.push(row["id"].as_str().unwrap_or_default().to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let unique: BTreeSet<String> = ids.iter().cloned().collect();
        if unique.len() != ids.len() {
            bail!("the ledger lists an award twice");
        }
        if unique == expected_awards {
            break ids.len();
        }
        let extra = unique.difference(&expected_awards).count();
        if extra > 0 || Instant::now() > deadline {
            bail!(
                "ledger: {} rows, {} awards held by subjects ({} missing, {extra} unknown)",
                unique.len(),
                expected_awards.len(),
                expected_awards.difference(&unique).count()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    Ok(Verified {
        resent: missing.len(),
        users: by_user.len(),
        accounts: by_account.len(),
        ledger_rows,
        settled: ended.elapsed(),
    })
}

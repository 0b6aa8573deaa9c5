//! `cargo xtask dev --history`: a realistic history in a project of its own, so that every
//! console page shows something on a fresh clone.
//!
//! 2,000 users sign up over the last 90 days, in 120 customer accounts (name, ARR, health, CSM,
//! customer since); each uses "Acme Projects" on some days and not others, a fifth stall after
//! their first day, and the holdout (10 %) returns a little less often than the celebrated
//! users — the retention difference the impact page should find. Everything goes through the
//! public API (`POST /v1/events` with timestamps), so the engine, the ledger and the rollups
//! are exactly what production would record. Deterministic: the same plan gives the same
//! history.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::{DEV_ADMIN_TOKEN, http_agent, root};

/// What to seed.
#[derive(Debug, Clone)]
pub struct Plan {
    pub users: usize,
    pub days: i64,
    pub accounts: usize,
    /// Holdout share, in percent.
    pub holdout: u32,
    /// Daily return probability of celebrated users on their first days (the holdout's is
    /// `holdout_return`); both decay by 1.5 % a day.
    pub celebrated_return: f64,
    pub holdout_return: f64,
    pub seed: u64,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            users: 2000,
            days: 90,
            accounts: 120,
            holdout: 10,
            celebrated_return: 0.45,
            holdout_return: 0.33,
            seed: 7,
        }
    }
}

/// What was seeded.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub project_id: String,
    pub secret_key: String,
    /// A one-time console sign-in link of the project's owner.
    pub owner_link: String,
    pub events: usize,
}

/// A small deterministic generator (xorshift64*): the history is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const COMPANIES: &[&str] = &[
    "Initech",
    "Globex",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Wonka",
    "Gringotts",
    "Monarch",
    "Oscorp",
    "Acme",
    "Nakatomi",
];
const CSMS: &[&str] = &["Dana", "Eli", "Farah", "Goran"];

/// Seeds `plan` through the API at `base` (a running `wrangler dev`).
pub fn seed(base: &str, plan: &Plan) -> Result<Seeded> {
    let http = http_agent(Some(std::time::Duration::from_secs(120)));
    let admin = format!("Bearer {DEV_ADMIN_TOKEN}");
    // A 503 (the local runtime restarting mid-request, an object overloaded) is tried again
    // after its Retry-After: every call here is idempotent (events carry keys).
    let send =
        |method: &str, path: &str, auth: &str, content_type: &str, body: String| -> Result<Value> {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let request = ureq::http::Request::builder()
                    .method(method)
                    .uri(format!("{base}{path}"))
                    .header("authorization", auth)
                    .header("content-type", content_type)
                    .body(body.clone())?;
                let mut response = http
                    .run(request)
                    .with_context(|| format!("{method} {path}"))?;
                let status = response.status().as_u16();
                let wait = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                    .unwrap_or(1);
                let text = response.body_mut().read_to_string()?;
                if status == 503 && attempt < 5 {
                    std::thread::sleep(std::time::Duration::from_secs(wait.min(10)));
                    continue;
                }
                if !(200..300).contains(&status) {
                    bail!("{method} {path}: {status} {text}");
                }
                return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
            }
        };

    let project = send(
        "POST",
        "/v1/projects",
        &admin,
        "application/json",
        json!({ "name": format!("Acme Projects ({}-day history)", plan.days), "allowed_origins": [] })
            .to_string(),
    )?;
    let project_id = project["id"].as_str().context("id")?.to_owned();
    let secret_key = project["secret_key"]
        .as_str()
        .context("secret_key")?
        .to_owned();
    let key = format!("Bearer {secret_key}");

    let toml = std::fs::read_to_string(root().join("examples/acme/cairn.toml"))?;
    let toml = toml
        .replacen(
            "# Control group: 0 % in the demo, so that every demo user celebrates.\n",
            "# Control group of the seeded history: its users return less often.\n",
            1,
        )
        .replacen(
            "[holdout]\npercent = 0\n",
            &format!("[holdout]\npercent = {}\n", plan.holdout),
            1,
        );
    if !toml.contains(&format!("[holdout]\npercent = {}\n", plan.holdout)) {
        bail!("examples/acme/cairn.toml no longer has `[holdout]\\npercent = 0`");
    }
    send(
        "PUT",
        "/v1/definitions",
        &key,
        "application/toml",
        toml.clone(),
    )?;
    let defs = cairn_core::Definitions::compile_toml(&toml)?;

    let mut rng = Rng(plan.seed.max(1));
    let now = jiff::Timestamp::now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let day_start = |ago: i64| -> Result<jiff::Timestamp> {
        Ok((today - jiff::Span::new().days(ago))
            .to_zoned(jiff::tz::TimeZone::UTC)?
            .timestamp())
    };

    // Accounts, each a customer since some day before its first user.
    let accounts: Vec<String> = (0..plan.accounts)
        .map(|i| {
            let name = COMPANIES[i % COMPANIES.len()];
            format!("{}-{}", name.to_lowercase(), i / COMPANIES.len() + 1)
        })
        .collect();
    for (i, account) in accounts.iter().enumerate() {
        let name = COMPANIES[i % COMPANIES.len()];
        let since = today - jiff::Span::new().days(plan.days + rng.below(700) as i64);
        let traits = json!({
            "name": format!("{name} {}", i / COMPANIES.len() + 1),
            "arr": (5 + rng.below(245)) as f64 * 1000.0,
            "currency": "USD",
            "health_score": (40 + rng.below(56)) as f64,
            "csm_name": CSMS[i % CSMS.len()],
            "customer_since": since.to_string(),
        });
        send(
            "PUT",
            &format!("/v1/accounts/{account}"),
            &key,
            "application/json",
            traits.to_string(),
        )?;
    }

    // Users and their days.
    let mut events: Vec<(jiff::Timestamp, Value)> = Vec::new();
    for i in 0..plan.users {
        let user = format!("user-{i:04}");
        let account = &accounts[i % accounts.len()];
        let signed_up = rng.below(plan.days as u64) as i64; // days ago
        let held = defs.in_holdout(&project_id, &format!("{project_id}/user/{user}"));
        let stalls = rng.unit() < 0.2;
        let base = if held {
            plan.holdout_return
        } else {
            plan.celebrated_return
        };
        for d in 0..=signed_up {
            let active = d == 0 || (!stalls && rng.unit() < base * 0.985f64.powi(d as i32));
            if !active {
                continue;
            }
            let start = day_start(signed_up - d)?;
            let at = |rng: &mut Rng| {
                start + jiff::SignedDuration::from_secs((8 * 3600 + rng.below(12 * 3600)) as i64)
            };
            let projects = if d == 0 { 1 } else { rng.below(3) };
            for _ in 0..projects {
                events.push((
                    at(&mut rng),
                    json!({ "user_id": user, "account_id": account, "event": "project_created" }),
                ));
            }
            for _ in 0..rng.below(4) {
                events.push((
                    at(&mut rng),
                    json!({ "user_id": user, "account_id": account, "event": "task_completed" }),
                ));
            }
            if rng.unit() < 0.08 {
                events.push((
                    at(&mut rng),
                    json!({ "user_id": user, "account_id": account, "event": "report_shared" }),
                ));
            }
            if rng.unit() < 0.05 {
                events.push((at(&mut rng), json!({ "user_id": user, "account_id": account, "event": "integration_connected" })));
            }
            if rng.unit() < 0.06 {
                let cents = 5_000 + rng.below(400_000);
                events.push((at(&mut rng), json!({ "user_id": user, "account_id": account, "event": "payment_processed", "value": cents })));
            }
        }
    }
    events.retain(|(t, _)| *t < now);
    events.sort_by_key(|(t, _)| *t);
    let total = events.len();
    for (n, chunk) in events.chunks(1000).enumerate() {
        let batch: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, (t, e))| {
                let mut e = e.clone();
                e["timestamp"] = json!(t.to_string());
                e["idempotency_key"] = json!(format!("history-{}", n * 1000 + i));
                e
            })
            .collect();
        send(
            "POST",
            "/v1/events",
            &key,
            "application/json",
            json!({ "events": batch }).to_string(),
        )?;
        eprint!(
            "\rhistory: {} of {total} events",
            (n * 1000 + chunk.len()).min(total)
        );
    }
    eprintln!();

    let owner = send(
        "POST",
        "/v1/console/members",
        &admin,
        "application/json",
        json!({ "email": "owner@acme.example", "role": "owner", "project_id": project_id })
            .to_string(),
    )?;
    Ok(Seeded {
        project_id,
        secret_key,
        owner_link: owner["sign_in_url"]
            .as_str()
            .context("sign_in_url")?
            .to_owned(),
        events: total,
    })
}

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
//!
//! Then the people around the celebrations: a share of the celebrated awards' calls to action
//! are shown and some followed (`POST /v1/client/awards/{id}/cta`, with user tokens signed by
//! the project's identity secret, as a product's backend would), a few badges are shared, their
//! pages visited and some visitors sign up; a share of users upgrade their plan (celebrated
//! ones a little more often).

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
        let mut upgraded = false;
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
            let upgrade = if held { 0.010 } else { 0.018 };
            if !upgraded && d >= 1 && rng.unit() < upgrade {
                upgraded = true;
                events.push((
                    at(&mut rng),
                    json!({ "user_id": user, "account_id": account, "event": "plan_upgraded" }),
                ));
            }
        }
    }
    events.retain(|(t, _)| *t < now);
    events.sort_by_key(|(t, _)| *t);
    let total = events.len();
    // The celebrated user awards the history made: (user, award id, tier).
    let mut celebrated: Vec<(String, String, String)> = Vec::new();
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
        let answer = send(
            "POST",
            "/v1/events",
            &key,
            "application/json",
            json!({ "events": batch }).to_string(),
        )?;
        for (event, result) in batch
            .iter()
            .zip(answer["results"].as_array().into_iter().flatten())
        {
            for award in result["awards"].as_array().into_iter().flatten() {
                if award["scope"] == "user" && award["celebrate"] == true {
                    celebrated.push((
                        event["user_id"].as_str().unwrap_or_default().to_owned(),
                        award["id"].as_str().unwrap_or_default().to_owned(),
                        award["tier"].as_str().unwrap_or_default().to_owned(),
                    ));
                }
            }
        }
        eprint!(
            "\rhistory: {} of {total} events",
            (n * 1000 + chunk.len()).min(total)
        );
    }
    eprintln!();
    let identity = project["identity_secret"]
        .as_str()
        .context("identity_secret")?
        .to_owned();
    let publishable = project["publishable_key"]
        .as_str()
        .context("publishable_key")?
        .to_owned();
    interactions(base, &key, &publishable, &identity, &celebrated, &mut rng)?;

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

/// One interaction of a celebrated award's user, decided up front (the generator is not
/// shared between threads).
enum Act {
    /// The call to action shown, and followed or not.
    Cta { click: bool },
    /// The badge shared, its page visited by `visits` people, `signups` of whom sign up.
    Share { visits: u64, signups: u64 },
}

/// The celebrations' calls to action, shares, visits and signups, through the public API
/// with user tokens, on four connections.
fn interactions(
    base: &str,
    server_key: &str,
    publishable: &str,
    identity_secret: &str,
    celebrated: &[(String, String, String)],
    rng: &mut Rng,
) -> Result<()> {
    use hmac::Mac;
    use jwt::SignWithKey;
    let mut plan: Vec<(&str, &str, Act)> = Vec::new();
    for (user, award, tier) in celebrated {
        // A quarter of the toasts are seen by a user who is still there to read them.
        if rng.unit() < 0.25 {
            let p = match tier.as_str() {
                "early" => 0.12,
                "mid" => 0.2,
                _ => 0.3,
            };
            plan.push((
                user,
                award,
                Act::Cta {
                    click: rng.unit() < p,
                },
            ));
        }
        if rng.unit() < 0.04 {
            let visits = rng.below(6);
            let signups = (0..visits).filter(|_| rng.unit() < 0.25).count() as u64;
            plan.push((user, award, Act::Share { visits, signups }));
        }
    }
    let key = hmac::Hmac::<sha2::Sha256>::new_from_slice(identity_secret.as_bytes())?;
    let now = jiff::Timestamp::now().as_second();
    let token = |user: &str| -> Result<String> {
        let claims = json!({ "sub": user, "iat": now, "exp": now + 3600 });
        Ok(claims.sign_with_key(&key)?)
    };
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = plan.len();
    let chunk = total.div_ceil(4).max(1);
    std::thread::scope(|scope| -> Result<()> {
        let mut handles = Vec::new();
        for (t, part) in plan.chunks(chunk).enumerate() {
            let token = &token;
            let done = &done;
            handles.push(scope.spawn(move || -> Result<()> {
                let http = http_agent(Some(std::time::Duration::from_secs(60)));
                let call = |method: &str, path: &str, auth: &str, body: Option<Value>| -> Result<Value> {
                    let mut attempt = 0;
                    loop {
                        attempt += 1;
                        let mut b = ureq::http::Request::builder()
                            .method(method)
                            .uri(format!("{base}{path}"))
                            .header(cairn_core::wire::headers::KEY, publishable)
                            .header("user-agent", format!("cairn-history-visitor/{t}-{attempt}"));
                        if !auth.is_empty() {
                            b = b.header("authorization", auth);
                        }
                        let request = match &body {
                            Some(v) => b.header("content-type", "application/json").body(v.to_string())?,
                            None => b.body(String::new())?,
                        };
                        let mut response = http.run(request).with_context(|| format!("{method} {path}"))?;
                        let status = response.status().as_u16();
                        let text = response.body_mut().read_to_string()?;
                        if status == 503 && attempt < 5 {
                            std::thread::sleep(std::time::Duration::from_secs(1));
                            continue;
                        }
                        if !(200..300).contains(&status) {
                            bail!("{method} {path}: {status} {text}");
                        }
                        return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
                    }
                };
                for (i, (user, award, act)) in part.iter().enumerate() {
                    let bearer = format!("Bearer {}", token(user)?);
                    let path = format!("/v1/client/awards/{award}/cta");
                    match act {
                        Act::Cta { click } => {
                            call("POST", &path, &bearer, Some(json!({ "action": "view" })))?;
                            if *click {
                                call("POST", &path, &bearer, Some(json!({ "action": "click" })))?;
                            }
                        }
                        Act::Share { visits, signups } => {
                            let share = call(
                                "POST",
                                "/v1/client/shares",
                                &bearer,
                                Some(json!({ "award_id": award, "message": "We did it", "display_name": user })),
                            )?;
                            let id = share["share_id"].as_str().context("share_id")?.to_owned();
                            for v in 0..*visits {
                                // Each visitor its own user agent: visits count people.
                                let mut r = http
                                    .get(format!("{base}/s/{id}"))
                                    .header("user-agent", format!("Mozilla/5.0 (history visitor {t}-{i}-{v})"))
                                    .call()?;
                                let _ = r.body_mut().read_to_vec()?;
                            }
                            for s in 0..*signups {
                                call(
                                    "POST",
                                    "/v1/attributions",
                                    server_key,
                                    Some(json!({ "user_id": format!("{user}-referral-{s}"), "ref": id })),
                                )?;
                            }
                        }
                    }
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    if n.is_multiple_of(100) || n == total {
                        eprint!("\rhistory: {n} of {total} interactions");
                    }
                }
                Ok(())
            }));
        }
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("an interactions thread panicked"))??;
        }
        Ok(())
    })?;
    eprintln!();
    Ok(())
}

//! `cairn`, the command line of a product team: the console's numbers and the definitions'
//! lifecycle from a terminal or a CI job.
//!
//! ```text
//! cairn validate cairn.toml            the engine's own messages; exit 1 when invalid
//! cairn diff cairn.toml                against the deployment's live version; exit 1 when they differ
//! cairn push cairn.toml                publishes it (a new version)
//! cairn import history.jsonl           backfills history (progress bar, resumable)
//! cairn milestones [--follow]          the ledger, oldest first, then as it grows
//! cairn analytics impact [--milestone KEY] [--json]
//! cairn analytics progress [--json]
//! cairn analytics ladder [--metric KEY] [--thresholds 1,5,20] [--json]
//! ```
//!
//! Host and key come from `--host` / `--key` or `CAIRN_HOST` / `CAIRN_SECRET_KEY`. [`run`] is
//! the whole program (the binary only calls it), so tests drive it with their own output.

pub mod import;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use serde_json::Value;

/// The local `cargo xtask dev`.
pub const DEFAULT_HOST: &str = "http://127.0.0.1:8787";

#[derive(Debug, Parser)]
#[command(
    name = "cairn",
    version,
    about = "Cairn from the command line: definitions, history, the ledger and the impact analysis."
)]
struct Cli {
    /// The deployment's origin.
    #[arg(long, global = true, env = "CAIRN_HOST", default_value = DEFAULT_HOST)]
    host: String,
    /// The project's secret key (sk_…).
    #[arg(long, global = true, env = "CAIRN_SECRET_KEY", hide_env_values = true)]
    key: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks a cairn.toml with the engine itself: the messages the server would answer.
    Validate { file: PathBuf },
    /// Shows how a cairn.toml differs from the deployment's live definitions.
    Diff { file: PathBuf },
    /// Publishes a cairn.toml as the deployment's new definitions version.
    Push { file: PathBuf },
    /// Backfills history from a JSON Lines or CSV file (resumable).
    Import {
        file: PathBuf,
        /// Stop after this many batches (to rehearse an interruption).
        #[arg(long, hide = true)]
        stop_after: Option<usize>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Prints the milestone ledger, oldest first; `--follow` keeps printing new milestones.
    Milestones {
        #[arg(long)]
        follow: bool,
        /// Only milestones reached at or after this instant (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// With `--follow`: stop after this many milestones (for scripts and tests).
        #[arg(long, hide = true)]
        max: Option<usize>,
    },
    /// The console's analytics.
    Analytics {
        #[command(subcommand)]
        what: Analytics,
    },
}

#[derive(Debug, Subcommand)]
enum Analytics {
    /// Retention of celebrated against holdout users, D1 / D7 / D30 after each milestone.
    Impact {
        #[arg(long)]
        milestone: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Time to first milestone by signup week, users reaching each tier, and the
    /// setup → activation → habit funnel.
    Progress {
        #[arg(long)]
        json: bool,
    },
    /// Ladder tuning: how many users other thresholds would have reached, and how fast.
    Ladder {
        /// A metric of the live definitions (default: the first).
        #[arg(long)]
        metric: Option<String>,
        /// Comma-separated thresholds to simulate (default: the live ones).
        #[arg(long)]
        thresholds: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// Runs `cairn` with `args` (the program's name first); returns the exit code: 0 done, 1 a
/// negative answer (invalid definitions, a difference), 2 an error (told in plain words).
pub fn run(args: Vec<String>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to the output; mistakes to the error stream.
            if e.use_stderr() {
                let _ = write!(err, "{e}");
                return 2;
            }
            let _ = write!(out, "{e}");
            return 0;
        }
    };
    match execute(cli, out) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "cairn: {e:#}");
            2
        }
    }
}

/// An HTTP agent that reads error statuses as answers.
pub fn agent(timeout: Option<Duration>) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(timeout)
        .build()
        .into()
}

/// A deployment, with the project's key.
struct Api {
    host: String,
    key: String,
    http: ureq::Agent,
}

impl Api {
    fn new(host: &str, key: Option<String>) -> Result<Self> {
        let key = key.context(
            "no secret key: pass --key sk_… or set CAIRN_SECRET_KEY (the project's secret key)",
        )?;
        Ok(Self {
            host: host.trim_end_matches('/').to_owned(),
            key,
            http: agent(Some(Duration::from_secs(60))),
        })
    }

    /// `method path`; the answer's JSON, or the API's error in its own words.
    fn call(&self, method: &str, path: &str, body: Option<(&str, String)>) -> Result<Value> {
        let url = format!("{}{path}", self.host);
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("authorization", format!("Bearer {}", self.key));
        let sent = match body {
            Some((content_type, body)) => self
                .http
                .run(request.header("content-type", content_type).body(body)?),
            None => self.http.run(request.body(())?),
        };
        let mut response = sent.map_err(|e| {
            anyhow::anyhow!(
                "cannot reach {}: {e} (is the deployment running at this address?)",
                self.host
            )
        })?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            let message = json["error"]["message"].as_str().unwrap_or(text.trim());
            let mut told = format!("{method} {path} answered {status}: {message}");
            for d in json["error"]["details"].as_array().into_iter().flatten() {
                told.push_str(&format!(
                    "\n  {}: {}",
                    d["path"].as_str().unwrap_or_default(),
                    d["message"].as_str().unwrap_or_default()
                ));
            }
            bail!(told);
        }
        Ok(json)
    }
}

fn read(file: &PathBuf) -> Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

/// The file's definitions, or its problems as the server words them (`path: message`).
fn definitions(
    file: &PathBuf,
) -> Result<std::result::Result<cairn_core::Definitions, Vec<String>>> {
    let text = read(file)?;
    let parsed = if file.extension().is_some_and(|e| e == "json") {
        serde_json::from_str::<cairn_core::Definitions>(&text)
            .map_err(|e| cairn_core::definitions::DefinitionsError::Syntax(e.to_string()))
    } else {
        cairn_core::Definitions::from_toml(&text)
    };
    let problems: Vec<String> = match &parsed {
        Ok(defs) => defs.validate().iter().map(ToString::to_string).collect(),
        Err(e) => e.problems().iter().map(|p| p.message.clone()).collect(),
    };
    Ok(match parsed {
        Ok(defs) if problems.is_empty() => Ok(defs),
        _ => Err(problems),
    })
}

fn execute(cli: Cli, out: &mut dyn Write) -> Result<i32> {
    match cli.command {
        Command::Validate { file } => Ok(match definitions(&file)? {
            Ok(defs) => {
                let compiled = defs.compile()?;
                writeln!(
                    out,
                    "{}: valid ({} metrics, {} milestones)",
                    file.display(),
                    compiled.source().metrics.len(),
                    compiled.milestones().len()
                )?;
                0
            }
            Err(problems) => {
                writeln!(out, "{}: {} problem(s)", file.display(), problems.len())?;
                for p in problems {
                    writeln!(out, "  {p}")?;
                }
                1
            }
        }),
        Command::Diff { file } => {
            let local = match definitions(&file)? {
                Ok(defs) => defs,
                Err(problems) => bail!("{} is not valid: {}", file.display(), problems.join("; ")),
            };
            let api = Api::new(&cli.host, cli.key)?;
            let live = api.call("GET", "/v1/definitions", None)?;
            let version = live["version"].as_i64().unwrap_or(0);
            let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
            let (before, after) = (
                pretty(&live["definitions"]),
                pretty(&serde_json::to_value(&local)?),
            );
            if before == after {
                writeln!(out, "{} is the live version ({version}).", file.display())?;
                return Ok(0);
            }
            let diff = similar::TextDiff::from_lines(&before, &after);
            write!(
                out,
                "{}",
                diff.unified_diff().context_radius(3).header(
                    &format!("live (version {version})"),
                    &file.display().to_string()
                )
            )?;
            Ok(1)
        }
        Command::Push { file } => {
            if let Err(problems) = definitions(&file)? {
                bail!(
                    "{} is not valid, nothing pushed:\n  {}",
                    file.display(),
                    problems.join("\n  ")
                );
            }
            let api = Api::new(&cli.host, cli.key)?;
            let content_type = if file.extension().is_some_and(|e| e == "json") {
                "application/json"
            } else {
                "application/toml"
            };
            let answer = api.call("PUT", "/v1/definitions", Some((content_type, read(&file)?)))?;
            writeln!(
                out,
                "pushed {}: version {}",
                file.display(),
                answer["version"]
            )?;
            Ok(0)
        }
        Command::Import {
            file,
            stop_after,
            quiet,
        } => {
            let key = cli.key.context(
                "no secret key: pass --key sk_… or set CAIRN_SECRET_KEY (the project's secret key)",
            )?;
            let s = import::run(&import::Options {
                file,
                base: cli.host,
                secret_key: key,
                stop_after_batches: stop_after,
                progress_bar: !quiet,
            })?;
            writeln!(
                out,
                "imported {} events (resumed at {}): {} accepted, {} duplicate, {} rejected",
                s.total, s.resumed_from, s.accepted, s.duplicate, s.rejected
            )?;
            Ok(i32::from(s.rejected > 0))
        }
        Command::Milestones {
            follow,
            since,
            json,
            max,
        } => {
            let api = Api::new(&cli.host, cli.key)?;
            let mut cursor: Option<String> = None;
            let mut printed = 0usize;
            loop {
                let mut path = String::from("/v1/milestones?limit=200");
                if let Some(since) = &since {
                    path.push_str(&format!("&since={}", encode(since)));
                }
                if let Some(c) = &cursor {
                    path.push_str(&format!("&cursor={}", encode(c)));
                }
                let page = api.call("GET", &path, None)?;
                let rows = page["milestones"].as_array().cloned().unwrap_or_default();
                for row in &rows {
                    if json {
                        writeln!(out, "{row}")?;
                    } else {
                        writeln!(
                            out,
                            "{}  {}:{}  {}  ({}, {}){}",
                            row["achieved_at"].as_str().unwrap_or_default(),
                            row["subject_type"].as_str().unwrap_or_default(),
                            row["subject_id"].as_str().unwrap_or_default(),
                            row["milestone_name"].as_str().unwrap_or_default(),
                            row["tier"].as_str().unwrap_or_default(),
                            row["milestone_key"].as_str().unwrap_or_default(),
                            if row["holdout"] == true {
                                "  holdout"
                            } else {
                                ""
                            }
                        )?;
                    }
                    printed += 1;
                    if max.is_some_and(|m| printed >= m) {
                        return Ok(0);
                    }
                }
                out.flush()?;
                // The cursor is the last row's: a later page starts after it.
                if let Some(last) = rows.last() {
                    cursor = Some(format!(
                        "{}|{}",
                        last["achieved_at"].as_str().unwrap_or_default(),
                        last["id"].as_str().unwrap_or_default()
                    ));
                }
                if page["next_cursor"].is_string() {
                    continue;
                }
                if !follow {
                    return Ok(0);
                }
                std::thread::sleep(Duration::from_secs(2));
            }
        }
        Command::Analytics {
            what: Analytics::Impact { milestone, json },
        } => {
            let api = Api::new(&cli.host, cli.key)?;
            let path = match &milestone {
                Some(m) => format!("/v1/analytics/impact?milestone={}", encode(m)),
                None => "/v1/analytics/impact".to_owned(),
            };
            let report = api.call("GET", &path, None)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
                return Ok(0);
            }
            write!(out, "{}", impact_table(&report))?;
            Ok(0)
        }
        Command::Analytics {
            what: Analytics::Progress { json },
        } => {
            let api = Api::new(&cli.host, cli.key)?;
            let report = api.call("GET", "/v1/analytics/progress", None)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
                return Ok(0);
            }
            writeln!(out, "time to first milestone (hours from the first event)")?;
            writeln!(
                out,
                "{:<12} {:>7} {:>7} {:>7} {:>7}",
                "signup week", "users", "p50", "p75", "p90"
            )?;
            for w in report["time_to_first"].as_array().into_iter().flatten() {
                writeln!(
                    out,
                    "{:<12} {:>7} {:>7} {:>7} {:>7}",
                    w["signup_week"].as_str().unwrap_or_default(),
                    w["users"],
                    w["p50_hours"],
                    w["p75_hours"],
                    w["p90_hours"]
                )?;
            }
            writeln!(
                out,
                "\ntiers reached, of {} users with a milestone",
                report["users"]
            )?;
            for t in report["tiers"].as_array().into_iter().flatten() {
                let share = t["share"]
                    .as_f64()
                    .map_or_else(|| "–".to_owned(), |s| format!("{:.1}%", s * 100.0));
                writeln!(
                    out,
                    "{:<12} {:>7} {:>7}",
                    t["tier"].as_str().unwrap_or_default(),
                    t["users"],
                    share
                )?;
            }
            let funnel = report["funnel"].as_array().into_iter().flatten();
            let mut first = true;
            for f in funnel {
                if first {
                    writeln!(
                        out,
                        "\nfunnel\n{:<12} {:>7} {:>9} {:>13}",
                        "step", "users", "from prev", "not there yet"
                    )?;
                    first = false;
                }
                let conv = f["conversion"]
                    .as_f64()
                    .map_or_else(|| "–".to_owned(), |s| format!("{:.1}%", s * 100.0));
                writeln!(
                    out,
                    "{:<12} {:>7} {:>9} {:>13}",
                    f["step"].as_str().unwrap_or_default(),
                    f["users"],
                    conv,
                    f["stalled"]
                )?;
            }
            Ok(0)
        }
        Command::Analytics {
            what:
                Analytics::Ladder {
                    metric,
                    thresholds,
                    json,
                },
        } => {
            let api = Api::new(&cli.host, cli.key)?;
            let mut query = Vec::new();
            if let Some(m) = &metric {
                query.push(format!("metric={}", encode(m)));
            }
            if let Some(t) = &thresholds {
                query.push(format!("thresholds={}", encode(t)));
            }
            let path = if query.is_empty() {
                "/v1/analytics/ladder".to_owned()
            } else {
                format!("/v1/analytics/ladder?{}", query.join("&"))
            };
            let report = api.call("GET", &path, None)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
                return Ok(0);
            }
            write!(out, "{}", ladder_table(&report))?;
            Ok(0)
        }
    }
}

/// The impact report as a plain table (the console's numbers).
pub fn impact_table(report: &Value) -> String {
    let pct = |v: &Value| {
        v.as_f64()
            .map_or_else(|| "–".to_owned(), |r| format!("{:.1}%", r * 100.0))
    };
    let pts = |v: &Value| {
        v.as_f64()
            .map_or_else(|| "–".to_owned(), |d| format!("{:+.1}", d * 100.0))
    };
    let mut s = format!(
        "as of {}\n{:<28} {:>3} {:>9} {:>7} {:>9} {:>7} {:>7} {:>16} {:>6}  verdict\n",
        report["as_of"].as_str().unwrap_or_default(),
        "milestone",
        "day",
        "celebr.",
        "ret.",
        "holdout",
        "ret.",
        "diff",
        "95% CI (pts)",
        "MDE"
    );
    for m in report["milestones"].as_array().into_iter().flatten() {
        let retention = m["retention"].as_array().into_iter().flatten();
        for (c, what) in retention
            .map(|c| (c, format!("D{}", c["day"])))
            .chain(m.get("conversion").map(|c| (c, format!("C{}", c["day"]))))
        {
            s.push_str(&format!(
                "{:<28} {:>3} {:>9} {:>7} {:>9} {:>7} {:>7} {:>16} {:>6}  {}\n",
                m["milestone_name"].as_str().unwrap_or_default(),
                what,
                c["celebrated"]["users"],
                pct(&c["celebrated"]["rate"]),
                c["holdout"]["users"],
                pct(&c["holdout"]["rate"]),
                pts(&c["difference"]),
                format!("[{}, {}]", pts(&c["ci_low"]), pts(&c["ci_high"])),
                pts(&c["mde"]).trim_start_matches('+'),
                c["verdict"].as_str().unwrap_or_default().replace('_', " ")
            ));
        }
    }
    s.push_str(
        "D1/D7/D30: returned on that day after the milestone; C14: converted within 14 days.\n",
    );
    s
}

/// The ladder-tuning report as plain tables.
pub fn ladder_table(report: &Value) -> String {
    let pct = |v: &Value| {
        v.as_f64()
            .map_or_else(|| "–".to_owned(), |r| format!("{:.1}%", r * 100.0))
    };
    let days = |a: &Value, b: &Value| match (a.as_u64(), b.as_u64()) {
        (Some(a), Some(b)) => format!("{a} d (p90 {b} d)"),
        _ => "–".to_owned(),
    };
    let mut s = format!(
        "{} users with {}\n{:>10} {:>22} {:>18}\n",
        report["users"],
        report["metric_name"].as_str().unwrap_or_default(),
        "threshold",
        "would have reached",
        "days to reach"
    );
    for r in report["simulated"].as_array().into_iter().flatten() {
        let reached = if r["exact"] == true {
            format!("{} ({})", r["reached"], pct(&r["share"]))
        } else {
            format!("{}–{}", r["reached_min"], r["reached"])
        };
        s.push_str(&format!(
            "{:>10} {:>22} {:>18}\n",
            r["threshold"],
            reached,
            days(&r["days_p50"], &r["days_p90"])
        ));
    }
    let suggested: Vec<String> = report["suggested"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| x["threshold"].to_string())
        .collect();
    s.push_str(&format!(
        "suggested: {} ({})\n",
        suggested.join(", "),
        report["suggestion_rule"].as_str().unwrap_or_default()
    ));
    s
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cairn(args: &[&str]) -> (i32, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut all = vec!["cairn".to_owned()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        let code = run(all, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cairn-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn validate_accepts_the_demo_and_exits_1_with_the_engines_messages() {
        let demo = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/acme/cairn.toml"
        );
        let (code, out, _) = cairn(&["validate", demo]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(": valid ("), "{out}");

        let bad = write(
            "bad.toml",
            "version = 1\n[[metrics]]\nkey = \"a\"\nname = \"a\"\n[[ladders]]\nkey = \"l\"\nmetric = \"nope\"\nthresholds = [3, 1]\nname = \"{count}\"\n[holdout]\npercent = 80\n",
        );
        let (code, out, _) = cairn(&["validate", bad.to_str().unwrap()]);
        assert_eq!(code, 1, "{out}");
        // Exactly the problems the server lists for the same file.
        let defs =
            cairn_core::Definitions::from_toml(&std::fs::read_to_string(&bad).unwrap()).unwrap();
        let expected: Vec<String> = defs.validate().iter().map(ToString::to_string).collect();
        assert!(expected.len() >= 2);
        for p in &expected {
            assert!(out.contains(p.as_str()), "{out} lacks {p}");
        }
        assert!(
            out.contains("holdout.percent: must be between 0 and 50"),
            "{out}"
        );

        let broken = write("broken.toml", "version = 1\n[[metrics]\n");
        let (code, out, _) = cairn(&["validate", broken.to_str().unwrap()]);
        assert_eq!(code, 1);
        assert!(out.contains("1 problem(s)"), "{out}");
    }

    #[test]
    fn errors_are_plain_words_and_exit_2() {
        let (code, _, err) = cairn(&["validate", "/no/such/cairn.toml"]);
        assert_eq!(code, 2);
        assert!(err.contains("cannot read /no/such/cairn.toml"), "{err}");
        let demo = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/acme/cairn.toml"
        );
        let (code, _, err) = cairn(&["push", demo, "--host", "http://127.0.0.1:9"]);
        assert_eq!(code, 2);
        assert!(
            err.contains("no secret key") || err.contains("cannot reach"),
            "{err}"
        );
        let (code, _, err) = cairn(&[
            "push",
            demo,
            "--host",
            "http://127.0.0.1:9",
            "--key",
            "sk_x",
        ]);
        assert_eq!(code, 2);
        assert!(err.contains("cannot reach http://127.0.0.1:9"), "{err}");
        let (code, _, err) = cairn(&["frobnicate"]);
        assert_eq!(code, 2);
        assert!(err.contains("unrecognized subcommand"), "{err}");
    }
}

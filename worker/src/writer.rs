//! The `LedgerWriter` Durable Object: one per project, it gathers the ledger items of all the
//! project's subjects and copies them to D1 in batches (see [`crate::ledger`]).

use std::cell::RefCell;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use worker::{DurableObject, Env, Request, Response, Result, SqlStorage, State, durable_object};

use crate::error::{ApiError, ApiResult};
use crate::ledger::{self, FLUSH_BATCH, Outbox, OutboxItem};
use crate::rpc::{self, json};
use crate::subject::now;
use crate::{notify, objects};

/// Binding name of the namespace in `wrangler.toml`.
pub const BINDING: &str = "LEDGER";

/// Items wait at most this long for others to join their batch.
const GATHER_MS: i64 = 250;
/// Delay before retrying when D1 failed or acknowledgements wait for their award's row.
const RETRY_MS: i64 = 2_000;
/// How long an erasure is remembered (an item of the erased user made before it, arriving
/// late from an alarm that was already under way, is dropped).
const TOMBSTONE_DAYS: i64 = 7;

/// The schema, one statement per migration; only ever appended to.
const MIGRATIONS: &[&str] = &[
    Outbox::TABLE,
    "CREATE TABLE IF NOT EXISTS erased (subject TEXT PRIMARY KEY, at INTEGER NOT NULL)",
    // The project's notification sweep: when it is next due (see `crate::notify::sweep`).
    "CREATE TABLE IF NOT EXISTS sweep (id INTEGER PRIMARY KEY CHECK (id = 1), project TEXT NOT NULL, at INTEGER NOT NULL)",
];

/// What a subject (or the worker) asks of the writer.
#[derive(Debug, Serialize, Deserialize)]
pub enum WriterCommand {
    /// Keep these items until D1 has them.
    Append { items: Vec<OutboxItem> },
    /// A user was erased: drop their pending items, now and if any arrive late.
    Erase { user: String },
    /// Notification jobs of the project are pending: sweep for lost ones after `at_ms`.
    Watch { project: String, at_ms: i64 },
}

/// Makes sure `project`'s sweep runs after `at_ms` (plus its grace). Only logged on failure:
/// the writer of an award's ledger row watches its jobs too.
pub async fn watch(env: &Env, project: &str, at_ms: i64) {
    let command = WriterCommand::Watch {
        project: project.to_owned(),
        at_ms,
    };
    if let Err(e) = rpc::call::<bool>(env, BINDING, &objects::ledger(project), &command).await {
        worker::console_warn!("notify: sweep of {project} not scheduled: {e}");
    }
}

/// Hands `items` (all of one project) to the project's writer; `Ok` once it stored them.
pub async fn append(env: &Env, items: &[OutboxItem]) -> ApiResult<()> {
    let Some(first) = items.first() else {
        return Ok(());
    };
    let command = WriterCommand::Append {
        items: items.to_vec(),
    };
    rpc::call::<bool>(env, BINDING, &objects::ledger(first.project()), &command).await?;
    Ok(())
}

/// Drops `user`'s pending ledger items in `project`.
pub async fn erase(env: &Env, project: &str, user: &str) -> ApiResult<()> {
    let command = WriterCommand::Erase {
        user: user.to_owned(),
    };
    rpc::call::<bool>(env, BINDING, &objects::ledger(project), &command).await?;
    Ok(())
}

#[durable_object]
pub struct LedgerWriter {
    storage: State,
    sql: SqlStorage,
    env: Env,
    /// The schema could not be brought up to date (every command then fails with this).
    broken: Option<String>,
    /// The alarm currently set, in milliseconds since the epoch.
    scheduled: RefCell<Option<i64>>,
}

impl DurableObject for LedgerWriter {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        let broken = objects::migrate(&sql, MIGRATIONS)
            .err()
            .map(|e| e.to_string());
        // Items left by an earlier life get their alarm back.
        objects::rearm_if(
            &state,
            broken.is_none()
                && (Outbox(&sql).items(1).map_or(true, |i| !i.is_empty())
                    || sweep_due(&sql).map_or(true, |s| s.is_some())),
        );
        Self {
            storage: state,
            sql,
            env,
            broken,
            scheduled: RefCell::new(None),
        }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        ApiError::not_found("route").into_response()
    }

    /// Copies a batch to D1; comes back at once while more wait, later after a failure.
    async fn alarm(&self) -> Result<Response> {
        *self.scheduled.borrow_mut() = None;
        let now = now();
        let mut next = match self.flush(now).await {
            Ok(true) => Some(0),
            Ok(false) => None,
            Err(e) => {
                worker::console_error!("ledger write failed, retrying by alarm: {e}");
                Some(RETRY_MS)
            }
        };
        match self.sweep(now).await {
            Ok(Some(at)) => {
                let delay = (at - now.as_millisecond()).max(0);
                next = Some(next.map_or(delay, |n| n.min(delay)));
            }
            Ok(None) => {}
            Err(e) => {
                worker::console_error!("notification sweep failed, retrying by alarm: {e}");
                next = Some(next.map_or(RETRY_MS, |n| n.min(RETRY_MS)));
            }
        }
        if let Some(delay) = next {
            self.wake_in(now, delay)
                .await
                .map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
        }
        Response::ok("flushed")
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(
    wasm_bindgen = ::worker::wasm_bindgen,
    wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
    js_sys = ::worker::js_sys
)]
impl LedgerWriter {
    /// Runs one [`WriterCommand`] (JSON); answers `{"ok": true}` or `{"err": …}`.
    pub async fn command(
        &self,
        command: String,
    ) -> std::result::Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
        let result = match (
            &self.broken,
            serde_json::from_str::<WriterCommand>(&command),
        ) {
            (Some(e), _) => Err(ApiError::internal(format!("schema: {e}"))),
            (None, Ok(WriterCommand::Append { items })) => self.append(&items).await,
            (None, Ok(WriterCommand::Erase { user })) => self.erase(&user).await,
            (None, Ok(WriterCommand::Watch { project, at_ms })) => {
                self.watch(&project, at_ms).await
            }
            (None, Err(e)) => Err(ApiError::internal(format!("unreadable command: {e}"))),
        };
        Ok(rpc::answer(result))
    }
}

impl LedgerWriter {
    async fn append(&self, items: &[OutboxItem]) -> ApiResult<String> {
        let erased = self.tombstones()?;
        let outbox = Outbox(&self.sql);
        for item in items {
            let dropped = erased.iter().any(|(subject, at)| {
                *subject == item.subject() && item.made_at().is_none_or(|t| t <= *at)
            });
            if !dropped {
                outbox.push(item)?;
            }
        }
        self.wake_in(now(), GATHER_MS).await?;
        json(&true)
    }

    async fn erase(&self, user: &str) -> ApiResult<String> {
        let now = now();
        let subject = format!("user:{user}");
        self.sql.exec(
            "INSERT INTO erased (subject, at) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET at = excluded.at",
            vec![subject.as_str().into(), (now.as_millisecond() as f64).into()],
        )?;
        let horizon = now.as_millisecond() - TOMBSTONE_DAYS * 86_400_000;
        self.sql.exec(
            "DELETE FROM erased WHERE at < ?",
            vec![(horizon as f64).into()],
        )?;
        let outbox = Outbox(&self.sql);
        let mine: Vec<String> = outbox
            .all()?
            .iter()
            .filter(|item| item.subject() == subject)
            .map(OutboxItem::key)
            .collect();
        outbox.remove(&mine)?;
        json(&true)
    }

    /// Erased subjects and when.
    fn tombstones(&self) -> ApiResult<Vec<(String, Timestamp)>> {
        #[derive(Deserialize)]
        struct Row {
            subject: String,
            at: f64,
        }
        let rows: Vec<Row> = self
            .sql
            .exec("SELECT subject, at FROM erased", None)?
            .to_array()?;
        Ok(rows
            .into_iter()
            .filter_map(|r| Some((r.subject, Timestamp::from_millisecond(r.at as i64).ok()?)))
            .collect())
    }

    /// Copies up to [`FLUSH_BATCH`] items to D1 and removes what is done; answers whether
    /// more are waiting (beyond acknowledgements still waiting for their award's row).
    async fn flush(&self, now: Timestamp) -> ApiResult<bool> {
        let outbox = Outbox(&self.sql);
        let items = outbox.items(FLUSH_BATCH)?;
        if items.is_empty() {
            return Ok(false);
        }
        let ledger::Flushed { done, jobs_made } = ledger::flush(&self.env, &items, now).await?;
        outbox.remove(&done)?;
        if jobs_made && let Some(project) = items.first().map(OutboxItem::project) {
            self.watch(project, now.as_millisecond()).await?;
        }
        if done.len() < items.len() {
            // Some acknowledgements wait for their award's row: try again a little later.
            self.wake_in(now, RETRY_MS).await?;
            return Ok(items.len() == FLUSH_BATCH && done.len() == items.len());
        }
        Ok(items.len() == FLUSH_BATCH)
    }

    /// Keeps the sweep due no later than `at_ms` plus the grace.
    async fn watch(&self, project: &str, at_ms: i64) -> ApiResult<String> {
        let at = at_ms + notify::Settings::of(&self.env).grace_ms();
        let due = sweep_due(&self.sql)?;
        if due.is_none_or(|d| d > at) {
            self.sql.exec(
                "INSERT INTO sweep (id, project, at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                vec![project.into(), (at as f64).into()],
            )?;
        }
        let now = now();
        self.wake_in(now, (at - now.as_millisecond()).max(0))
            .await?;
        json(&true)
    }

    /// Runs the sweep if it is due; answers when it is due next.
    async fn sweep(&self, now: Timestamp) -> ApiResult<Option<i64>> {
        let Some((project, at)) = sweep_row(&self.sql)? else {
            return Ok(None);
        };
        if at > now.as_millisecond() {
            return Ok(Some(at));
        }
        let next = notify::sweep(&self.env, &project).await?;
        match next {
            Some(at) => self.sql.exec(
                "UPDATE sweep SET at = ? WHERE id = 1",
                vec![(at as f64).into()],
            )?,
            None => self.sql.exec("DELETE FROM sweep WHERE id = 1", None)?,
        };
        Ok(next)
    }

    /// Makes sure the alarm fires within `delay_ms`.
    async fn wake_in(&self, now: Timestamp, delay_ms: i64) -> ApiResult<()> {
        let at = now.as_millisecond() + delay_ms;
        if self.scheduled.borrow().is_some_and(|s| s <= at) {
            return Ok(());
        }
        self.storage.storage().set_alarm(delay_ms).await?;
        *self.scheduled.borrow_mut() = Some(at);
        Ok(())
    }
}

/// The sweep's project and due time, if one is due.
fn sweep_row(sql: &SqlStorage) -> ApiResult<Option<(String, i64)>> {
    #[derive(Deserialize)]
    struct Row {
        project: String,
        at: f64,
    }
    let rows: Vec<Row> = sql
        .exec("SELECT project, at FROM sweep WHERE id = 1", None)?
        .to_array()?;
    Ok(rows.into_iter().next().map(|r| (r.project, r.at as i64)))
}

fn sweep_due(sql: &SqlStorage) -> ApiResult<Option<i64>> {
    Ok(sweep_row(sql)?.map(|(_, at)| at))
}

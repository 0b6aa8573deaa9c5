//! The `Subject` object's SQLite tables and the synchronous reads and writes on them.
//!
//! Every function here is synchronous: called between two `await`s, what they write commits
//! together with the state change it belongs to. Storage errors are returned, never guessed
//! away.

use cairn_core::definitions::Scope;
use cairn_core::engine::Award;
use serde::Deserialize;
use worker::SqlStorage;

use crate::error::ApiResult;
use crate::ledger::Outbox;

use super::{SubjectEvent, Target};

/// The schema of a user's object, one statement per migration; only ever appended to.
pub const USER_MIGRATIONS: &[&str] = &[
    STATE,
    META,
    Outbox::TABLE,
    IMPORTED,
    "CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY)",
    // The user's account steps not yet confirmed by the account (see `super::Step`); the
    // epoch (ms at creation) keeps step ids unique across an erasure and a new life.
    "CREATE TABLE IF NOT EXISTS steps (seq INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, event TEXT NOT NULL, made_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS step_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL)",
];

/// The schema of an account's object (what only users need is left out: thousands of objects
/// share one process in `wrangler dev`, and every table costs each of them memory).
pub const ACCOUNT_MIGRATIONS: &[&str] = &[
    STATE,
    META,
    Outbox::TABLE,
    IMPORTED,
    // The member steps it applied (member/step id), kept for days.
    "CREATE TABLE IF NOT EXISTS applied_steps (id TEXT PRIMARY KEY, at INTEGER NOT NULL)",
    // Its awards waiting to be pushed to its members' streams.
    "CREATE TABLE IF NOT EXISTS fanout (id TEXT PRIMARY KEY, award TEXT NOT NULL)",
];

const STATE: &str = "CREATE TABLE IF NOT EXISTS subject_state (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL)";
const META: &str = "CREATE TABLE IF NOT EXISTS subject_meta (id INTEGER PRIMARY KEY CHECK (id = 1), target TEXT NOT NULL)";
const IMPORTED: &str = "CREATE TABLE IF NOT EXISTS imported (key TEXT PRIMARY KEY)";

/// Whose object the one named `name` is (see [`crate::objects`]).
pub fn scope_of(name: Option<&str>) -> Scope {
    let is_account = name
        .and_then(|n| n.split_once('/'))
        .is_some_and(|(_, rest)| rest.starts_with("account/"));
    if is_account {
        Scope::Account
    } else {
        Scope::User
    }
}

/// The migrations of a user's or an account's object.
pub fn migrations(scope: Scope) -> &'static [&'static str] {
    match scope {
        Scope::User => USER_MIGRATIONS,
        Scope::Account => ACCOUNT_MIGRATIONS,
    }
}

/// Typed access to one object's tables.
pub struct Store<'a>(pub &'a SqlStorage);

#[derive(Deserialize)]
struct Text {
    value: String,
}

#[derive(Deserialize)]
struct Number {
    /// `NULL` (e.g. `min` of no rows) reads as `None`.
    value: Option<f64>,
}

impl Store<'_> {
    fn texts(&self, sql: &str, args: Vec<worker::SqlStorageValue>) -> ApiResult<Vec<String>> {
        let rows: Vec<Text> = self.0.exec(sql, args)?.to_array()?;
        Ok(rows.into_iter().map(|r| r.value).collect())
    }

    fn number(&self, sql: &str) -> ApiResult<Option<f64>> {
        let rows: Vec<Number> = self.0.exec(sql, None)?.to_array()?;
        Ok(rows.first().and_then(|r| r.value))
    }

    /// The stored state (JSON), if any.
    pub fn state(&self) -> ApiResult<Option<String>> {
        Ok(self
            .texts(
                "SELECT state AS value FROM subject_state WHERE id = 1",
                vec![],
            )?
            .into_iter()
            .next())
    }

    pub fn put_state(&self, json: &str) -> ApiResult<()> {
        self.0.exec(
            "INSERT INTO subject_state (id, state) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state",
            vec![json.into()],
        )?;
        Ok(())
    }

    pub fn target(&self) -> ApiResult<Option<Target>> {
        self.texts(
            "SELECT target AS value FROM subject_meta WHERE id = 1",
            vec![],
        )?
        .first()
        .map(|t| serde_json::from_str(t))
        .transpose()
        .map_err(Into::into)
    }

    pub fn put_target(&self, target: &Target) -> ApiResult<()> {
        self.0.exec(
            "INSERT INTO subject_meta (id, target) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET target = excluded.target",
            vec![serde_json::to_string(target)?.into()],
        )?;
        Ok(())
    }

    /// Whether an imported event with idempotency key `key` was applied before.
    pub fn was_imported(&self, key: &str) -> ApiResult<bool> {
        Ok(!self
            .texts(
                "SELECT key AS value FROM imported WHERE key = ?",
                vec![key.into()],
            )?
            .is_empty())
    }

    pub fn put_imported(&self, key: &str) -> ApiResult<()> {
        self.0.exec(
            "INSERT INTO imported (key) VALUES (?) ON CONFLICT (key) DO NOTHING",
            vec![key.into()],
        )?;
        Ok(())
    }

    pub fn put_account(&self, account: &str) -> ApiResult<()> {
        self.0.exec(
            "INSERT INTO accounts (id) VALUES (?) ON CONFLICT (id) DO NOTHING",
            vec![account.into()],
        )?;
        Ok(())
    }

    pub fn accounts(&self) -> ApiResult<Vec<String>> {
        self.texts("SELECT id AS value FROM accounts", vec![])
    }

    pub fn put_seen(&self, id: &str, at: &str) -> ApiResult<()> {
        self.0.exec(
            "INSERT INTO seen (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
            vec![id.into(), at.into()],
        )?;
        Ok(())
    }

    pub fn seen_ids(&self) -> ApiResult<std::collections::BTreeSet<String>> {
        Ok(self
            .texts("SELECT id AS value FROM seen", vec![])?
            .into_iter()
            .collect())
    }

    /// The id of step `seq`: unique across the subject's lives (erasure starts a new epoch).
    fn step_id(epoch: i64, seq: i64) -> String {
        format!("{epoch}.{seq}")
    }

    fn step_epoch(&self) -> ApiResult<Option<i64>> {
        Ok(self
            .number("SELECT epoch AS value FROM step_epoch WHERE id = 1")?
            .map(|e| e as i64))
    }

    /// Records an account step of this user; answers its id.
    pub fn put_step(&self, account: &str, event: &SubjectEvent, now_ms: i64) -> ApiResult<String> {
        let epoch = match self.step_epoch()? {
            Some(epoch) => epoch,
            None => {
                self.0.exec(
                    "INSERT INTO step_epoch (id, epoch) VALUES (1, ?)",
                    vec![(now_ms as f64).into()],
                )?;
                now_ms
            }
        };
        self.0.exec(
            "INSERT INTO steps (account, event, made_at) VALUES (?, ?, ?)",
            vec![
                account.into(),
                serde_json::to_string(event)?.into(),
                (now_ms as f64).into(),
            ],
        )?;
        let seq = self
            .number("SELECT last_insert_rowid() AS value")?
            .unwrap_or_default() as i64;
        Ok(Self::step_id(epoch, seq))
    }

    /// Pending account steps made at or before `until_ms`, oldest first: (seq, account, the
    /// account's event with its step id).
    pub fn steps(&self, until_ms: i64) -> ApiResult<Vec<(i64, String, SubjectEvent)>> {
        #[derive(Deserialize)]
        struct Row {
            seq: f64,
            account: String,
            event: String,
        }
        let rows: Vec<Row> = self
            .0
            .exec(
                "SELECT seq, account, event FROM steps WHERE made_at <= ? ORDER BY seq",
                vec![(until_ms as f64).into()],
            )?
            .to_array()?;
        let epoch = self.step_epoch()?.unwrap_or_default();
        rows.into_iter()
            .map(|r| {
                let seq = r.seq as i64;
                let mut event: SubjectEvent = serde_json::from_str(&r.event)?;
                event.step = Some(Self::step_id(epoch, seq));
                Ok((seq, r.account, event))
            })
            .collect()
    }

    pub fn remove_steps(&self, seqs: &[i64]) -> ApiResult<()> {
        for seq in seqs {
            self.0.exec(
                "DELETE FROM steps WHERE seq = ?",
                vec![(*seq as f64).into()],
            )?;
        }
        Ok(())
    }

    /// When a user's oldest pending account step was made (an account has none).
    pub fn oldest_step(&self, scope: Scope) -> ApiResult<Option<i64>> {
        if scope == Scope::Account {
            return Ok(None);
        }
        Ok(self
            .number("SELECT min(made_at) AS value FROM steps")?
            .map(|v| v as i64))
    }

    /// Whether an account applied `member`'s step `step` already.
    pub fn step_applied(&self, member: &str, step: &str) -> ApiResult<bool> {
        Ok(!self
            .texts(
                "SELECT id AS value FROM applied_steps WHERE id = ?",
                vec![format!("{member}/{step}").into()],
            )?
            .is_empty())
    }

    pub fn put_applied_step(&self, member: &str, step: &str, now_ms: i64) -> ApiResult<()> {
        self.0.exec(
            "INSERT INTO applied_steps (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
            vec![format!("{member}/{step}").into(), (now_ms as f64).into()],
        )?;
        Ok(())
    }

    pub fn prune_applied_steps(&self, before_ms: i64) -> ApiResult<()> {
        self.0.exec(
            "DELETE FROM applied_steps WHERE at < ?",
            vec![(before_ms as f64).into()],
        )?;
        Ok(())
    }

    pub fn put_fanout(&self, award: &Award) -> ApiResult<()> {
        self.0.exec(
            "INSERT INTO fanout (id, award) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
            vec![
                award.id.as_str().into(),
                serde_json::to_string(award)?.into(),
            ],
        )?;
        Ok(())
    }

    pub fn fanout(&self) -> ApiResult<Vec<Award>> {
        self.texts("SELECT award AS value FROM fanout ORDER BY rowid", vec![])?
            .iter()
            .map(|a| serde_json::from_str(a).map_err(Into::into))
            .collect()
    }

    pub fn remove_fanout(&self, ids: &[String]) -> ApiResult<()> {
        for id in ids {
            self.0
                .exec("DELETE FROM fanout WHERE id = ?", vec![id.as_str().into()])?;
        }
        Ok(())
    }

    /// Whether anything waits to be handed on: ledger items, or an account's pushes to its
    /// members.
    pub fn has_handover(&self, scope: Scope) -> ApiResult<bool> {
        let sql = match scope {
            Scope::User => "SELECT count(*) AS value FROM outbox",
            Scope::Account => {
                "SELECT (SELECT count(*) FROM outbox) + (SELECT count(*) FROM fanout) AS value"
            }
        };
        Ok(self.number(sql)?.is_some_and(|n| n > 0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_knows_whose_it_is_from_its_name() {
        for (name, scope) in [
            (Some("prj_1/user/ann"), Scope::User),
            (Some("prj_1/account/acme"), Scope::Account),
            // Ids may contain anything: only the segment after the project counts.
            (Some("prj_1/user/account/x"), Scope::User),
            (Some("prj_1/account/user/x"), Scope::Account),
            (None, Scope::User),
        ] {
            assert_eq!(scope_of(name), scope, "{name:?}");
            assert_eq!(
                crate::objects::subject("prj_1", scope, "x").contains("/account/"),
                scope == Scope::Account
            );
        }
    }
}

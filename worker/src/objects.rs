//! What every Durable Object shares: how objects are named, and how each creates its schema.
//!
//! Names are built here and nowhere else: `{project}/user/{id}` and `{project}/account/{id}`
//! for the single writers of a user's and an account's counters, `{project}/ledger` for the
//! project's ledger writer. A project id never contains `/`, and the second segment tells users
//! from accounts, so no two subjects share a name whatever their ids contain.
//!
//! Schemas are versioned: each object class lists its migrations (one statement each, never
//! edited once shipped, only appended) and runs the missing ones once, when the object starts,
//! instead of a `CREATE TABLE IF NOT EXISTS` before every statement.

use cairn_core::definitions::Scope;
use serde::Deserialize;
use worker::{SqlStorage, State};

use crate::error::ApiResult;

/// The single writer of subject `id` (a user or an account) of `project`.
pub fn subject(project: &str, scope: Scope, id: &str) -> String {
    match scope {
        Scope::User => user(project, id),
        Scope::Account => account(project, id),
    }
}

/// The single writer of user `id`'s counters.
pub fn user(project: &str, id: &str) -> String {
    format!("{project}/user/{id}")
}

/// The single writer of account `id`'s counters.
pub fn account(project: &str, id: &str) -> String {
    format!("{project}/account/{id}")
}

/// The project's ledger writer.
pub fn ledger(project: &str) -> String {
    format!("{project}/ledger")
}

/// Brings the object's schema to `migrations.len()`: runs, in order, the migrations it has not
/// run yet, and records how many it has. Synchronous, so it commits as one step.
pub fn migrate(sql: &SqlStorage, migrations: &[&str]) -> ApiResult<()> {
    #[derive(Deserialize)]
    struct Version {
        version: i64,
    }
    sql.exec(
        "CREATE TABLE IF NOT EXISTS cairn_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
        None,
    )?;
    let rows: Vec<Version> = sql
        .exec("SELECT version FROM cairn_schema WHERE id = 1", None)?
        .to_array()?;
    let done = rows
        .first()
        .map_or(0, |r| usize::try_from(r.version).unwrap_or(0));
    if done >= migrations.len() {
        return Ok(());
    }
    for statement in migrations.iter().skip(done) {
        sql.exec(statement, None)?;
    }
    sql.exec(
        "INSERT INTO cairn_schema (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        vec![(migrations.len() as f64).into()],
    )?;
    Ok(())
}

/// Gives an object that starts with work `pending` from an earlier life (it was evicted, or
/// setting its alarm failed) its alarm back, unless one is set.
pub fn rearm_if(state: &State, pending: bool) {
    if !pending {
        return;
    }
    let storage = state.storage();
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(None) = storage.get_alarm().await {
            let _ = storage.set_alarm(0).await;
        }
    });
}

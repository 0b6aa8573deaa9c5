//! The `Subject` Durable Object: the single writer of one subject's (a user's or an account's)
//! counters and awards.
//!
//! It is thin on purpose. It owns the storage (one SQLite row holding the subject's
//! [`SubjectState`], read once per object lifetime and kept in memory) and the single-writer
//! guarantee; what an event means is decided by `cairn-core`. A command carries all the events
//! for this subject in one request (a batch costs one call per subject, not per event). Reading
//! the state, applying the events and writing the result happen synchronously, with no `await`
//! in between, so the runtime commits them together and no other request can interleave.

use std::cell::RefCell;

use cairn_core::definitions::Scope;
use cairn_core::engine::{EventError, Traits};
use cairn_core::wire::{AwardView, ErrorDetail, MeResponse};
use cairn_core::{Event, Subject as SubjectRef, SubjectState};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use worker::{
    DurableObject, Env, Method, Request, RequestInit, Response, Result, SqlStorage, State,
    durable_object,
};

use crate::error::{ApiError, ApiResult};
use crate::project;

/// Binding name of the namespace in `wrangler.toml`.
pub const BINDING: &str = "SUBJECT";

/// Whose Durable Object, and under which definitions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    pub project: String,
    pub definitions_version: i64,
    pub scope: Scope,
    pub id: String,
    /// Locale of the titles in the answer.
    pub locale: String,
}

/// What the worker asks of a subject. Internal: never crosses the public API.
#[derive(Debug, Serialize, Deserialize)]
pub enum Command {
    /// Apply events, in order.
    Events {
        target: Target,
        events: Vec<SubjectEvent>,
    },
    /// Read totals, awards and progress.
    Me { target: Target },
}

/// One event for this subject.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubjectEvent {
    pub metric: String,
    pub value: Option<u64>,
    pub timestamp: Option<Timestamp>,
    pub idempotency_key: Option<String>,
    /// For accounts: the member who did it.
    pub member: Option<String>,
    pub traits: Option<Traits>,
    pub backfill: bool,
}

/// What happened to one event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SubjectResult {
    Applied {
        duplicate: bool,
        total: u64,
        awards: Vec<AwardView>,
    },
    Rejected(ErrorDetail),
}

/// Sends `command` to the Durable Object named `name` and returns its JSON answer.
pub async fn send<T: serde::de::DeserializeOwned>(
    env: &Env,
    name: &str,
    command: &Command,
) -> ApiResult<T> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(name)?
        .get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(command)?.into()));
    let req = Request::new_with_init("https://subject/", &init)?;
    let mut response = stub.fetch_with_request(req).await?;
    if response.status_code() != 200 {
        return Err(ApiError::Internal(format!(
            "subject {name} answered {}: {}",
            response.status_code(),
            response.text().await?
        )));
    }
    Ok(response.json().await?)
}

#[durable_object]
pub struct Subject {
    sql: SqlStorage,
    env: Env,
    /// The state, loaded on first use.
    state: RefCell<Option<SubjectState>>,
}

impl DurableObject for Subject {
    fn new(state: State, env: Env) -> Self {
        Self {
            sql: state.storage().sql(),
            env,
            state: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command: Command = req.json().await?;
        let result = match command {
            Command::Events { target, events } => self.handle_events(&target, &events).await,
            Command::Me { target } => self.handle_me(&target).await,
        };
        result.or_else(ApiError::into_response)
    }
}

#[derive(Deserialize)]
struct Row {
    state: String,
}

impl Subject {
    async fn handle_events(&self, target: &Target, events: &[SubjectEvent]) -> ApiResult<Response> {
        let defs =
            project::definitions(&self.env, &target.project, target.definitions_version).await?;
        // From here to the write: synchronous.
        let subject = SubjectRef {
            project: &target.project,
            scope: target.scope,
            id: &target.id,
        };
        let now = now();
        let mut state = self.load()?;
        let before = state.clone();
        let results: Vec<SubjectResult> = events
            .iter()
            .map(|e| {
                let event = Event {
                    value: e.value,
                    idempotency_key: e.idempotency_key.as_deref(),
                    member: e.member.as_deref(),
                    traits: e.traits.as_ref(),
                    backfill: e.backfill,
                    ..Event::new(&e.metric, e.timestamp.unwrap_or(now))
                };
                match state.apply(&defs, subject, &event, now) {
                    Ok(out) => SubjectResult::Applied {
                        duplicate: out.duplicate,
                        total: out.total,
                        awards: out
                            .awards
                            .iter()
                            .map(|a| AwardView::build(&defs, a, &target.locale))
                            .collect(),
                    },
                    Err(e) => SubjectResult::Rejected(event_error(&e).detail()),
                }
            })
            .collect();
        if state != before {
            self.store(&state)?;
        }
        Ok(Response::from_json(&results)?)
    }

    async fn handle_me(&self, target: &Target) -> ApiResult<Response> {
        let defs =
            project::definitions(&self.env, &target.project, target.definitions_version).await?;
        let subject = SubjectRef {
            project: &target.project,
            scope: target.scope,
            id: &target.id,
        };
        let state = self.load()?;
        Ok(Response::from_json(&MeResponse::build(
            &defs,
            subject,
            &state,
            now(),
            &target.locale,
        ))?)
    }

    fn store(&self, state: &SubjectState) -> ApiResult<()> {
        self.sql.exec(
            "INSERT INTO subject_state (id, state) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state",
            vec![serde_json::to_string(state)?.into()],
        )?;
        *self.state.borrow_mut() = Some(state.clone());
        Ok(())
    }

    fn load(&self) -> ApiResult<SubjectState> {
        if let Some(state) = self.state.borrow().as_ref() {
            return Ok(state.clone());
        }
        self.sql.exec(
            "CREATE TABLE IF NOT EXISTS subject_state (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL)",
            None,
        )?;
        let rows: Vec<Row> = self
            .sql
            .exec("SELECT state FROM subject_state WHERE id = 1", None)?
            .to_array()?;
        let state = match rows.first() {
            Some(row) => serde_json::from_str(&row.state)?,
            None => SubjectState::default(),
        };
        *self.state.borrow_mut() = Some(state.clone());
        Ok(state)
    }
}

/// The current instant from the platform clock (the engine never reads one).
pub fn now() -> Timestamp {
    Timestamp::from_millisecond(worker::Date::now().as_millis() as i64)
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn event_error(e: &EventError) -> ApiError {
    let message = e.to_string();
    let (code, path) = match e {
        EventError::UnknownMetric(_) => ("unknown_metric", "event"),
        EventError::ZeroValue | EventError::MissingValue(_) => {
            return ApiError::BadRequest {
                code: "invalid_value",
                message,
                path: Some("value".into()),
            };
        }
        EventError::FutureTimestamp(_) => ("future_timestamp", "timestamp"),
        EventError::UnknownTimeZone(_) => ("unknown_time_zone", "user.tz"),
        EventError::UnknownMilestone(_) | EventError::NotCustom(_) => {
            ("unknown_milestone", "milestone")
        }
    };
    ApiError::Unprocessable {
        code,
        message,
        path: Some(path.into()),
    }
}

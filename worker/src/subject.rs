//! The `Subject` Durable Object: the single writer of one subject's counters and awards.
//!
//! It is thin on purpose. It owns the storage (one SQLite row holding the subject's
//! [`SubjectState`], read once per object lifetime and kept in memory) and the single-writer
//! guarantee; what an event means is decided by `cairn-core`. Reading the state, applying the
//! event and writing the result happen synchronously, with no `await` in between, so the
//! runtime commits them together and no other request can interleave.

use std::cell::RefCell;

use cairn_core::definitions::Scope;
use cairn_core::engine::EventError;
use cairn_core::wire::{AwardView, ClientEvent, MeResponse, TrackResponse};
use cairn_core::{Event, Subject as SubjectRef, SubjectState};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use worker::{
    DurableObject, Env, Method, Request, RequestInit, Response, Result, SqlStorage, State,
    durable_object,
};

use crate::error::{ApiError, ApiResult};
use crate::project::Project;

/// Binding name of the namespace in `wrangler.toml`.
pub const BINDING: &str = "SUBJECT";

/// What the worker asks of a subject. Internal: never crosses the public API.
#[derive(Debug, Serialize, Deserialize)]
pub enum Command {
    /// Track one client event.
    Track {
        project: String,
        user_id: String,
        locale: String,
        event: ClientEvent,
    },
    /// Read the user's totals, awards and progress.
    Me {
        project: String,
        user_id: String,
        locale: String,
    },
}

/// Sends `command` to the Durable Object of `subject_id` and returns its answer as is.
pub async fn send(env: &Env, subject_id: &str, command: &Command) -> ApiResult<Response> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(subject_id)?
        .get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(command)?.into()));
    let req = Request::new_with_init(&format!("https://subject/{subject_id}"), &init)?;
    Ok(stub.fetch_with_request(req).await?)
}

#[durable_object]
pub struct Subject {
    sql: SqlStorage,
    /// The state, loaded on first use.
    state: RefCell<Option<SubjectState>>,
}

impl DurableObject for Subject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            sql: state.storage().sql(),
            state: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command: Command = req.json().await?;
        let result = match command {
            Command::Track {
                project,
                user_id,
                locale,
                event,
            } => self.handle_track(&project, &user_id, &locale, &event),
            Command::Me {
                project,
                user_id,
                locale,
            } => self.handle_me(&project, &user_id, &locale),
        };
        result.or_else(ApiError::into_response)
    }
}

#[derive(Deserialize)]
struct Row {
    state: String,
}

impl Subject {
    fn handle_track(
        &self,
        project: &str,
        user_id: &str,
        locale: &str,
        event: &ClientEvent,
    ) -> ApiResult<Response> {
        let project = known_project(project)?;
        let defs = project.definitions;
        let subject = SubjectRef {
            project: project.id,
            scope: Scope::User,
            id: user_id,
        };
        let now = now();
        let event = Event {
            value: event.value,
            idempotency_key: event.idempotency_key.as_deref(),
            ..Event::new(&event.event, event.timestamp.unwrap_or(now))
        };
        let outcome = self.with_state(|state| {
            let mut next = state.clone();
            let outcome = next.apply(defs, subject, &event, now)?;
            Ok((next, outcome))
        })?;
        let body = TrackResponse {
            metric: event.metric.to_owned(),
            total: outcome.total,
            duplicate: outcome.duplicate,
            awards: outcome
                .awards
                .iter()
                .map(|a| AwardView::build(defs, a, locale))
                .collect(),
        };
        Ok(Response::from_json(&body)?)
    }

    fn handle_me(&self, project: &str, user_id: &str, locale: &str) -> ApiResult<Response> {
        let project = known_project(project)?;
        let subject = SubjectRef {
            project: project.id,
            scope: Scope::User,
            id: user_id,
        };
        let state = self.load()?;
        Ok(Response::from_json(&MeResponse::build(
            project.definitions,
            subject,
            &state,
            now(),
            locale,
        ))?)
    }

    /// Runs `change` on the current state and, when it succeeds, stores and keeps its new state.
    /// Synchronous from read to write: the runtime cannot interleave another request.
    fn with_state<T>(
        &self,
        change: impl FnOnce(&SubjectState) -> std::result::Result<(SubjectState, T), EventError>,
    ) -> ApiResult<T> {
        let current = self.load()?;
        let (next, out) = change(&current).map_err(|e| event_error(&e))?;
        if next != current {
            self.sql.exec(
                "INSERT INTO subject_state (id, state) VALUES (1, ?) \
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state",
                vec![serde_json::to_string(&next)?.into()],
            )?;
            *self.state.borrow_mut() = Some(next);
        }
        Ok(out)
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

fn known_project(id: &str) -> ApiResult<Project> {
    Project::by_id(id).ok_or_else(|| ApiError::Internal(format!("unknown project {id}")))
}

fn now() -> Timestamp {
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
        EventError::UnknownTimeZone(_) => ("unknown_time_zone", "tz"),
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

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

use cairn_core::Compiled;
use cairn_core::definitions::Scope;
use cairn_core::engine::{Award, EventError, Traits};
use cairn_core::wire::{AccountView, AwardView, ErrorDetail, MeResponse, StreamMessage};
use cairn_core::{Event, Subject as SubjectRef, SubjectState};
use futures_util::StreamExt;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use worker::{
    DurableObject, Env, Request, Response, Result, SqlStorage, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair, WebSocketRequestResponsePair, durable_object,
};

use crate::error::{ApiError, ApiResult};
use crate::ledger::{LedgerRow, Outbox, OutboxItem};
use crate::rpc::{self, json};
use crate::{project, writer};

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

impl Target {
    /// The engine's view of this subject.
    pub fn subject(&self) -> SubjectRef<'_> {
        SubjectRef {
            project: &self.project,
            scope: self.scope,
            id: &self.id,
        }
    }
}

/// What the worker asks of a subject. Internal: never crosses the public API.
#[derive(Debug, Serialize, Deserialize)]
pub enum Command {
    /// Apply events, in order.
    Events {
        target: Target,
        events: Vec<SubjectEvent>,
    },
    /// Read a user's totals, awards and progress, with their account's view (whose `seen`
    /// flags are set from this user's acknowledgements).
    Me {
        target: Target,
        account: Option<AccountView>,
    },
    /// Read an account's totals, awards and progress.
    Account { target: Target },
    /// Award a custom milestone.
    Award { target: Target, milestone: String },
    /// This user acknowledged an award (theirs or their account's).
    Seen {
        project: String,
        user: String,
        account: Option<String>,
        award_id: String,
    },
    /// Erase everything of this subject; answers the accounts the user was seen in.
    Erase,
    /// An account forgets an erased member.
    Forget { target: Target, member: String },
    /// Push awards (of this user's account) to this user's open streams.
    Push { awards: Vec<AwardView> },
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
    /// For users: the account the event also counted for (remembered for erasure).
    #[serde(default)]
    pub account: Option<String>,
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

impl SubjectResult {
    /// The result of an applied event (or custom award) `out`, titles in `locale`.
    fn applied(defs: &Compiled, out: &cairn_core::Outcome, total: u64, locale: &str) -> Self {
        Self::Applied {
            duplicate: out.duplicate,
            total,
            awards: out
                .awards
                .iter()
                .map(|a| AwardView::build(defs, a, locale))
                .collect(),
        }
    }
}

/// Sends `command` to the Durable Object named `name` and returns its answer.
pub async fn send<T: serde::de::DeserializeOwned>(
    env: &Env,
    name: &str,
    command: &Command,
) -> ApiResult<T> {
    rpc::call(env, BINDING, name, command).await
}

#[durable_object]
pub struct Subject {
    storage: State,
    sql: SqlStorage,
    env: Env,
    /// The state, loaded on first use.
    state: RefCell<Option<SubjectState>>,
    /// Who this object is (stored, for alarms, which carry no request).
    target: RefCell<Option<Target>>,
    /// The alarm currently set, in milliseconds since the epoch.
    scheduled: RefCell<Option<i64>>,
    /// When to retry copying the outbox to the ledger, after a failure.
    retry_at: RefCell<Option<i64>>,
}

impl DurableObject for Subject {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        Self {
            storage: state,
            sql,
            env,
            state: RefCell::new(None),
            target: RefCell::new(None),
            scheduled: RefCell::new(None),
            retry_at: RefCell::new(None),
        }
    }

    /// Only the WebSocket upgrade arrives by fetch; commands come by RPC ([`Subject::command`]).
    async fn fetch(&self, req: Request) -> Result<Response> {
        if req.path() == "/stream" {
            return self.handle_stream(&req).or_else(ApiError::into_response);
        }
        ApiError::NotFound.into_response()
    }

    /// The widget sends nothing but pings (answered without waking the object).
    async fn websocket_message(
        &self,
        _ws: WebSocket,
        _message: WebSocketIncomingMessage,
    ) -> Result<()> {
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        reason: String,
        _was_clean: bool,
    ) -> Result<()> {
        let code = u16::try_from(code)
            .ok()
            .filter(|c| (1000..5000).contains(c) && *c != 1005 && *c != 1006)
            .unwrap_or(1000);
        let _ = ws.close(Some(code), Some(reason));
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        Ok(())
    }

    /// A time milestone is due or a streak lapses: advance the clock.
    async fn alarm(&self) -> Result<Response> {
        *self.scheduled.borrow_mut() = None;
        match self.handle_alarm().await {
            Ok(()) => Response::ok("ticked"),
            Err(e) => {
                worker::console_error!("alarm failed: {e:?}");
                // The runtime retries a failed alarm.
                Err(worker::Error::RustError("alarm failed".into()))
            }
        }
    }
}

/// Pushes to members kept in flight at once.
const MAX_FAN_OUT_IN_FLIGHT: usize = 32;

/// Most members an account award is pushed to in real time (all members see it in /me).
const MAX_FAN_OUT: usize = 500;

async fn subject_send_quiet(env: &Env, name: &str, command: &Command) {
    if let Err(e) = send::<bool>(env, name, command).await {
        worker::console_error!("push to {name} failed: {e:?}");
    }
}

const IMPORTED_TABLE: &str = "CREATE TABLE IF NOT EXISTS imported (key TEXT PRIMARY KEY)";
const SEEN_TABLE: &str = "CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at TEXT NOT NULL)";
const ACCOUNTS_TABLE: &str = "CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY)";

/// Delay before retrying a failed hand-over to the ledger writer.
const OUTBOX_RETRY_MS: i64 = 2_000;

const META_TABLE: &str = "CREATE TABLE IF NOT EXISTS subject_meta (id INTEGER PRIMARY KEY CHECK (id = 1), target TEXT NOT NULL)";

#[derive(Deserialize)]
struct Row {
    state: String,
}

/// The RPC interface the worker calls (see [`rpc`]).
#[wasm_bindgen::prelude::wasm_bindgen(
    wasm_bindgen = ::worker::wasm_bindgen,
    wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
    js_sys = ::worker::js_sys
)]
impl Subject {
    /// Runs one [`Command`] (JSON) and answers its result (JSON); a failure is thrown.
    pub async fn command(
        &self,
        command: String,
    ) -> std::result::Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
        rpc::answer(match serde_json::from_str::<Command>(&command) {
            Ok(command) => self.dispatch(command).await,
            Err(e) => Err(ApiError::Internal(format!("unreadable command: {e}"))),
        })
    }
}

impl Subject {
    async fn dispatch(&self, command: Command) -> ApiResult<String> {
        match command {
            Command::Events { target, events } => self.handle_events(&target, &events).await,
            Command::Me { target, account } => self.handle_me(&target, account).await,
            Command::Account { target } => self.handle_account(&target).await,
            Command::Seen {
                project,
                user,
                account,
                award_id,
            } => {
                self.handle_seen(OutboxItem::Seen {
                    project,
                    id: award_id,
                    user,
                    account,
                    at: now().to_string(),
                })
                .await
            }
            Command::Erase => self.handle_erase().await,
            Command::Push { awards } => {
                self.push(&awards);
                json(&true)
            }
            Command::Forget { target, member } => self.handle_forget(&target, &member).await,
            Command::Award { target, milestone } => self.handle_award(&target, &milestone).await,
        }
    }

    async fn handle_events(&self, target: &Target, events: &[SubjectEvent]) -> ApiResult<String> {
        let defs = self.definitions(target).await?;
        // From here to the write: synchronous.
        let subject = target.subject();
        let now = now();
        let mut state = self.load()?;
        let before = state.clone();
        let mut fresh = Vec::new();
        let mut imported_keys = Vec::new();
        let results: Vec<SubjectResult> = events
            .iter()
            .map(|e| {
                // History is imported in bulk: its keys are remembered for good (the engine's
                // window holds only the latest keys), so a resumed import never counts twice.
                let import_key = e.idempotency_key.as_deref().filter(|_| e.backfill);
                if let Some(key) = import_key
                    && (imported_keys.iter().any(|k| k == key)
                        || self.was_imported(key).unwrap_or(false))
                {
                    return SubjectResult::Applied {
                        duplicate: true,
                        total: state.total(&e.metric),
                        awards: Vec::new(),
                    };
                }
                let event = Event {
                    value: e.value,
                    idempotency_key: e.idempotency_key.as_deref(),
                    member: e.member.as_deref(),
                    traits: e.traits.as_ref(),
                    backfill: e.backfill,
                    ..Event::new(&e.metric, e.timestamp.unwrap_or(now))
                };
                match state.apply(&defs, subject, &event, now) {
                    Ok(out) => {
                        if !out.duplicate {
                            fresh.extend(out.awards.iter().cloned());
                        }
                        imported_keys.extend(import_key.map(str::to_owned));
                        SubjectResult::applied(&defs, &out, out.total, &target.locale)
                    }
                    Err(e) => SubjectResult::Rejected(event_error(&e).detail()),
                }
            })
            .collect();
        if state != before {
            self.store(&state, &defs, subject, &fresh, now)?;
        }
        if !imported_keys.is_empty() {
            self.sql.exec(IMPORTED_TABLE, None)?;
            for key in &imported_keys {
                self.sql.exec(
                    "INSERT INTO imported (key) VALUES (?) ON CONFLICT (key) DO NOTHING",
                    vec![key.as_str().into()],
                )?;
            }
        }
        let accounts: std::collections::BTreeSet<&str> =
            events.iter().filter_map(|e| e.account.as_deref()).collect();
        if !accounts.is_empty() {
            self.sql.exec(ACCOUNTS_TABLE, None)?;
            for account in accounts {
                self.sql.exec(
                    "INSERT INTO accounts (id) VALUES (?) ON CONFLICT (id) DO NOTHING",
                    vec![account.into()],
                )?;
            }
        }
        self.remember(target)?;
        // Everything above is written in one synchronous step; now the asynchronous part.
        self.deliver(target, &defs, &state, &fresh).await;
        self.schedule(&defs, subject, &state, now).await?;
        json(&results)
    }

    async fn handle_award(&self, target: &Target, milestone: &str) -> ApiResult<String> {
        let defs = self.definitions(target).await?;
        let subject = target.subject();
        let now = now();
        let mut state = self.load()?;
        let result = match state.award_custom(&defs, subject, milestone, now, true) {
            Ok(out) => {
                if !out.duplicate {
                    self.store(&state, &defs, subject, &out.awards, now)?;
                    self.deliver(target, &defs, &state, &out.awards).await;
                }
                SubjectResult::applied(&defs, &out, 0, &target.locale)
            }
            Err(e) => SubjectResult::Rejected(event_error(&e).detail()),
        };
        self.remember(target)?;
        self.schedule(&defs, subject, &state, now).await?;
        json(&result)
    }

    async fn handle_alarm(&self) -> ApiResult<()> {
        let now = now();
        self.flush_outbox(now).await;
        let Some(target) = self.stored_target()? else {
            return self.schedule_retry_only(now).await;
        };
        let defs = self.definitions(&target).await?;
        let subject = target.subject();
        let mut state = self.load()?;
        let before = state.clone();
        let outcome = state.tick(&defs, subject, now);
        if state != before {
            self.store(&state, &defs, subject, &outcome.awards, now)?;
            self.deliver(&target, &defs, &state, &outcome.awards).await;
            self.flush_outbox(now).await;
        }
        self.schedule(&defs, subject, &state, now).await
    }

    /// With no subject known yet (e.g. only acknowledgements): an alarm for the outbox only.
    async fn schedule_retry_only(&self, now: Timestamp) -> ApiResult<()> {
        let retry = *self.retry_at.borrow();
        if let Some(at) = retry {
            self.storage
                .storage()
                .set_alarm((at - now.as_millisecond()).max(0))
                .await?;
            *self.scheduled.borrow_mut() = Some(at);
        }
        Ok(())
    }

    /// Accepts a WebSocket on which this user's awards are pushed (hibernation API: the object
    /// may sleep while sockets stay open). `ping` is answered `pong` without waking it.
    fn handle_stream(&self, req: &Request) -> ApiResult<Response> {
        let target = req.headers().get("x-cairn-target")?.unwrap_or_default();
        let target: Target = serde_json::from_str(&target)?;
        self.remember(&target)?;
        let pair = WebSocketPair::new()?;
        self.storage.accept_web_socket(&pair.server);
        let ping = WebSocketRequestResponsePair::new("ping", "pong")
            .map_err(|e| ApiError::Internal(format!("{e:?}")))?;
        self.storage.set_websocket_auto_response(&ping);
        Ok(Response::from_websocket(pair.client)?)
    }

    /// Sends `awards` to this object's open streams.
    fn push(&self, awards: &[AwardView]) {
        let sockets = self.storage.get_websockets();
        for award in awards {
            let message = StreamMessage::Award {
                award: award.clone(),
            };
            for socket in &sockets {
                // A socket that is closing just misses it; /v1/client/me still lists the award.
                let _ = socket.send(&message);
            }
        }
    }

    /// Pushes new awards to this user's streams; an account's awards go to every member's.
    async fn deliver(
        &self,
        target: &Target,
        defs: &Compiled,
        state: &SubjectState,
        awards: &[Award],
    ) {
        if awards.is_empty() {
            return;
        }
        let views: Vec<AwardView> = awards
            .iter()
            .map(|a| AwardView::build(defs, a, &target.locale))
            .collect();
        match target.scope {
            Scope::User => self.push(&views),
            Scope::Account => {
                let command = Command::Push { awards: views };
                let sends = state.members.iter().take(MAX_FAN_OUT).map(|member| {
                    let name = format!("{}/user/{member}", target.project);
                    let command = &command;
                    async move { subject_send_quiet(&self.env, &name, command).await }
                });
                futures_util::stream::iter(sends)
                    .buffer_unordered(MAX_FAN_OUT_IN_FLIGHT)
                    .collect::<Vec<()>>()
                    .await;
            }
        }
    }

    /// Hands the outbox to the project's ledger writer and removes what it took; on failure,
    /// asks for a retry by alarm.
    async fn flush_outbox(&self, now: Timestamp) {
        let outbox = Outbox(&self.sql);
        let items = match outbox.all() {
            Ok(items) if items.is_empty() => {
                *self.retry_at.borrow_mut() = None;
                return;
            }
            Ok(items) => items,
            Err(e) => return worker::console_error!("outbox unreadable: {e:?}"),
        };
        let handed = writer::append(&self.env, &items).await.and_then(|()| {
            let keys: Vec<String> = items.iter().map(OutboxItem::key).collect();
            outbox.remove(&keys)
        });
        *self.retry_at.borrow_mut() = match handed {
            Ok(()) => None,
            Err(e) => {
                worker::console_error!("ledger hand-over failed, retrying by alarm: {e:?}");
                Some(now.as_millisecond() + OUTBOX_RETRY_MS)
            }
        };
    }

    /// Puts `item` in the outbox (same synchronous step as the change it records) and asks for
    /// the alarm to hand it to the ledger right away.
    fn enqueue(&self, item: &OutboxItem, now: Timestamp) -> ApiResult<()> {
        Outbox(&self.sql).push(item)?;
        *self.retry_at.borrow_mut() = Some(now.as_millisecond());
        Ok(())
    }

    /// Sets the alarm to the engine's next due instant (or clears it).
    async fn schedule(
        &self,
        defs: &cairn_core::Compiled,
        subject: SubjectRef<'_>,
        state: &SubjectState,
        now: Timestamp,
    ) -> ApiResult<()> {
        let due = state
            .next_due(defs, subject, now)
            .map(|t| t.as_millisecond());
        let retry = *self.retry_at.borrow();
        let due = match (due, retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if *self.scheduled.borrow() == due {
            return Ok(());
        }
        match due {
            Some(at) => {
                self.storage
                    .storage()
                    .set_alarm((at - now.as_millisecond()).max(0))
                    .await?;
            }
            None => self.storage.storage().delete_alarm().await?,
        }
        *self.scheduled.borrow_mut() = due;
        Ok(())
    }

    /// Stores who this object is, once (alarms need it).
    fn remember(&self, target: &Target) -> ApiResult<()> {
        let same = self.target.borrow().as_ref().is_some_and(|t| {
            t.project == target.project
                && t.definitions_version == target.definitions_version
                && t.id == target.id
        });
        if same {
            return Ok(());
        }
        self.sql.exec(META_TABLE, None)?;
        self.sql.exec(
            "INSERT INTO subject_meta (id, target) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET target = excluded.target",
            vec![serde_json::to_string(target)?.into()],
        )?;
        *self.target.borrow_mut() = Some(target.clone());
        Ok(())
    }

    fn stored_target(&self) -> ApiResult<Option<Target>> {
        if let Some(t) = self.target.borrow().clone() {
            return Ok(Some(t));
        }
        #[derive(Deserialize)]
        struct Meta {
            target: String,
        }
        self.sql.exec(META_TABLE, None)?;
        let rows: Vec<Meta> = self
            .sql
            .exec("SELECT target FROM subject_meta WHERE id = 1", None)?
            .to_array()?;
        let target = rows
            .first()
            .map(|r| serde_json::from_str::<Target>(&r.target))
            .transpose()?;
        self.target.borrow_mut().clone_from(&target);
        Ok(target)
    }

    async fn handle_me(&self, target: &Target, account: Option<AccountView>) -> ApiResult<String> {
        let defs = self.definitions(target).await?;
        let subject = target.subject();
        let state = self.load()?;
        let mut me = MeResponse::build(&defs, subject, &state, now(), &target.locale);
        let seen = self.seen_ids()?;
        me.account = account;
        let account_awards = me.account.iter_mut().flat_map(|a| a.awards.iter_mut());
        for award in me.awards.iter_mut().chain(account_awards) {
            award.seen = seen.contains(&award.id);
        }
        json(&me)
    }

    async fn handle_account(&self, target: &Target) -> ApiResult<String> {
        let defs = self.definitions(target).await?;
        let subject = target.subject();
        let state = self.load()?;
        json(&AccountView::build(
            &defs,
            subject,
            &state,
            now(),
            &target.locale,
        ))
    }

    /// Records an acknowledgement here (it drives `seen` in /me) and, through the outbox, in
    /// the ledger's `seen_at`.
    async fn handle_seen(&self, item: OutboxItem) -> ApiResult<String> {
        let OutboxItem::Seen { id, at, .. } = &item else {
            return Err(ApiError::Internal("not a seen item".into()));
        };
        self.sql.exec(SEEN_TABLE, None)?;
        self.sql.exec(
            "INSERT INTO seen (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
            vec![id.as_str().into(), at.as_str().into()],
        )?;
        let now = now();
        self.enqueue(&item, now)?;
        let soon = self
            .scheduled
            .borrow()
            .is_none_or(|at| at > now.as_millisecond());
        if soon {
            self.storage.storage().set_alarm(0).await?;
            *self.scheduled.borrow_mut() = Some(now.as_millisecond());
        }
        json(&true)
    }

    fn seen_ids(&self) -> ApiResult<std::collections::BTreeSet<String>> {
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        self.sql.exec(SEEN_TABLE, None)?;
        let rows: Vec<Id> = self.sql.exec("SELECT id FROM seen", None)?.to_array()?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Erases this subject: state, outbox, acknowledgements, alarm. Answers the accounts the
    /// user counted for, so that they can forget the member.
    async fn handle_erase(&self) -> ApiResult<String> {
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        self.sql.exec(ACCOUNTS_TABLE, None)?;
        let accounts: Vec<Id> = self.sql.exec("SELECT id FROM accounts", None)?.to_array()?;
        let accounts: Vec<String> = accounts.into_iter().map(|a| a.id).collect();
        self.storage.storage().delete_alarm().await?;
        self.storage.storage().delete_all().await?;
        *self.state.borrow_mut() = None;
        *self.target.borrow_mut() = None;
        *self.scheduled.borrow_mut() = None;
        *self.retry_at.borrow_mut() = None;
        json(&accounts)
    }

    async fn handle_forget(&self, target: &Target, member: &str) -> ApiResult<String> {
        let defs = self.definitions(target).await?;
        let subject = target.subject();
        let mut state = self.load()?;
        if state.forget_member(member) {
            self.store(&state, &defs, subject, &[], now())?;
        }
        json(&true)
    }

    /// The target's definitions, compiled (cached per isolate).
    async fn definitions(&self, target: &Target) -> ApiResult<std::rc::Rc<Compiled>> {
        project::definitions(&self.env, &target.project, target.definitions_version).await
    }

    /// Whether an imported event with idempotency key `key` was applied before.
    fn was_imported(&self, key: &str) -> ApiResult<bool> {
        #[derive(Deserialize)]
        struct Hit {
            #[allow(dead_code, reason = "the row's presence is the answer")]
            key: String,
        }
        self.sql.exec(IMPORTED_TABLE, None)?;
        let rows: Vec<Hit> = self
            .sql
            .exec("SELECT key FROM imported WHERE key = ?", vec![key.into()])?
            .to_array()?;
        Ok(!rows.is_empty())
    }

    /// Writes the state and the ledger rows of its new awards, in one synchronous step.
    fn store(
        &self,
        state: &SubjectState,
        defs: &Compiled,
        subject: SubjectRef<'_>,
        awards: &[Award],
        now: Timestamp,
    ) -> ApiResult<()> {
        self.sql.exec(
            "INSERT INTO subject_state (id, state) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state",
            vec![serde_json::to_string(state)?.into()],
        )?;
        for award in awards {
            self.enqueue(
                &OutboxItem::Award(Box::new(LedgerRow::new(
                    defs,
                    subject,
                    award,
                    &now.to_string(),
                ))),
                now,
            )?;
        }
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

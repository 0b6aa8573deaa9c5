//! The `Subject` Durable Object: the single writer of one subject's (a user's or an account's)
//! counters and awards.
//!
//! It is thin on purpose. It owns the storage (one SQLite row holding the subject's
//! [`SubjectState`], read once per object lifetime and kept in memory) and the single-writer
//! guarantee; what an event means is decided by `cairn-core`. A command carries all the events
//! for this subject in one request (a batch costs one call per subject, not per event). Reading
//! the state, applying the events, writing the result *and arming the alarm* happen with no
//! other `await` in between, so the runtime commits them together and no other request can
//! interleave.
//!
//! Nothing an event causes is left only in memory. Ledger rows go to the outbox (handed to the
//! project's ledger writer by the alarm); an event's account part becomes a [`Step`] in the
//! user's `steps` table, applied by the account at most once (it remembers the step ids it
//! applied) and kept by the user until the account confirmed it; an account's awards wait in
//! `fanout` until its alarm pushed them to the members' streams. An object that starts with any
//! of these pending re-arms its alarm.

mod command;
mod handover;
mod store;
mod stream;

use std::cell::{Cell, RefCell};

use cairn_core::Compiled;
use cairn_core::definitions::Scope;
use cairn_core::engine::Award;
use cairn_core::wire::AccountView;
use cairn_core::{Event, Subject as SubjectRef, SubjectState};
use jiff::Timestamp;
use worker::{
    DurableObject, Env, Request, Response, Result, SqlStorage, State, WebSocket,
    WebSocketIncomingMessage, durable_object,
};

use crate::error::{ApiError, ApiResult};
use crate::ledger::{self, Outbox, OutboxItem};
use crate::rpc::{self, json};
use crate::{objects, project};
use store::Store;

pub use command::{Command, EventsAnswer, Step, SubjectEvent, SubjectResult, Target, send};

/// Binding name of the namespace in `wrangler.toml`.
pub const BINDING: &str = "SUBJECT";

/// Delay before retrying a failed hand-over (ledger writer, account, members).
const RETRY_MS: i64 = 2_000;
/// A step the worker applied at once is confirmed by the user's alarm this much later (the
/// account answers "already applied"); one call covers every step of that time.
const STEP_CONFIRM_MS: i64 = 5_000;
/// How long an account remembers the steps it applied.
const APPLIED_STEPS_KEPT_MS: i64 = 3 * 86_400_000;
/// Pushes to members kept in flight at once.
const MAX_FAN_OUT_IN_FLIGHT: usize = 32;
/// Most members an account award is pushed to in real time (all members see it in /me).
const MAX_FAN_OUT: usize = 500;

#[durable_object]
pub struct Subject {
    storage: State,
    sql: SqlStorage,
    env: Env,
    /// A user's or an account's object (from its name).
    scope: Scope,
    /// The schema could not be brought up to date (every command then fails with this).
    broken: Option<String>,
    /// The state, loaded on first use.
    state: RefCell<Option<SubjectState>>,
    /// Who this object is (stored, for alarms, which carry no request).
    target: RefCell<Option<Target>>,
    /// The alarm this object last set, in milliseconds since the epoch.
    scheduled: Cell<Option<i64>>,
    /// After a failed hand-over: not before this instant.
    backoff_until: Cell<Option<i64>>,
    /// When applied steps were last pruned.
    pruned_at: Cell<i64>,
}

impl DurableObject for Subject {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        let scope = store::scope_of(state.id().name().as_deref());
        let broken = objects::migrate(&sql, store::migrations(scope))
            .err()
            .map(|e| e.to_string());
        // Work left by an earlier life (evicted, or `set_alarm` failed) gets its alarm back.
        let pending = broken.is_none()
            && (Store(&sql).has_handover(scope).unwrap_or(true)
                || Store(&sql).oldest_step(scope).map_or(true, |s| s.is_some()));
        objects::rearm_if(&state, pending);
        Self {
            storage: state,
            sql,
            env,
            scope,
            broken,
            state: RefCell::new(None),
            target: RefCell::new(None),
            scheduled: Cell::new(None),
            backoff_until: Cell::new(None),
            pruned_at: Cell::new(0),
        }
    }

    /// Only the WebSocket upgrade arrives by fetch; commands come by RPC ([`Subject::command`]).
    async fn fetch(&self, req: Request) -> Result<Response> {
        if req.path() == "/stream" {
            return self.handle_stream(&req).or_else(ApiError::into_response);
        }
        ApiError::not_found("route").into_response()
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
        stream::close(&ws, code, reason);
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        Ok(())
    }

    /// Hands on what is pending, fires due time milestones, and re-arms.
    async fn alarm(&self) -> Result<Response> {
        self.scheduled.set(None);
        match self.handle_alarm().await {
            Ok(()) => Response::ok("ticked"),
            Err(e) => {
                worker::console_error!("alarm failed: {e}");
                // The runtime retries a failed alarm.
                Err(worker::Error::RustError("alarm failed".into()))
            }
        }
    }
}

/// The RPC interface the worker calls (see [`rpc`]).
#[wasm_bindgen::prelude::wasm_bindgen(
    wasm_bindgen = ::worker::wasm_bindgen,
    wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
    js_sys = ::worker::js_sys
)]
impl Subject {
    /// Runs one [`Command`] (JSON) and answers `{"ok": …}` or `{"err": …}` (JSON).
    pub async fn command(
        &self,
        command: String,
    ) -> std::result::Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
        let result = match (&self.broken, serde_json::from_str::<Command>(&command)) {
            (Some(e), _) => Err(ApiError::internal(format!("schema: {e}"))),
            (None, Ok(command)) => self.dispatch(command).await,
            (None, Err(e)) => Err(ApiError::internal(format!("unreadable command: {e}"))),
        };
        Ok(rpc::answer(result))
    }
}

impl Subject {
    fn store(&self) -> Store<'_> {
        Store(&self.sql)
    }

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
            Command::Cta {
                project,
                user,
                account,
                award_id,
                click,
            } => {
                self.handle_seen(OutboxItem::Cta {
                    project,
                    id: award_id,
                    user,
                    account,
                    click,
                    at: now().to_string(),
                })
                .await
            }
            Command::Erase => self.handle_erase().await,
            Command::Push {
                project,
                definitions_version,
                awards,
            } => {
                let defs = project::definitions(&self.env, &project, definitions_version).await?;
                stream::push(&self.storage, &defs, &awards);
                json(&true)
            }
            Command::Forget { target, member } => self.handle_forget(&target, &member).await,
            Command::Award { target, milestone } => self.handle_award(&target, &milestone).await,
            Command::Identify { target, traits } => self.handle_identify(&target, &traits).await,
        }
    }

    async fn handle_events(&self, target: &Target, events: &[SubjectEvent]) -> ApiResult<String> {
        let defs = self.definitions(target).await?;
        // From here to the alarm: synchronous.
        let subject = target.subject();
        let now = now();
        let now_ms = now.as_millisecond();
        let store = self.store();
        let mut state = self.load()?;
        let before = state.clone();
        let mut fresh = Vec::new();
        let mut imported_keys: Vec<&str> = Vec::new();
        let mut results = Vec::with_capacity(events.len());
        let mut applied_steps = Vec::new();
        let mut steps = Vec::new();
        let mut returned = Vec::new();
        let mut reached = Vec::new();
        // The account each new award's event named (its ledger row shows it).
        let mut award_accounts: Vec<(String, String)> = Vec::new();
        for (index, e) in events.iter().enumerate() {
            // History is imported in bulk: its keys are remembered for good (the engine's
            // window holds only the latest keys), so a resumed import never counts twice.
            let import_key = e.idempotency_key.as_deref().filter(|_| e.backfill);
            let seen_before = match import_key {
                Some(key) => imported_keys.contains(&key) || store.was_imported(key)?,
                None => false,
            };
            // An account applies a member's step once, however often it is sent.
            let step_done = match (&e.member, &e.step) {
                (Some(member), Some(step)) => {
                    applied_steps.iter().any(|s| s == step) || store.step_applied(member, step)?
                }
                _ => false,
            };
            if seen_before || step_done {
                results.push(SubjectResult::Applied {
                    duplicate: true,
                    total: state.total(&e.metric),
                    awards: Vec::new(),
                });
                continue;
            }
            let event = Event {
                value: e.value,
                idempotency_key: e.idempotency_key.as_deref(),
                member: e.member.as_deref(),
                traits: e.traits.as_ref(),
                backfill: e.backfill,
                ..Event::new(&e.metric, e.timestamp.unwrap_or(now))
            };
            let result = match state.apply(&defs, subject, &event, now) {
                Ok(out) => {
                    if !out.duplicate {
                        fresh.extend(out.awards.iter().cloned());
                        returned.extend(out.returned.iter().cloned());
                        reached.extend(out.reached.iter().cloned());
                        if let Some(account) = &e.account {
                            award_accounts
                                .extend(out.awards.iter().map(|a| (a.id.clone(), account.clone())));
                        }
                        if let Some(account) = &e.account {
                            steps.push((index, account.clone(), account_event(&target.id, e)));
                        }
                    }
                    imported_keys.extend(import_key);
                    SubjectResult::applied(&defs, &out, out.total, &target.locale)
                }
                Err(error) => SubjectResult::Rejected(ApiError::from(&error)),
            };
            if let (Some(member), Some(step)) = (&e.member, &e.step) {
                store.put_applied_step(member, step, now_ms)?;
                applied_steps.push(step.clone());
            }
            results.push(result);
        }
        // Who this object is, before what it saves names its definitions.
        self.remember(target)?;
        if state != before {
            self.save_with(&state, &defs, subject, &fresh, &award_accounts, now)?;
            // Each return is told once: it is in the outbox with the state that marks it.
            let outbox = Outbox(&self.sql);
            let made = now.to_string();
            for r in &returned {
                outbox.push(&OutboxItem::Returned {
                    project: target.project.clone(),
                    id: r.award_id.clone(),
                    subject: match target.scope {
                        Scope::User => format!("user:{}", target.id),
                        Scope::Account => format!("account:{}", target.id),
                    },
                    bit: r.bit,
                    at: made.clone(),
                })?;
            }
            // Each crossing of the ladder-tuning grid is told once, with the totals that made it.
            let cells = crate::ladder::cells(&reached);
            if target.scope == Scope::User && !cells.is_empty() {
                outbox.push(&OutboxItem::Reached {
                    project: target.project.clone(),
                    user: target.id.clone(),
                    cells,
                    at: made,
                })?;
            }
        }
        for key in &imported_keys {
            store.put_imported(key)?;
        }
        let mut answer_steps = Vec::with_capacity(steps.len());
        for (index, account, mut event) in steps {
            store.put_account(&account)?;
            let id = store.put_step(&account, &event, now_ms)?;
            event.step = Some(id);
            answer_steps.push(Step {
                index,
                account,
                event,
            });
        }
        self.arm(&defs, &state, now).await?;
        // Everything above is committed; what follows only tells others.
        stream::push(&self.storage, &defs, &fresh);
        if target.scope == Scope::Account && now_ms - self.pruned_at.get() > 3_600_000 {
            self.pruned_at.set(now_ms);
            store.prune_applied_steps(now_ms - APPLIED_STEPS_KEPT_MS)?;
        }
        json(&EventsAnswer {
            results,
            steps: answer_steps,
        })
    }

    async fn handle_award(&self, target: &Target, milestone: &str) -> ApiResult<String> {
        let defs = self.definitions(target).await?;
        let subject = target.subject();
        let now = now();
        let mut state = self.load()?;
        self.remember(target)?;
        let (result, fresh) = match state.award_custom(&defs, subject, milestone, now, true) {
            Ok(out) => {
                let fresh = if out.duplicate {
                    Vec::new()
                } else {
                    out.awards.clone()
                };
                if !fresh.is_empty() {
                    self.save(&state, &defs, subject, &fresh, now)?;
                }
                (
                    SubjectResult::applied(&defs, &out, 0, &target.locale),
                    fresh,
                )
            }
            Err(e) => (SubjectResult::Rejected(ApiError::from(&e)), Vec::new()),
        };
        self.arm(&defs, &state, now).await?;
        stream::push(&self.storage, &defs, &fresh);
        json(&result)
    }

    async fn handle_identify(
        &self,
        target: &Target,
        traits: &cairn_core::engine::Traits,
    ) -> ApiResult<String> {
        let defs = self.definitions(target).await?;
        let subject = target.subject();
        let now = now();
        let mut state = self.load()?;
        let before = state.clone();
        let out = state
            .identify(&defs, subject, traits, now)
            .map_err(|e| ApiError::from(&e))?;
        self.remember(target)?;
        if state != before {
            self.save(&state, &defs, subject, &out.awards, now)?;
        }
        self.arm(&defs, &state, now).await?;
        stream::push(&self.storage, &defs, &out.awards);
        json(&out.awards.len())
    }

    async fn handle_alarm(&self) -> ApiResult<()> {
        let now = now();
        let handed = self.flush_outbox().await;
        let Some(target) = self.stored_target()? else {
            return self.arm_without_rules(now, handed).await;
        };
        let defs = self.definitions(&target).await?;
        // An account owes its members pushes; a user owes its accounts steps.
        let handed = handed
            && match self.scope {
                Scope::Account => self.fan_out(&target).await,
                Scope::User => self.confirm_steps(&target, now).await?,
            };
        self.backoff_until
            .set((!handed).then_some(now.as_millisecond() + RETRY_MS));
        let subject = target.subject();
        let mut state = self.load()?;
        let before = state.clone();
        let outcome = state.tick(&defs, subject, now);
        let stalls = state.due_stalls(&defs, subject, now);
        if state != before {
            self.save(&state, &defs, subject, &outcome.awards, now)?;
            // Each stall is told once: it is in the outbox with the state that marks it.
            let outbox = Outbox(&self.sql);
            for stall in &stalls {
                outbox.push(&OutboxItem::Stall(Box::new(ledger::StallItem::new(
                    &defs,
                    subject,
                    stall,
                    target.definitions_version,
                ))))?;
            }
        }
        self.arm(&defs, &state, now).await?;
        stream::push(&self.storage, &defs, &outcome.awards);
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
        self.store().put_target(target)?;
        *self.target.borrow_mut() = Some(target.clone());
        Ok(())
    }

    fn stored_target(&self) -> ApiResult<Option<Target>> {
        if let Some(t) = self.target.borrow().clone() {
            return Ok(Some(t));
        }
        let target = self.store().target()?;
        self.target.borrow_mut().clone_from(&target);
        Ok(target)
    }

    fn handle_stream(&self, req: &Request) -> ApiResult<Response> {
        let target = req.headers().get("x-cairn-target")?.unwrap_or_default();
        let target: Target = serde_json::from_str(&target)?;
        self.remember(&target)?;
        stream::accept(&self.storage, &target.locale)
    }

    async fn handle_me(&self, target: &Target, account: Option<AccountView>) -> ApiResult<String> {
        let defs = self.definitions(target).await?;
        let subject = target.subject();
        let state = self.load()?;
        let mut me = cairn_core::wire::me_view(&defs, subject, &state, now(), &target.locale);
        let seen = self.store().seen_ids()?;
        me.account = account;
        let account_awards = me.account.iter_mut().flat_map(|a| a.awards.iter_mut());
        for award in me.awards.iter_mut().chain(account_awards) {
            award.seen = seen.contains(&award.id);
        }
        json(&me)
    }

    async fn handle_account(&self, target: &Target) -> ApiResult<String> {
        let defs = self.definitions(target).await?;
        let state = self.load()?;
        json(&cairn_core::wire::account_view(
            &defs,
            target.subject(),
            &state,
            now(),
            &target.locale,
        ))
    }

    /// Records an acknowledgement here (it drives `seen` in /me) and, through the outbox, in
    /// the ledger's `seen_at`.
    /// A call to action shown or clicked goes the same way, to the ledger only.
    async fn handle_seen(&self, item: OutboxItem) -> ApiResult<String> {
        match &item {
            OutboxItem::Seen { id, at, .. } => self.store().put_seen(id, at)?,
            OutboxItem::Cta { .. } => {}
            _ => return Err(ApiError::internal("not an acknowledgement")),
        }
        Outbox(&self.sql).push(&item)?;
        let now = now();
        // The hand-over is due now; an alarm set for later is brought forward.
        let handover = self.handover_at(now);
        let due = self.scheduled.get().map_or(handover, |s| s.min(handover));
        self.set_alarm_at(Some(due), now).await?;
        json(&true)
    }

    /// Erases this subject: state, outbox, acknowledgements, steps, alarm. Answers the accounts
    /// the user counted for, so that they can forget the member.
    async fn handle_erase(&self) -> ApiResult<String> {
        let accounts = self.store().accounts()?;
        self.storage.storage().delete_alarm().await?;
        self.storage.storage().delete_all().await?;
        *self.state.borrow_mut() = None;
        *self.target.borrow_mut() = None;
        self.scheduled.set(None);
        self.backoff_until.set(None);
        // A new life starts with the schema (and a new step epoch).
        objects::migrate(&self.sql, store::migrations(self.scope))?;
        json(&accounts)
    }

    async fn handle_forget(&self, target: &Target, member: &str) -> ApiResult<String> {
        let defs = self.definitions(target).await?;
        let mut state = self.load()?;
        if state.forget_member(member) {
            self.save(&state, &defs, target.subject(), &[], now())?;
        }
        json(&true)
    }

    /// The target's definitions, compiled (cached per isolate).
    async fn definitions(&self, target: &Target) -> ApiResult<std::rc::Rc<Compiled>> {
        project::definitions(&self.env, &target.project, target.definitions_version).await
    }

    /// Writes the state and what its new awards owe others (ledger rows; for an account, the
    /// pushes to its members), in one synchronous step.
    fn save(
        &self,
        state: &SubjectState,
        defs: &Compiled,
        subject: SubjectRef<'_>,
        awards: &[Award],
        now: Timestamp,
    ) -> ApiResult<()> {
        self.save_with(state, defs, subject, awards, &[], now)
    }

    /// [`Self::save`], with the account each award's event named (`(award id, account)`).
    fn save_with(
        &self,
        state: &SubjectState,
        defs: &Compiled,
        subject: SubjectRef<'_>,
        awards: &[Award],
        accounts: &[(String, String)],
        now: Timestamp,
    ) -> ApiResult<()> {
        let store = self.store();
        store.put_state(&serde_json::to_string(state)?)?;
        let outbox = Outbox(&self.sql);
        let made = now.to_string();
        let version = self
            .target
            .borrow()
            .as_ref()
            .map_or(0, |t| t.definitions_version);
        for award in awards {
            let mut item =
                ledger::AwardItem::new(defs, subject, award, &made, version, &state.totals);
            item.started_at = state.started_at.map(|t| t.to_string());
            if let Some((_, account)) = accounts.iter().find(|(id, _)| *id == award.id) {
                item.row.account_id = Some(account.clone());
            }
            outbox.push(&OutboxItem::Award(Box::new(item)))?;
            if subject.scope == Scope::Account {
                store.put_fanout(award)?;
            }
        }
        *self.state.borrow_mut() = Some(state.clone());
        Ok(())
    }

    fn load(&self) -> ApiResult<SubjectState> {
        if let Some(state) = self.state.borrow().as_ref() {
            return Ok(state.clone());
        }
        let state = match self.store().state()? {
            Some(json) => serde_json::from_str(&json)?,
            None => SubjectState::default(),
        };
        *self.state.borrow_mut() = Some(state.clone());
        Ok(state)
    }
}

/// The account's side of user `member`'s event `e`.
fn account_event(member: &str, e: &SubjectEvent) -> SubjectEvent {
    SubjectEvent {
        member: Some(member.to_owned()),
        account: None,
        // The step id makes it exactly-once; members' own keys could collide with each other.
        idempotency_key: None,
        // Traits describe the user; an account's own traits come from its own calls.
        traits: None,
        step: None,
        ..e.clone()
    }
}

/// The current instant from the platform clock (the engine never reads one).
pub fn now() -> Timestamp {
    Timestamp::from_millisecond(worker::Date::now().as_millis() as i64)
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

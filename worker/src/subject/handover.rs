//! Handing on what an object owes others, and its alarm: ledger items to the project's
//! writer, an account's awards to its members' streams, a user's account steps to the
//! account. Each waits in the object's storage until the next holder has it, and the alarm is
//! armed in the same step that stored it.

use std::collections::BTreeMap;

use cairn_core::Compiled;
use cairn_core::SubjectState;
use cairn_core::definitions::Scope;
use futures_util::StreamExt;
use jiff::Timestamp;

use super::{
    Command, EventsAnswer, MAX_FAN_OUT, MAX_FAN_OUT_IN_FLIGHT, RETRY_MS, STEP_CONFIRM_MS, Subject,
    SubjectEvent, Target, send,
};
use crate::error::ApiResult;
use crate::ledger::{Outbox, OutboxItem};
use crate::{objects, writer};

impl Subject {
    /// With no subject known yet (e.g. only acknowledgements): an alarm for the outbox only.
    pub(super) async fn arm_without_rules(&self, now: Timestamp, handed: bool) -> ApiResult<()> {
        self.backoff_until
            .set((!handed).then_some(now.as_millisecond() + RETRY_MS));
        let due = self
            .store()
            .has_handover(self.scope)?
            .then(|| self.handover_at(now));
        self.set_alarm_at(due, now).await
    }

    /// Hands the outbox to the project's ledger writer and removes what it took; whether all
    /// went well.
    pub(super) async fn flush_outbox(&self) -> bool {
        let outbox = Outbox(&self.sql);
        let items = match outbox.all() {
            Ok(items) if items.is_empty() => return true,
            Ok(items) => items,
            Err(e) => {
                worker::console_error!("outbox unreadable: {e}");
                return false;
            }
        };
        let handed = writer::append(&self.env, &items).await.and_then(|()| {
            let keys: Vec<String> = items.iter().map(OutboxItem::key).collect();
            outbox.remove(&keys)
        });
        if let Err(e) = &handed {
            worker::console_error!("ledger hand-over failed, retrying by alarm: {e}");
        }
        handed.is_ok()
    }

    /// An account pushes its pending awards to its members' streams (best effort: a member
    /// who misses one still sees it in /me). Whether all went well.
    pub(super) async fn fan_out(&self, target: &Target) -> bool {
        let store = self.store();
        let awards = match store.fanout() {
            Ok(awards) if awards.is_empty() => return true,
            Ok(awards) => awards,
            Err(e) => {
                worker::console_error!("fan-out unreadable: {e}");
                return false;
            }
        };
        let members: Vec<String> = self
            .load()
            .map(|s| s.members.iter().take(MAX_FAN_OUT).cloned().collect())
            .unwrap_or_default();
        let command = Command::Push {
            project: target.project.clone(),
            definitions_version: target.definitions_version,
            awards: awards.clone(),
        };
        let sends = members.iter().map(|member| {
            let name = objects::user(&target.project, member);
            let command = &command;
            async move {
                if let Err(e) = send::<bool>(&self.env, &name, command).await {
                    worker::console_error!("push to {name} failed: {e}");
                }
            }
        });
        futures_util::stream::iter(sends)
            .buffer_unordered(MAX_FAN_OUT_IN_FLIGHT)
            .collect::<Vec<()>>()
            .await;
        let ids: Vec<String> = awards.into_iter().map(|a| a.id).collect();
        store.remove_fanout(&ids).is_ok()
    }

    /// A user re-sends its unconfirmed account steps (older than [`STEP_CONFIRM_MS`]) and
    /// removes those the account took. Whether all went well.
    pub(super) async fn confirm_steps(&self, target: &Target, now: Timestamp) -> ApiResult<bool> {
        let store = self.store();
        let pending = store.steps(now.as_millisecond() - STEP_CONFIRM_MS)?;
        if pending.is_empty() {
            return Ok(true);
        }
        let mut by_account: BTreeMap<String, (Vec<i64>, Vec<SubjectEvent>)> = BTreeMap::new();
        for (seq, account, event) in pending {
            let entry = by_account.entry(account).or_default();
            entry.0.push(seq);
            entry.1.push(event);
        }
        let mut all = true;
        for (account, (seqs, events)) in by_account {
            let account_target = target.other(Scope::Account, &account);
            let command = Command::Events {
                target: account_target.clone(),
                events,
            };
            match send::<EventsAnswer>(&self.env, &account_target.object(), &command).await {
                Ok(_) => store.remove_steps(&seqs)?,
                Err(e) => {
                    worker::console_error!("account step to {account} failed, retrying: {e}");
                    all = false;
                }
            }
        }
        Ok(all)
    }

    /// When pending hand-overs should be tried: now, or after the back-off.
    pub(super) fn handover_at(&self, now: Timestamp) -> i64 {
        let now_ms = now.as_millisecond();
        self.backoff_until.get().map_or(now_ms, |b| b.max(now_ms))
    }

    /// Sets the alarm to the earliest of: pending hand-overs, unconfirmed steps, and the
    /// engine's next due instant. Called right after a write, before any other `await`, so the
    /// alarm is armed in the same step as what it is for.
    pub(super) async fn arm(
        &self,
        defs: &Compiled,
        state: &SubjectState,
        now: Timestamp,
    ) -> ApiResult<()> {
        let target = self.target.borrow().clone();
        let engine = target
            .as_ref()
            .and_then(|t| state.next_due(defs, t.subject(), now))
            .map(|t| t.as_millisecond());
        let store = self.store();
        let handover = store
            .has_handover(self.scope)?
            .then(|| self.handover_at(now));
        let steps = store
            .oldest_step(self.scope)?
            .map(|made| (made + STEP_CONFIRM_MS).max(self.handover_at(now)));
        let due = [engine, handover, steps].into_iter().flatten().min();
        self.set_alarm_at(due, now).await
    }

    pub(super) async fn set_alarm_at(&self, due: Option<i64>, now: Timestamp) -> ApiResult<()> {
        if self.scheduled.get() == due {
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
        self.scheduled.set(due);
        Ok(())
    }
}

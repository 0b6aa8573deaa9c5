//! What the worker says to a subject's object, and what it answers. Internal: none of it
//! crosses the public API (that is `cairn_core::wire`).

use cairn_core::Compiled;
use cairn_core::Subject as SubjectRef;
use cairn_core::definitions::Scope;
use cairn_core::engine::{Award, Traits};
use cairn_core::wire::{AccountView, AwardView};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use worker::Env;

use crate::error::{ApiError, ApiResult};
use crate::{objects, rpc};

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
    /// Subject `id` of `project` under its current definitions, answering in `locale`.
    pub fn of(project: &crate::project::Project, scope: Scope, id: &str, locale: &str) -> Self {
        Self {
            project: project.id.clone(),
            definitions_version: project.definitions_version,
            scope,
            id: id.to_owned(),
            locale: locale.to_owned(),
        }
    }

    /// The engine's view of this subject.
    pub fn subject(&self) -> SubjectRef<'_> {
        SubjectRef {
            project: &self.project,
            scope: self.scope,
            id: &self.id,
        }
    }

    /// The same project and definitions, another subject.
    pub fn other(&self, scope: Scope, id: &str) -> Self {
        Self {
            scope,
            id: id.to_owned(),
            ..self.clone()
        }
    }

    /// The name of this subject's object.
    pub fn object(&self) -> String {
        objects::subject(&self.project, self.scope, &self.id)
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
    /// Update the subject's traits, counting nothing (a pipeline's `identify`).
    Identify { target: Target, traits: Traits },
    /// This user acknowledged an award (theirs or their account's).
    Seen {
        project: String,
        user: String,
        account: Option<String>,
        award_id: String,
    },
    /// This user was shown (or clicked) an award's call to action.
    Cta {
        project: String,
        user: String,
        account: Option<String>,
        award_id: String,
        click: bool,
    },
    /// Erase everything of this subject; answers the accounts the user was seen in.
    Erase,
    /// An account forgets an erased member.
    Forget { target: Target, member: String },
    /// Push awards (of this user's account) to this user's open streams, each socket in its
    /// own locale.
    Push {
        project: String,
        definitions_version: i64,
        awards: Vec<Award>,
    },
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
    /// For users: the account the event also counts for.
    #[serde(default)]
    pub account: Option<String>,
    pub traits: Option<Traits>,
    pub backfill: bool,
    /// For accounts: the member's step id, applied at most once.
    #[serde(default)]
    pub step: Option<String>,
}

/// What happened to one event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SubjectResult {
    Applied {
        duplicate: bool,
        total: u64,
        awards: Vec<AwardView>,
    },
    Rejected(ApiError),
}

impl SubjectResult {
    /// The result of an applied event (or custom award) `out`, titles in `locale`.
    pub(super) fn applied(
        defs: &Compiled,
        out: &cairn_core::Outcome,
        total: u64,
        locale: &str,
    ) -> Self {
        Self::Applied {
            duplicate: out.duplicate,
            total,
            awards: out
                .awards
                .iter()
                .map(|a| cairn_core::wire::award_view(defs, a, locale))
                .collect(),
        }
    }
}

/// The account part of a user's event: recorded by the user in the same step as the event,
/// applied by the account (which remembers `id`), removed by the user once the account
/// confirmed it. The worker applies it at once; the user's alarm re-sends what is unconfirmed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// Which of the command's events it belongs to.
    pub index: usize,
    pub account: String,
    /// The account's event (with `member` and `step` set).
    pub event: SubjectEvent,
}

/// The answer to [`Command::Events`].
#[derive(Debug, Serialize, Deserialize)]
pub struct EventsAnswer {
    pub results: Vec<SubjectResult>,
    /// The new account steps, for the worker to apply at once.
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// Sends `command` to the Durable Object named `name` and returns its answer.
pub async fn send<T: serde::de::DeserializeOwned>(
    env: &Env,
    name: &str,
    command: &Command,
) -> ApiResult<T> {
    rpc::call(env, super::BINDING, name, command).await
}

//! `POST /v1/segment`: calls of the Segment spec (`track`, `identify`, `group`, one or a
//! `{"batch": [...]}`), so Segment, RudderStack, Jitsu or a PostHog destination can feed Cairn
//! with no code. Authenticated with the secret key (`Authorization: Bearer sk_…`, or Basic with
//! the key as user name, as those tools send a write key).
//!
//! - `track` counts for the metric `[intake.events]` maps its name to (or the metric of that
//!   very key), with the same validation, limits and exactness as `POST /v1/events`:
//!   `messageId` is the idempotency key, `timestamp` the event's time, the account is
//!   `context.groupId`, else `properties.groupId`, else the user's last `group` call.
//! - `identify` sets the user's sign-up instant (`traits.createdAt`) and time zone
//!   (`context.timezone`, or `traits.timezone`).
//! - `group` remembers the user's account and stores the account's traits (name, plan,
//!   createdAt as customer since, and its own sign-up instant for anniversaries).
//! - Other calls (`page`, `screen`, `alias`) and unmapped event names are `ignored`.

use std::collections::HashMap;

use cairn_core::definitions::Scope;
use cairn_core::engine::Traits;
use cairn_core::wire::{AccountTraits, EventResult, EventStatus, MAX_BATCH, ServerEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{Request, Response};

use super::{Ctx, check_id, locale, read_body};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::project::DB;
use crate::subject::{self, Command, Target};
use crate::{accounts, auth};

/// One call of the spec (the fields Cairn reads; the rest is ignored, as the spec allows).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Call {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    user_id: Option<Value>,
    #[serde(default)]
    group_id: Option<Value>,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    properties: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    traits: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    context: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    message_id: Option<String>,
}

/// What happened to one call.
#[derive(Debug, Serialize)]
struct CallResult {
    #[serde(rename = "type")]
    kind: String,
    /// `accepted`, `duplicate`, `ignored` or `rejected`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<EventResult>,
}

#[derive(Debug, Serialize)]
struct Answer {
    results: Vec<CallResult>,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn instant(v: Option<&Value>) -> Option<jiff::Timestamp> {
    v.and_then(Value::as_str).and_then(|s| s.parse().ok())
}

/// `POST /v1/segment`.
pub async fn intake(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let project = auth::server(&req, ctx).await?;
    let body = read_body(&mut req).await?;
    let value: Value = super::parse_json(&body)?;
    let (items, batch) = match value {
        Value::Object(mut map) if map.contains_key("batch") => match map.remove("batch") {
            Some(Value::Array(items)) => (items, true),
            _ => {
                return Err(ApiError::bad(
                    ErrorCode::InvalidBody,
                    "batch must be an array",
                    Some("batch"),
                ));
            }
        },
        object @ Value::Object(_) => (vec![object], false),
        _ => {
            return Err(ApiError::bad(
                ErrorCode::InvalidBody,
                "the body is one call object or {\"batch\": [...]}",
                None,
            ));
        }
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ApiError::bad(
            ErrorCode::BatchTooLarge,
            format!("a batch holds 1 to {MAX_BATCH} calls"),
            Some("batch"),
        ));
    }
    let defs = project.definitions(ctx.env).await?;
    let locale = locale(&req)?;
    let path = |i: usize, f: &str| {
        if batch {
            format!("batch[{i}].{f}")
        } else {
            f.to_owned()
        }
    };
    let mut results: Vec<Option<CallResult>> = (0..items.len()).map(|_| None).collect();
    let mut calls = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        match serde_json::from_value::<Call>(item) {
            Ok(call) => calls.push((i, call)),
            Err(e) => {
                let error = ApiError::bad(
                    ErrorCode::InvalidEvent,
                    e.to_string(),
                    Some(&path(i, "type")),
                );
                if !batch {
                    return Err(error);
                }
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(rejected("unknown", &error));
                }
            }
        }
    }
    // Accounts of users that have none in the call, from earlier `group` calls.
    let mut groups = memberships(ctx, &project.id, &calls).await?;
    let mut tracks: Vec<(usize, ServerEvent)> = Vec::new();
    for (i, call) in &calls {
        let user = call.user_id.as_ref().and_then(text);
        let outcome: ApiResult<Option<CallResult>> = match (call.kind.as_str(), user) {
            (kind @ ("track" | "identify" | "group"), None) => Err(ApiError::bad(
                ErrorCode::InvalidUserId,
                format!("a {kind} call needs a userId (anonymous calls are not counted)"),
                Some(&path(*i, "userId")),
            )),
            ("track", Some(user)) => match track(call, &user, &defs, &groups, &|f| path(*i, f)) {
                Ok(Some(event)) => {
                    tracks.push((*i, event));
                    Ok(None)
                }
                Ok(None) => Ok(Some(ignored(
                    "track",
                    "no metric counts this event name ([intake.events] in cairn.toml)",
                ))),
                Err(e) => Err(e),
            },
            ("identify", Some(user)) => {
                identify(ctx, &project, &locale, call, &user, &|f| path(*i, f))
                    .await
                    .map(|()| Some(accepted("identify")))
            }
            ("group", Some(user)) => {
                match group(ctx, &project, &locale, call, &user, &|f| path(*i, f)).await {
                    // Later tracks of this batch count for it too.
                    Ok(account) => {
                        groups.insert(user, account);
                        Ok(Some(accepted("group")))
                    }
                    Err(e) => Err(e),
                }
            }
            (other, _) => Ok(Some(ignored(
                other,
                "Cairn counts track, identify and group calls",
            ))),
        };
        match outcome {
            Ok(Some(r)) => {
                if let Some(slot) = results.get_mut(*i) {
                    *slot = Some(r);
                }
            }
            Ok(None) => {}
            Err(e) if !batch => return Err(e),
            Err(e) => {
                if let Some(slot) = results.get_mut(*i) {
                    *slot = Some(rejected(&call.kind, &e));
                }
            }
        }
    }
    for (i, outcome) in super::events::ingest(ctx, &project, &locale, tracks, false).await {
        let r = match outcome {
            Ok(result) => CallResult {
                kind: "track".into(),
                status: if result.status == EventStatus::Duplicate {
                    "duplicate"
                } else {
                    "accepted"
                },
                reason: None,
                result: Some(result),
            },
            Err(e) if !batch => return Err(e),
            Err(e) => rejected("track", &e),
        };
        if let Some(slot) = results.get_mut(i) {
            *slot = Some(r);
        }
    }
    let results = results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| rejected("unknown", &ApiError::internal("a call got no result")))
        })
        .collect();
    Ok(Response::from_json(&Answer { results })?)
}

fn accepted(kind: &str) -> CallResult {
    CallResult {
        kind: kind.into(),
        status: "accepted",
        reason: None,
        result: None,
    }
}

fn ignored(kind: &str, reason: &str) -> CallResult {
    CallResult {
        kind: kind.into(),
        status: "ignored",
        reason: Some(reason.into()),
        result: None,
    }
}

fn rejected(kind: &str, e: &ApiError) -> CallResult {
    CallResult {
        kind: kind.into(),
        status: "rejected",
        reason: Some(e.message.clone()),
        result: Some(super::events::rejected(e)),
    }
}

/// The user → account map of earlier `group` calls, for the users of `calls`.
async fn memberships(
    ctx: &Ctx<'_>,
    project: &str,
    calls: &[(usize, Call)],
) -> ApiResult<HashMap<String, String>> {
    #[derive(Deserialize)]
    struct Row {
        user_id: String,
        account_id: String,
    }
    let users: Vec<String> = calls
        .iter()
        .filter(|(_, c)| c.kind == "track")
        .filter_map(|(_, c)| c.user_id.as_ref().and_then(text))
        .collect();
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Row> = ctx
        .env
        .d1(DB)?
        .prepare(
            "SELECT user_id, account_id FROM memberships WHERE project_id = ?1 \
             AND user_id IN (SELECT value FROM json_each(?2))",
        )
        .bind(&[project.into(), serde_json::to_string(&users)?.into()])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|r| (r.user_id, r.account_id))
        .collect())
}

/// A `track` call as an event, or `None` when no metric counts its name.
fn track(
    call: &Call,
    user: &str,
    defs: &cairn_core::Compiled,
    groups: &HashMap<String, String>,
    path: &dyn Fn(&str) -> String,
) -> ApiResult<Option<ServerEvent>> {
    let Some(name) = call.event.as_deref() else {
        return Err(ApiError::bad(
            ErrorCode::InvalidEvent,
            "a track call needs an event name",
            Some(&path("event")),
        ));
    };
    let Some((metric, value_property)) = defs.intake(name) else {
        return Ok(None);
    };
    let value = match value_property {
        None => None,
        Some(property) => {
            let v = call.properties.as_ref().and_then(|p| p.get(property));
            let amount = v
                .and_then(Value::as_f64)
                .filter(|a| *a >= 0.0 && a.fract() == 0.0);
            match (v, amount) {
                (None, _) => None,
                (Some(_), Some(a)) => Some(a as u64),
                (Some(_), None) => {
                    return Err(ApiError::bad(
                        ErrorCode::InvalidValue,
                        format!("properties.{property} must be a whole number of at least 0"),
                        Some(&path(&format!("properties.{property}"))),
                    ));
                }
            }
        }
    };
    let from_context = call
        .context
        .as_ref()
        .and_then(|c| c.get("groupId"))
        .and_then(text);
    let from_properties = call
        .properties
        .as_ref()
        .and_then(|p| p.get("groupId"))
        .and_then(text);
    let account = from_context
        .or(from_properties)
        .or_else(|| groups.get(user).cloned());
    let timestamp = match &call.timestamp {
        None => None,
        Some(t) => Some(t.parse::<jiff::Timestamp>().map_err(|_| {
            ApiError::bad(
                ErrorCode::InvalidEvent,
                "timestamp must be ISO 8601 with a UTC offset",
                Some(&path("timestamp")),
            )
        })?),
    };
    let event = ServerEvent {
        user_id: user.to_owned(),
        event: metric.to_owned(),
        value,
        timestamp,
        idempotency_key: call.message_id.clone(),
        account_id: account,
        user: None,
    };
    super::events::validate(&event, defs, path)?;
    Ok(Some(event))
}

/// The traits Cairn reads from a call: `createdAt` (or `created_at`) and the time zone.
fn traits_of(call: &Call) -> Traits {
    let traits = call.traits.as_ref();
    let created_at =
        instant(traits.and_then(|t| t.get("createdAt").or_else(|| t.get("created_at"))));
    let tz = call
        .context
        .as_ref()
        .and_then(|c| c.get("timezone"))
        .or_else(|| traits.and_then(|t| t.get("timezone")))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Traits { created_at, tz }
}

async fn identify(
    ctx: &Ctx<'_>,
    project: &crate::project::Project,
    locale: &str,
    call: &Call,
    user: &str,
    path: &dyn Fn(&str) -> String,
) -> ApiResult<()> {
    check_id(user, ErrorCode::InvalidUserId, "userId").map_err(|e| e.at(path("userId")))?;
    // How to reach the user.
    let t = call.traits.clone().unwrap_or_default();
    let s = |k: &str| t.get(k).and_then(text);
    let contact = cairn_core::wire::UserTraits {
        email: s("email"),
        name: s("name"),
        locale: s("locale"),
        email_opt_out: t
            .get("email_opt_out")
            .or_else(|| t.get("unsubscribed"))
            .and_then(Value::as_bool),
        ..Default::default()
    };
    crate::people::remember(ctx.env, &project.id, &[(user, &contact)]).await?;
    let traits = traits_of(call);
    let target = Target::of(project, Scope::User, user, locale);
    let command = Command::Identify {
        target: target.clone(),
        traits,
    };
    let _: usize = subject::send(ctx.env, &target.object(), &command)
        .await
        .map_err(|e| e.at(path("traits")))?;
    Ok(())
}

async fn group(
    ctx: &Ctx<'_>,
    project: &crate::project::Project,
    locale: &str,
    call: &Call,
    user: &str,
    path: &dyn Fn(&str) -> String,
) -> ApiResult<String> {
    check_id(user, ErrorCode::InvalidUserId, "userId").map_err(|e| e.at(path("userId")))?;
    let Some(account) = call.group_id.as_ref().and_then(text) else {
        return Err(ApiError::bad(
            ErrorCode::InvalidAccountId,
            "a group call needs a groupId",
            Some(&path("groupId")),
        ));
    };
    check_id(&account, ErrorCode::InvalidAccountId, "groupId")
        .map_err(|e| e.at(path("groupId")))?;
    // The account's traits: what the call says over what was known.
    let mut merged = accounts::traits(ctx.env, &project.id, &account)
        .await?
        .unwrap_or_default();
    let t = call.traits.clone().unwrap_or_default();
    let s = |k: &str| t.get(k).and_then(text);
    merged = AccountTraits {
        name: s("name").or(merged.name),
        plan: s("plan").or(merged.plan),
        customer_since: s("createdAt")
            .or_else(|| s("created_at"))
            .or(merged.customer_since),
        ..merged
    };
    accounts::put(ctx.env, &project.id, &account, merged)
        .await
        .map_err(|e| e.at(path("traits")))?;
    ctx.env
        .d1(DB)?
        .prepare(
            "INSERT INTO memberships (project_id, user_id, account_id, updated_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (project_id, user_id) DO UPDATE SET account_id = excluded.account_id, updated_at = excluded.updated_at",
        )
        .bind(&[
            project.id.as_str().into(),
            user.into(),
            account.as_str().into(),
            subject::now().to_string().into(),
        ])?
        .run()
        .await?;
    // The account's own sign-up instant drives its anniversaries.
    let traits = traits_of(call);
    if traits.created_at.is_some() || traits.tz.is_some() {
        let target = Target::of(project, Scope::Account, &account, locale);
        let command = Command::Identify {
            target: target.clone(),
            traits,
        };
        let _: usize = subject::send(ctx.env, &target.object(), &command)
            .await
            .map_err(|e| e.at(path("traits")))?;
    }
    Ok(account)
}

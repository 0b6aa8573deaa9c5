//! Ingest: `POST /v1/events`, `POST /v1/import` (secret key) and `POST /v1/client/events`
//! (publishable key + user token).
//!
//! A request that is malformed as a whole — including a single event that is not acceptable —
//! gets a 4xx with the one error shape; `rejected` results are only for bad events inside a
//! well-formed batch.

use std::collections::HashMap;

use cairn_core::Compiled;
use cairn_core::definitions::{Scope, is_valid_key};
use cairn_core::engine::Traits;
use cairn_core::wire::{
    ClientEvent, EventResult, EventStatus, EventsResponse, MAX_BATCH, ServerEvent, TrackResponse,
};
use futures_util::StreamExt;
use futures_util::stream;
use worker::{Request, Response};

use super::{Ctx, MAX_IN_FLIGHT, check_id, locale, read_body};
use crate::auth;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::project::Project;
use crate::subject::{self, Command, EventsAnswer, Step, SubjectEvent, SubjectResult, Target};

/// `POST /v1/events` (secret key): one event, or `{"events": [...]}` of up to 1,000.
/// `POST /v1/import` takes the same body as history: awards are recorded, never celebrated.
pub async fn server_events(mut req: Request, ctx: &Ctx<'_>, backfill: bool) -> ApiResult<Response> {
    let project = auth::server(&req, ctx).await?;
    let body = read_body(&mut req).await?;
    let value: serde_json::Value = super::parse_json(&body)?;
    let (items, batch) = split_batch(value)?;
    let defs = project.definitions(ctx.env).await?;
    let locale = locale(&req)?;
    let mut outcomes: Vec<Option<ApiResult<EventResult>>> = vec![None; items.len()];
    let mut valid = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let path = |field: &str| match (batch, field) {
            (true, "") => format!("events[{i}]"),
            (true, f) => format!("events[{i}].{f}"),
            (false, f) => f.to_owned(),
        };
        let parsed = serde_json::from_value::<ServerEvent>(item)
            .map_err(|e| {
                let at = path("");
                ApiError::bad(
                    ErrorCode::InvalidEvent,
                    e.to_string(),
                    (!at.is_empty()).then_some(&*at),
                )
            })
            .and_then(|e| validate(&e, &defs, &path).map(|()| e));
        match parsed {
            Ok(event) => valid.push((i, event)),
            Err(e) if !batch => return Err(e),
            Err(e) => {
                if let Some(slot) = outcomes.get_mut(i) {
                    *slot = Some(Err(e));
                }
            }
        }
    }
    for (i, outcome) in ingest(ctx, &project, &locale, valid, backfill).await {
        if let Some(slot) = outcomes.get_mut(i) {
            *slot = Some(outcome);
        }
    }
    let mut results = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        match outcome.unwrap_or_else(|| Err(ApiError::internal("an event got no result"))) {
            Ok(result) => results.push(result),
            Err(e) if !batch => return Err(e),
            Err(e) => results.push(rejected(&e)),
        }
    }
    Ok(Response::from_json(&EventsResponse { results })?)
}

/// One event object, or `{"events": [...]}` with 1 to [`MAX_BATCH`] of them.
fn split_batch(value: serde_json::Value) -> ApiResult<(Vec<serde_json::Value>, bool)> {
    let invalid =
        |message: &str, path: Option<&str>| ApiError::bad(ErrorCode::InvalidBody, message, path);
    let (items, batch) = match value {
        serde_json::Value::Object(mut map) if map.contains_key("events") => {
            match map.remove("events") {
                Some(serde_json::Value::Array(items)) if map.is_empty() => (items, true),
                Some(serde_json::Value::Array(_)) => {
                    return Err(invalid("a batch has only the field \"events\"", None));
                }
                _ => return Err(invalid("events must be an array", Some("events"))),
            }
        }
        object @ serde_json::Value::Object(_) => (vec![object], false),
        _ => {
            return Err(invalid(
                "the body must be an event object or {\"events\": [...]}",
                None,
            ));
        }
    };
    if items.len() > MAX_BATCH {
        return Err(ApiError::bad(
            ErrorCode::BatchTooLarge,
            format!("a batch holds at most {MAX_BATCH} events"),
            Some("events"),
        ));
    }
    if items.is_empty() {
        return Err(invalid("the batch is empty", Some("events")));
    }
    Ok((items, batch))
}

/// `POST /v1/client/events` (publishable key + user token): one event of a browser metric.
pub async fn client_events(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let caller = auth::client(&req, ctx).await?;
    let event: ClientEvent = super::json_body(&mut req).await?;
    let defs = caller.project.definitions(ctx.env).await?;
    let metric = event.event.clone();
    let server_event = ServerEvent {
        user_id: caller.claims.sub.clone(),
        event: event.event,
        value: event.value,
        timestamp: event.timestamp,
        idempotency_key: event.idempotency_key,
        account_id: caller.claims.acct.clone(),
        user: caller.claims.traits.clone(),
    };
    validate(&server_event, &defs, &str::to_owned)?;
    if !defs.metric(&metric).is_some_and(|m| m.client) {
        return Err(ApiError::forbidden(format!(
            "metric \"{metric}\" may only be tracked with the secret key"
        )));
    }
    let result = ingest(
        ctx,
        &caller.project,
        &caller.locale,
        vec![(0, server_event)],
        false,
    )
    .await
    .into_iter()
    .next()
    .map_or_else(
        || Err(ApiError::internal("the event got no result")),
        |(_, r)| r,
    )?;
    Ok(Response::from_json(&TrackResponse {
        metric,
        total: result.total.unwrap_or_default(),
        duplicate: result.status == EventStatus::Duplicate,
        awards: result.awards,
    })?)
}

/// Applies validated events: one call per user Durable Object, then one per account Durable
/// Object for the account steps those made. Returns `(request index, outcome)` pairs.
///
/// A user's answer is durable: its account steps are stored with the user and re-sent by its
/// alarm until the account confirmed them, so an account that fails here only delays the team
/// total (the result says `account_pending`), it never loses or double-counts an event.
pub(super) async fn ingest(
    ctx: &Ctx<'_>,
    project: &Project,
    locale: &str,
    events: Vec<(usize, ServerEvent)>,
    backfill: bool,
) -> Vec<(usize, ApiResult<EventResult>)> {
    let env = ctx.env;
    // How to reach each user (the last traits of the request win), before counting: the
    // recap email of an award this request earns reads it.
    let mut contacts: Vec<(&str, &cairn_core::wire::UserTraits)> = Vec::new();
    for (_, e) in &events {
        if let Some(traits) = e.user.as_ref().filter(|t| crate::people::worth_keeping(t)) {
            contacts.retain(|(u, _)| *u != e.user_id);
            contacts.push((&e.user_id, traits));
        }
    }
    if let Err(e) = crate::people::remember(env, &project.id, &contacts).await {
        worker::console_error!("people: contact traits not stored: {e}");
    }
    let mut by_user: Vec<(String, Vec<(usize, ServerEvent)>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, e) in events {
        let slot = *index.entry(e.user_id.clone()).or_insert_with(|| {
            by_user.push((e.user_id.clone(), Vec::new()));
            by_user.len() - 1
        });
        if let Some((_, list)) = by_user.get_mut(slot) {
            list.push((i, e));
        }
    }
    let target = |scope, id: &str| Target::of(project, scope, id, locale);
    let calls = by_user.iter().map(|(user, events)| {
        let command = Command::Events {
            target: target(Scope::User, user),
            events: events
                .iter()
                .map(|(_, e)| subject_event(e, backfill))
                .collect(),
        };
        async move {
            subject::send::<EventsAnswer>(env, &project.user_object(user), &command).await
        }
    });
    let answers: Vec<_> = stream::iter(calls).buffered(MAX_IN_FLIGHT).collect().await;

    let mut out: Vec<(usize, ApiResult<EventResult>)> = Vec::new();
    let mut by_account: Vec<(String, Vec<(usize, SubjectEvent)>)> = Vec::new();
    let mut account_index: HashMap<String, usize> = HashMap::new();
    for ((_, events), answer) in by_user.iter().zip(answers) {
        let answer = answer.and_then(|a| {
            if a.results.len() == events.len() {
                Ok(a)
            } else {
                Err(ApiError::internal("a subject answered short"))
            }
        });
        let EventsAnswer { results, steps } = match answer {
            Ok(answer) => answer,
            Err(e) => {
                out.extend(events.iter().map(|(i, _)| (*i, Err(e.clone()))));
                continue;
            }
        };
        let first = out.len();
        for ((i, _), result) in events.iter().zip(results) {
            out.push((*i, to_result(result)));
        }
        for Step {
            index,
            account,
            event,
        } in steps
        {
            let slot = *account_index.entry(account.clone()).or_insert_with(|| {
                by_account.push((account.clone(), Vec::new()));
                by_account.len() - 1
            });
            if let Some((_, list)) = by_account.get_mut(slot) {
                list.push((first + index, event));
            }
            if let Some((_, Ok(result))) = out.get_mut(first + index) {
                // Until the account answers below.
                result.account_pending = true;
            }
        }
    }
    let calls = by_account.iter().map(|(account, events)| {
        let command = Command::Events {
            target: target(Scope::Account, account),
            events: events.iter().map(|(_, e)| e.clone()).collect(),
        };
        async move {
            subject::send::<EventsAnswer>(env, &project.account_object(account), &command).await
        }
    });
    let answers: Vec<_> = stream::iter(calls).buffered(MAX_IN_FLIGHT).collect().await;
    for ((_, events), answer) in by_account.iter().zip(answers) {
        let Ok(answer) = answer else {
            // Recorded with each user: their alarms deliver it.
            continue;
        };
        for ((slot, _), result) in events.iter().zip(answer.results) {
            let Some((_, Ok(user_result))) = out.get_mut(*slot) else {
                continue;
            };
            user_result.account_pending = false;
            if let SubjectResult::Applied { total, awards, .. } = result {
                user_result.account_total = Some(total);
                user_result.awards.extend(awards);
            }
        }
    }
    out
}

/// The user's side of event `e`.
fn subject_event(e: &ServerEvent, backfill: bool) -> SubjectEvent {
    SubjectEvent {
        metric: e.event.clone(),
        value: e.value,
        timestamp: e.timestamp,
        idempotency_key: e.idempotency_key.clone(),
        member: None,
        account: e.account_id.clone(),
        traits: e.user.as_ref().map(|t| Traits {
            created_at: t.created_at,
            tz: t.tz.clone(),
        }),
        backfill,
        step: None,
    }
}

/// A subject's verdict on one event as the API's result.
pub fn to_result(result: SubjectResult) -> ApiResult<EventResult> {
    match result {
        SubjectResult::Applied {
            duplicate,
            total,
            awards,
        } => Ok(EventResult {
            status: if duplicate {
                EventStatus::Duplicate
            } else {
                EventStatus::Accepted
            },
            error: None,
            total: Some(total),
            account_total: None,
            account_pending: false,
            awards,
        }),
        SubjectResult::Rejected(error) => Err(error),
    }
}

/// A rejected event inside a batch.
pub(super) fn rejected(error: &ApiError) -> EventResult {
    EventResult {
        status: EventStatus::Rejected,
        error: Some(error.detail()),
        total: None,
        account_total: None,
        account_pending: false,
        awards: Vec::new(),
    }
}

/// Checks one event's fields before it reaches a Durable Object.
pub(super) fn validate(
    e: &ServerEvent,
    defs: &Compiled,
    path: &dyn Fn(&str) -> String,
) -> ApiResult<()> {
    check_id(&e.user_id, ErrorCode::InvalidUserId, "user_id").map_err(|e| e.at(path("user_id")))?;
    if let Some(account) = &e.account_id {
        check_id(account, ErrorCode::InvalidAccountId, "account_id")
            .map_err(|e| e.at(path("account_id")))?;
    }
    if let Some(key) = &e.idempotency_key {
        check_id(key, ErrorCode::InvalidIdempotencyKey, "idempotency_key")
            .map_err(|e| e.at(path("idempotency_key")))?;
    }
    if !is_valid_key(&e.event) {
        return Err(ApiError::bad(
            ErrorCode::InvalidMetric,
            "event must match [a-z0-9_.:-]{1,64}",
            Some(&path("event")),
        ));
    }
    if defs.metric(&e.event).is_none() {
        return Err(ApiError::bad(
            ErrorCode::UnknownMetric,
            format!("unknown metric \"{}\"", e.event),
            Some(&path("event")),
        ));
    }
    Ok(())
}

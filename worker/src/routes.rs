//! The route table: one free function per route, all answering through [`ApiError`].

use std::collections::HashMap;

use cairn_core::definitions::is_valid_key;
use cairn_core::engine::Traits;
use cairn_core::wire::{
    AccountView, ClientEvent, DefinitionsResponse, ErrorDetail, EventResult, EventStatus,
    EventsResponse, MAX_BATCH, MAX_ID_BYTES, NewProject, ServerEvent, TrackResponse, UserClaims,
    UserTraits, headers,
};
use cairn_core::{Compiled, Definitions};
use futures_util::StreamExt;
use futures_util::stream;
use serde::Deserialize;
use worker::{Env, Headers, Method, Request, Response, Result};

use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::ledger;
use crate::project::{self, Project};
use crate::subject::{self, Command, SubjectEvent, SubjectResult, Target};
use crate::writer;

/// Most Durable Object calls a batch keeps in flight at once.
const MAX_IN_FLIGHT: usize = 32;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Answers one request to the worker (static assets never reach it).
pub async fn handle(req: Request, env: Env) -> Result<Response> {
    let origin = req.headers().get("origin")?;
    let own = req
        .url()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    if req.method() == Method::Options {
        return preflight(&env, origin.as_deref(), &own)
            .await
            .or_else(ApiError::into_response);
    }
    let path = req.path();
    let result = match (req.method(), path.as_str()) {
        (Method::Get, "/v1/health") => health(),
        (Method::Get, "/openapi.json") => openapi(),
        (Method::Post, "/v1/projects") => create_project(req, &env).await,
        (Method::Put, "/v1/definitions") => put_definitions(req, &env).await,
        (Method::Get, "/v1/definitions") => get_definitions(&req, &env).await,
        (Method::Post, "/v1/events") => server_events(req, &env, false).await,
        (Method::Post, "/v1/import") => server_events(req, &env, true).await,
        (Method::Post, "/v1/keys/rotate") => rotate_key(req, &env).await,
        (Method::Post, "/v1/client/events") => {
            client_events(req, &env, origin.as_deref(), &own).await
        }
        (Method::Get, "/v1/client/me") => client_me(&req, &env, origin.as_deref(), &own).await,
        (Method::Get, "/v1/demo/token") => demo_token(&req, &env).await,
        (Method::Get, "/v1/milestones") => list_milestones(&req, &env).await,
        (Method::Get, "/v1/client/stream") => {
            // WebSockets are not subject to CORS: answered as is.
            return client_stream(&req, &env, origin.as_deref(), &own)
                .await
                .or_else(ApiError::into_response);
        }
        (Method::Post, p) if p.starts_with("/v1/client/awards/") && p.ends_with("/seen") => {
            let id = p["/v1/client/awards/".len()..p.len() - "/seen".len()].to_owned();
            client_seen(&req, &env, origin.as_deref(), &own, &id).await
        }
        (Method::Get, p) if p.starts_with("/v1/users/") => match decode(&p["/v1/users/".len()..]) {
            Ok(id) => get_user(&req, &env, &id).await,
            Err(e) => Err(e),
        },
        (Method::Delete, p) if p.starts_with("/v1/users/") => {
            match decode(&p["/v1/users/".len()..]) {
                Ok(id) => erase_user(&req, &env, &id).await,
                Err(e) => Err(e),
            }
        }
        (Method::Post, p) if p.starts_with("/v1/milestones/") && p.ends_with("/celebrated") => {
            let id = p["/v1/milestones/".len()..p.len() - "/celebrated".len()].to_owned();
            celebrated(req, &env, &id).await
        }
        (Method::Post, p) if p.starts_with("/v1/milestones/") && p.ends_with("/award") => {
            let key = p["/v1/milestones/".len()..p.len() - "/award".len()].to_owned();
            award_custom(req, &env, &key).await
        }
        _ => Err(ApiError::NotFound),
    };
    let response = result.or_else(ApiError::into_response)?;
    if path.starts_with("/v1/client/") {
        cors(response, origin.as_deref())
    } else {
        Ok(response)
    }
}

/// `GET /v1/health`: does nothing; the ceiling that benchmarks compare routes with.
fn health() -> ApiResult<Response> {
    Ok(Response::ok("ok")?)
}

/// `GET /openapi.json`: the OpenAPI 3.1 description of this API.
fn openapi() -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("access-control-allow-origin", "*")?;
    Ok(Response::ok(include_str!("openapi.json"))?.with_headers(headers))
}

/// `POST /v1/projects` (admin token): a new project and its keys, shown once.
async fn create_project(mut req: Request, env: &Env) -> ApiResult<Response> {
    auth::admin(&req, env)?;
    let new: NewProject = parse_json(&read_body(&mut req).await?)?;
    if new.name.trim().is_empty() || new.name.len() > MAX_ID_BYTES {
        return Err(ApiError::bad(
            "invalid_name",
            format!("name must be 1 to {MAX_ID_BYTES} bytes"),
            Some("name"),
        ));
    }
    for (i, origin) in new.allowed_origins.iter().enumerate() {
        let ok = origin == "*"
            || ((origin.starts_with("https://") || origin.starts_with("http://"))
                && !origin.ends_with('/'));
        if !ok {
            return Err(ApiError::bad(
                "invalid_origin",
                "an origin is scheme://host[:port] without a path, or *",
                Some(&format!("allowed_origins[{i}]")),
            ));
        }
    }
    let created = project::create(env, new, &subject::now().to_string()).await?;
    Ok(Response::from_json(&created)?.with_status(201))
}

/// `POST /v1/keys/rotate` (secret key): `{"key": "identity_secret" | "secret_key" |
/// "publishable_key", "retire_previous"?: true}`. Identity secrets overlap (two valid) until
/// the previous one is retired; the other keys are replaced at once.
async fn rotate_key(mut req: Request, env: &Env) -> ApiResult<Response> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Rotate {
        key: project::KeyKind,
        #[serde(default)]
        retire_previous: bool,
    }
    let project = auth::server(&req, env).await?;
    let body: Rotate = parse_json(&read_body(&mut req).await?)?;
    if body.retire_previous && body.key != project::KeyKind::IdentitySecret {
        return Err(ApiError::bad(
            "invalid_body",
            "only identity secrets overlap and can be retired",
            Some("retire_previous"),
        ));
    }
    let value = project::rotate(env, &project, body.key, body.retire_previous).await?;
    Ok(Response::from_json(
        &serde_json::json!({ "key": body.key, "value": value }),
    )?)
}

/// `PUT /v1/definitions` (secret key): validates (every problem at once) and stores a new version.
async fn put_definitions(mut req: Request, env: &Env) -> ApiResult<Response> {
    let project = auth::server(&req, env).await?;
    let body = read_body(&mut req).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad("invalid_body", "the body is not UTF-8", None))?;
    let is_toml = req
        .headers()
        .get("content-type")?
        .is_some_and(|t| t.contains("toml"));
    let defs = if is_toml {
        Definitions::from_toml(text)
    } else {
        Definitions::from_json(text)
    };
    let defs = defs.map_err(|e| ApiError::InvalidDefinitions(e.problems()))?;
    let problems = defs.validate();
    if !problems.is_empty() {
        return Err(ApiError::InvalidDefinitions(problems));
    }
    let version =
        project::put_definitions(env, &project, &defs, &subject::now().to_string()).await?;
    Ok(Response::from_json(&DefinitionsResponse {
        version,
        definitions: defs,
    })?)
}

/// `GET /v1/definitions` (secret key): the current version.
async fn get_definitions(req: &Request, env: &Env) -> ApiResult<Response> {
    let project = auth::server(req, env).await?;
    let defs = project.definitions(env).await?;
    Ok(Response::from_json(&DefinitionsResponse {
        version: project.definitions_version,
        definitions: defs.source().clone(),
    })?)
}

/// `POST /v1/events` (secret key): one event, or `{"events": [...]}` of up to 1,000.
/// `POST /v1/import` takes the same body as history: awards are recorded, never celebrated.
async fn server_events(mut req: Request, env: &Env, backfill: bool) -> ApiResult<Response> {
    let project = auth::server(&req, env).await?;
    let body = read_body(&mut req).await?;
    let value: serde_json::Value = parse_json(&body)?;
    let (items, batch) = match value {
        serde_json::Value::Object(mut map) if map.contains_key("events") => {
            match map.remove("events") {
                Some(serde_json::Value::Array(items)) if map.is_empty() => (items, true),
                Some(serde_json::Value::Array(_)) => {
                    return Err(ApiError::bad(
                        "invalid_body",
                        "a batch has only the field \"events\"",
                        None,
                    ));
                }
                _ => {
                    return Err(ApiError::bad(
                        "invalid_body",
                        "events must be an array",
                        Some("events"),
                    ));
                }
            }
        }
        object @ serde_json::Value::Object(_) => (vec![object], false),
        _ => {
            return Err(ApiError::bad(
                "invalid_body",
                "the body must be an event object or {\"events\": [...]}",
                None,
            ));
        }
    };
    if items.len() > MAX_BATCH {
        return Err(ApiError::bad(
            "batch_too_large",
            format!("a batch holds at most {MAX_BATCH} events"),
            Some("events"),
        ));
    }
    if items.is_empty() {
        return Err(ApiError::bad(
            "invalid_body",
            "the batch is empty",
            Some("events"),
        ));
    }
    let defs = project.definitions(env).await?;
    let locale = auth::accept_language(&req)?.unwrap_or_else(|| "en".into());
    let mut results: Vec<Option<EventResult>> = vec![None; items.len()];
    let mut valid = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let path = |field: &str| {
            if batch {
                format!("events[{i}].{field}")
            } else {
                field.to_owned()
            }
        };
        match serde_json::from_value::<ServerEvent>(item)
            .map_err(|e| {
                ApiError::bad(
                    "invalid_event",
                    e.to_string(),
                    Some(&path("")).map(|p| p.trim_end_matches('.')),
                )
            })
            .and_then(|e| validate(&e, &defs, &path).map(|()| e))
        {
            Ok(event) => valid.push((i, event)),
            Err(e) => results[i] = Some(rejected(e.detail())),
        }
    }
    for (i, result) in ingest(env, &project, &locale, valid, backfill).await? {
        results[i] = Some(result);
    }
    let results = results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| rejected(ApiError::Internal("lost".into()).detail())))
        .collect();
    Ok(Response::from_json(&EventsResponse { results })?)
}

/// `POST /v1/client/events` (publishable key + user token): one event of a browser metric.
async fn client_events(
    mut req: Request,
    env: &Env,
    origin: Option<&str>,
    own: &str,
) -> ApiResult<Response> {
    let caller = auth::client(&req, env, origin, own).await?;
    let body = read_body(&mut req).await?;
    let event: ClientEvent = parse_json(&body)?;
    let defs = caller.project.definitions(env).await?;
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
        return Err(ApiError::Forbidden(format!(
            "metric \"{metric}\" may only be tracked with the secret key"
        )));
    }
    let (_, result) = ingest(
        env,
        &caller.project,
        &caller.locale,
        vec![(0, server_event)],
        false,
    )
    .await?
    .remove(0);
    if let Some(error) = result.error {
        let status = if error.code == "invalid_value" {
            400
        } else {
            422
        };
        return Ok(Response::from_json(&cairn_core::wire::ErrorBody { error })?.with_status(status));
    }
    Ok(Response::from_json(&TrackResponse {
        metric,
        total: result.total.unwrap_or_default(),
        duplicate: result.status == EventStatus::Duplicate,
        awards: result.awards,
    })?)
}

/// `GET /v1/client/me` (publishable key + user token): the user's and their account's view.
async fn client_me(
    req: &Request,
    env: &Env,
    origin: Option<&str>,
    own: &str,
) -> ApiResult<Response> {
    let caller = auth::client(req, env, origin, own).await?;
    let me = view(
        env,
        &caller.project,
        &caller.claims.sub,
        caller.claims.acct.as_deref(),
        &caller.locale,
    )
    .await?;
    Ok(Response::from_json(&me)?)
}

/// `GET /v1/client/stream?key=pk_…&token=…`: a WebSocket to the user's Durable Object, which
/// pushes every award (the user's and their account's) the moment it happens.
async fn client_stream(
    req: &Request,
    env: &Env,
    origin: Option<&str>,
    own: &str,
) -> ApiResult<Response> {
    let upgrade = req
        .headers()
        .get("upgrade")?
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return Err(ApiError::bad(
            "websocket_required",
            "connect to this route with a WebSocket",
            None,
        ));
    }
    let caller = auth::client_from_query(req, env, origin, own).await?;
    let target = Target {
        project: caller.project.id.clone(),
        definitions_version: caller.project.definitions_version,
        scope: cairn_core::definitions::Scope::User,
        id: caller.claims.sub.clone(),
        locale: caller.locale.clone(),
    };
    let headers = Headers::new();
    headers.set("upgrade", "websocket")?;
    headers.set("x-cairn-target", &serde_json::to_string(&target)?)?;
    let mut init = worker::RequestInit::new();
    init.with_headers(headers);
    let forward = Request::new_with_init("https://subject/stream", &init)?;
    let name = caller.project.user_object(&caller.claims.sub);
    let stub = env
        .durable_object(subject::BINDING)?
        .id_from_name(&name)?
        .get_stub()?;
    Ok(stub.fetch_with_request(forward).await?)
}

/// `GET /v1/users/{user_id}?account_id=` (secret key): what `/v1/client/me` shows that user.
async fn get_user(req: &Request, env: &Env, user_id: &str) -> ApiResult<Response> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Query {
        #[serde(default)]
        account_id: Option<String>,
    }
    let project = auth::server(req, env).await?;
    let q: Query = req
        .query()
        .map_err(|e| ApiError::bad("invalid_query", e.to_string(), None))?;
    check_id(user_id, "user_id")?;
    let locale = auth::accept_language(req)?.unwrap_or_else(|| "en".into());
    let me = view(env, &project, user_id, q.account_id.as_deref(), &locale).await?;
    Ok(Response::from_json(&me)?)
}

/// A user's view, with their account's when `account` is given.
async fn view(
    env: &Env,
    project: &Project,
    user: &str,
    account: Option<&str>,
    locale: &str,
) -> ApiResult<serde_json::Value> {
    let target = |scope, id: &str| Target {
        project: project.id.clone(),
        definitions_version: project.definitions_version,
        scope,
        id: id.to_owned(),
        locale: locale.to_owned(),
    };
    let account = match account {
        Some(a) => {
            let command = Command::Account {
                target: target(cairn_core::definitions::Scope::Account, a),
            };
            Some(subject::send::<AccountView>(env, &project.account_object(a), &command).await?)
        }
        None => None,
    };
    let command = Command::Me {
        target: target(cairn_core::definitions::Scope::User, user),
        account,
    };
    subject::send(env, &project.user_object(user), &command).await
}

/// `POST /v1/client/awards/{id}/seen` (publishable key + user token): the widget acknowledges
/// a celebration, once for all tabs and devices of this user.
async fn client_seen(
    req: &Request,
    env: &Env,
    origin: Option<&str>,
    own: &str,
    award_id: &str,
) -> ApiResult<Response> {
    let caller = auth::client(req, env, origin, own).await?;
    let well_formed = award_id.len() == 27
        && award_id.starts_with("aw_")
        && award_id[3..].bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(ApiError::bad(
            "invalid_award_id",
            "an award id is aw_ and 24 hex digits",
            Some("id"),
        ));
    }
    let user = &caller.claims.sub;
    let command = Command::Seen {
        project: caller.project.id.clone(),
        user: user.clone(),
        account: caller.claims.acct.clone(),
        award_id: award_id.to_owned(),
    };
    let _: bool = subject::send(env, &caller.project.user_object(user), &command).await?;
    Ok(Response::from_json(
        &serde_json::json!({ "id": award_id, "seen": true }),
    )?)
}

/// `DELETE /v1/users/{user_id}` (secret key): erases the user's state, ledger rows and account
/// memberships. Totals they added to an account stay as anonymous aggregates.
async fn erase_user(req: &Request, env: &Env, user_id: &str) -> ApiResult<Response> {
    let project = auth::server(req, env).await?;
    check_id(user_id, "user_id")?;
    let accounts: Vec<String> =
        subject::send(env, &project.user_object(user_id), &Command::Erase).await?;
    for account in &accounts {
        let target = Target {
            project: project.id.clone(),
            definitions_version: project.definitions_version,
            scope: cairn_core::definitions::Scope::Account,
            id: account.clone(),
            locale: "en".into(),
        };
        let command = Command::Forget {
            target,
            member: user_id.to_owned(),
        };
        let _: bool = subject::send(env, &project.account_object(account), &command).await?;
    }
    // Pending ledger items first (the writer also drops any that arrive late), then the rows.
    writer::erase(env, &project.id, user_id).await?;
    ledger::erase_user(env, &project.id, user_id).await?;
    Ok(Response::from_json(
        &serde_json::json!({ "user_id": user_id, "erased": true, "accounts": accounts }),
    )?)
}

fn check_id(id: &str, field: &str) -> ApiResult<()> {
    if id.is_empty() || id.len() > MAX_ID_BYTES {
        return Err(ApiError::bad(
            "invalid_id",
            format!("{field} must be 1 to {MAX_ID_BYTES} bytes"),
            Some(field),
        ));
    }
    Ok(())
}

/// A percent-decoded path segment.
fn decode(segment: &str) -> ApiResult<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::bad("invalid_path", "the path is not UTF-8", None))
}

/// `GET /v1/milestones?subject=&milestone=&celebrated=&since=&cursor=&limit=` (secret key):
/// the ledger, oldest first.
async fn list_milestones(req: &Request, env: &Env) -> ApiResult<Response> {
    let project = auth::server(req, env).await?;
    let query: ledger::Query = req
        .query()
        .map_err(|e| ApiError::bad("invalid_query", e.to_string(), None))?;
    Ok(Response::from_json(
        &ledger::list(env, &project.id, &query).await?,
    )?)
}

/// `POST /v1/milestones/{id}/celebrated` (secret key): how a person celebrated an award.
async fn celebrated(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let project = auth::server(&req, env).await?;
    let body: ledger::Celebrated = parse_json(&read_body(&mut req).await?)?;
    if body.celebration_type.trim().is_empty() || body.celebration_type.len() > 64 {
        return Err(ApiError::bad(
            "invalid_body",
            "celebration_type must be 1 to 64 bytes",
            Some("celebration_type"),
        ));
    }
    if !ledger::mark_celebrated(env, &project.id, id, &body, &subject::now().to_string()).await? {
        return Err(ApiError::NotFound);
    }
    Ok(Response::from_json(
        &serde_json::json!({ "id": id, "celebrated": true }),
    )?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AwardRequest {
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
}

/// `POST /v1/milestones/{key}/award` (secret key): awards a custom milestone to a user or an
/// account (`{"user_id": …}` or `{"account_id": …}`); awarding it again is a duplicate.
async fn award_custom(mut req: Request, env: &Env, key: &str) -> ApiResult<Response> {
    let project = auth::server(&req, env).await?;
    let body: AwardRequest = parse_json(&read_body(&mut req).await?)?;
    let (scope, id, object) = match (&body.user_id, &body.account_id) {
        (Some(u), None) => (
            cairn_core::definitions::Scope::User,
            u.clone(),
            project.user_object(u),
        ),
        (None, Some(a)) => (
            cairn_core::definitions::Scope::Account,
            a.clone(),
            project.account_object(a),
        ),
        _ => {
            return Err(ApiError::bad(
                "invalid_body",
                "give exactly one of user_id and account_id",
                None,
            ));
        }
    };
    check_id(
        &id,
        if scope == cairn_core::definitions::Scope::User {
            "user_id"
        } else {
            "account_id"
        },
    )?;
    let target = Target {
        project: project.id.clone(),
        definitions_version: project.definitions_version,
        scope,
        id,
        locale: auth::accept_language(&req)?.unwrap_or_else(|| "en".into()),
    };
    let result: SubjectResult = subject::send(
        env,
        &object,
        &Command::Award {
            target,
            milestone: key.to_owned(),
        },
    )
    .await?;
    match to_result(result) {
        EventResult {
            error: Some(error), ..
        } => Ok(Response::from_json(&cairn_core::wire::ErrorBody { error })?.with_status(422)),
        ok => Ok(Response::from_json(&ok)?),
    }
}

#[derive(Deserialize)]
struct DemoTokenQuery {
    key: String,
    user: String,
    #[serde(default)]
    acct: Option<String>,
    #[serde(default)]
    locale: Option<String>,
}

/// `GET /v1/demo/token?key=pk_…&user=…`: a user token for the demo project, standing in for the
/// product's backend. Only on local runs (`CAIRN_DEMO_TOKENS=on`), only for the demo project.
async fn demo_token(req: &Request, env: &Env) -> ApiResult<Response> {
    let enabled = env
        .var("CAIRN_DEMO_TOKENS")
        .map(|v| v.to_string() == "on")
        .unwrap_or(false);
    if !enabled {
        return Err(ApiError::NotFound);
    }
    let q: DemoTokenQuery = req
        .query()
        .map_err(|e| ApiError::bad("invalid_query", e.to_string(), None))?;
    let project = Project::by_publishable_key(env, &q.key)
        .await?
        .filter(|p| p.id == "prj_demo")
        .ok_or(ApiError::NotFound)?;
    let now = subject::now().as_second();
    let claims = UserClaims {
        sub: q.user,
        exp: now + 3600,
        iat: Some(now),
        acct: q.acct,
        traits: q.locale.map(|locale| UserTraits {
            locale: Some(locale),
            ..UserTraits::default()
        }),
    };
    let token = auth::sign_demo_token(&project.identity_secrets[0], &claims)?;
    Ok(Response::from_json(&serde_json::json!({ "token": token }))?)
}

/// Applies validated events: one call per user Durable Object, then one per account Durable
/// Object for the events that carry an account. Returns `(request index, result)` pairs.
async fn ingest(
    env: &Env,
    project: &Project,
    locale: &str,
    events: Vec<(usize, ServerEvent)>,
    backfill: bool,
) -> ApiResult<Vec<(usize, EventResult)>> {
    let mut by_user: Vec<(String, Vec<(usize, ServerEvent)>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, e) in events {
        let slot = *index.entry(e.user_id.clone()).or_insert_with(|| {
            by_user.push((e.user_id.clone(), Vec::new()));
            by_user.len() - 1
        });
        by_user[slot].1.push((i, e));
    }
    let target = |scope, id: &str| Target {
        project: project.id.clone(),
        definitions_version: project.definitions_version,
        scope,
        id: id.to_owned(),
        locale: locale.to_owned(),
    };
    let calls = by_user.iter().map(|(user, events)| {
        let command = Command::Events {
            target: target(cairn_core::definitions::Scope::User, user),
            events: events
                .iter()
                .map(|(_, e)| subject_event(e, None, backfill))
                .collect(),
        };
        async move {
            subject::send::<Vec<SubjectResult>>(env, &project.user_object(user), &command).await
        }
    });
    let answers: Vec<_> = stream::iter(calls).buffered(MAX_IN_FLIGHT).collect().await;

    let mut out = Vec::new();
    let mut by_account: Vec<(String, Vec<(usize, SubjectEvent)>)> = Vec::new();
    let mut account_index: HashMap<String, usize> = HashMap::new();
    for ((_, events), answer) in by_user.iter().zip(answers) {
        let results = match answer {
            Ok(results) if results.len() == events.len() => results,
            Ok(_) => {
                vec![
                    SubjectResult::Rejected(ApiError::Internal("short answer".into()).detail());
                    events.len()
                ]
            }
            Err(e) => vec![SubjectResult::Rejected(e.detail()); events.len()],
        };
        for ((i, e), result) in events.iter().zip(results) {
            let applied = matches!(result, SubjectResult::Applied { .. });
            if let (true, Some(account)) = (applied, &e.account_id) {
                let slot = *account_index.entry(account.clone()).or_insert_with(|| {
                    by_account.push((account.clone(), Vec::new()));
                    by_account.len() - 1
                });
                by_account[slot]
                    .1
                    .push((out.len(), subject_event(e, Some(&e.user_id), backfill)));
            }
            out.push((*i, to_result(result)));
        }
    }
    let calls = by_account.iter().map(|(account, events)| {
        let command = Command::Events {
            target: target(cairn_core::definitions::Scope::Account, account),
            events: events.iter().map(|(_, e)| e.clone()).collect(),
        };
        async move {
            subject::send::<Vec<SubjectResult>>(env, &project.account_object(account), &command)
                .await
        }
    });
    for ((_, events), answer) in by_account.iter().zip(
        stream::iter(calls)
            .buffered(MAX_IN_FLIGHT)
            .collect::<Vec<_>>()
            .await,
    ) {
        let Ok(results) = answer else {
            // The user's event counted; the account catches up when the event is retried with
            // its idempotency key (the account deduplicates it too).
            continue;
        };
        for ((slot, _), result) in events.iter().zip(results) {
            if let SubjectResult::Applied { total, awards, .. } = result {
                let user_result = &mut out[*slot].1;
                user_result.account_total = Some(total);
                user_result.awards.extend(awards);
            }
        }
    }
    Ok(out)
}

fn subject_event(e: &ServerEvent, member: Option<&str>, backfill: bool) -> SubjectEvent {
    SubjectEvent {
        metric: e.event.clone(),
        value: e.value,
        timestamp: e.timestamp,
        idempotency_key: e.idempotency_key.clone(),
        member: member.map(str::to_owned),
        account: if member.is_none() {
            e.account_id.clone()
        } else {
            None
        },
        // Traits describe the user; an account's own traits come from its own calls.
        traits: if member.is_some() {
            None
        } else {
            e.user.as_ref().map(|t| Traits {
                created_at: t.created_at,
                tz: t.tz.clone(),
            })
        },
        backfill,
    }
}

fn to_result(result: SubjectResult) -> EventResult {
    match result {
        SubjectResult::Applied {
            duplicate,
            total,
            awards,
        } => EventResult {
            status: if duplicate {
                EventStatus::Duplicate
            } else {
                EventStatus::Accepted
            },
            error: None,
            total: Some(total),
            account_total: None,
            awards,
        },
        SubjectResult::Rejected(error) => rejected(error),
    }
}

fn rejected(error: ErrorDetail) -> EventResult {
    EventResult {
        status: EventStatus::Rejected,
        error: Some(error),
        total: None,
        account_total: None,
        awards: Vec::new(),
    }
}

/// Checks one event's fields before it reaches a Durable Object.
fn validate(e: &ServerEvent, defs: &Compiled, path: &dyn Fn(&str) -> String) -> ApiResult<()> {
    let id_ok = |id: &str| !id.is_empty() && id.len() <= MAX_ID_BYTES;
    if !id_ok(&e.user_id) {
        return Err(ApiError::bad(
            "invalid_user_id",
            format!("user_id must be 1 to {MAX_ID_BYTES} bytes"),
            Some(&path("user_id")),
        ));
    }
    if e.account_id.as_deref().is_some_and(|a| !id_ok(a)) {
        return Err(ApiError::bad(
            "invalid_account_id",
            format!("account_id must be 1 to {MAX_ID_BYTES} bytes"),
            Some(&path("account_id")),
        ));
    }
    if e.idempotency_key.as_deref().is_some_and(|k| !id_ok(k)) {
        return Err(ApiError::bad(
            "invalid_idempotency_key",
            format!("idempotency_key must be 1 to {MAX_ID_BYTES} bytes"),
            Some(&path("idempotency_key")),
        ));
    }
    if !is_valid_key(&e.event) {
        return Err(ApiError::bad(
            "invalid_metric",
            "event must match [a-z0-9_.:-]{1,64}",
            Some(&path("event")),
        ));
    }
    if defs.metric(&e.event).is_none() {
        return Err(ApiError::Unprocessable {
            code: "unknown_metric",
            message: format!("unknown metric \"{}\"", e.event),
            path: Some(path("event")),
        });
    }
    Ok(())
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad("invalid_body", format!("invalid JSON body: {e}"), None))
}

async fn read_body(req: &mut Request) -> ApiResult<Vec<u8>> {
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::TooLarge(MAX_BODY_BYTES));
    }
    let body = req.bytes().await?;
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::TooLarge(MAX_BODY_BYTES));
    }
    Ok(body)
}

/// A preflight cannot carry `X-Cairn-Key`: it is answered for origins some project allows;
/// the real request is then checked against its own project's list.
async fn preflight(env: &Env, origin: Option<&str>, own: &str) -> ApiResult<Response> {
    let response = Response::empty()?.with_status(204);
    let Some(origin) = origin else {
        return Ok(response);
    };
    let allowed = origin == own
        || {
            let row: Option<serde_json::Value> = env
            .d1(project::DB)?
            .prepare("SELECT 1 AS ok FROM projects, json_each(projects.allowed_origins) WHERE json_each.value IN (?1, '*') LIMIT 1")
            .bind(&[origin.into()])?
            .first(None)
            .await?;
            row.is_some()
        };
    if !allowed {
        return Ok(response);
    }
    let headers = Headers::new();
    headers.set("access-control-allow-origin", origin)?;
    headers.set("access-control-allow-methods", "GET, POST, OPTIONS")?;
    headers.set(
        "access-control-allow-headers",
        &format!("content-type, authorization, {}", headers::KEY),
    )?;
    headers.set("access-control-max-age", "86400")?;
    headers.set("vary", "origin")?;
    Ok(response.with_headers(headers))
}

/// Adds the CORS answer header to a real request's response (its origin was checked, where it
/// matters, by the route). Responses relayed from a Durable Object have immutable headers, so
/// a copy is set.
fn cors(response: Response, origin: Option<&str>) -> Result<Response> {
    let Some(origin) = origin else {
        return Ok(response);
    };
    let headers: Headers = response.headers().clone();
    headers.set("access-control-allow-origin", origin)?;
    headers.append("vary", "origin")?;
    Ok(response.with_headers(headers))
}

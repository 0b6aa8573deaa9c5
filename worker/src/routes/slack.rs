//! `POST /v1/slack/interactions`: the buttons of the CSM's alert.
//!
//! The request is verified first (the project's Slack signing secret; see
//! [`crate::notify::slack::verify`]): a wrong signature or a stale timestamp gets `401` and
//! changes nothing. It is acknowledged at once (Slack waits 3 s at most) and the work is done
//! after the answer: *Mark celebrated* records the celebration in the ledger (and so emits
//! `milestone.celebrated`); *Send celebration email* and *Request social permission* make one
//! Loops job per contact of the account (each once per award, whoever clicks again); then the
//! message is updated (through its `response_url`) to say who did what and when.

use cairn_core::wire::{CelebratedRequest, LoopsSettings, SlackSettings};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use worker::{Env, Request, Response};

use super::{Ctx, read_body};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::notify::{self, slack};
use crate::project::DB;
use crate::{accounts, auth, integrations, ledger};

#[derive(Debug, Deserialize)]
struct Interaction {
    user: SlackUser,
    #[serde(default)]
    actions: Vec<Action>,
    #[serde(default)]
    response_url: Option<String>,
    #[serde(default)]
    message: Option<Message>,
}

#[derive(Debug, Deserialize)]
struct SlackUser {
    id: String,
}

#[derive(Debug, Deserialize)]
struct Action {
    action_id: String,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Message {
    #[serde(default)]
    blocks: Value,
}

fn bad(message: &str) -> ApiError {
    ApiError::bad(ErrorCode::InvalidBody, message, None)
}

/// `POST /v1/slack/interactions` (form-encoded `payload`, as Slack sends it).
pub async fn interactions(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    auth::limit_address(ctx.env, &ctx.ip).await?;
    let timestamp = req
        .headers()
        .get("x-slack-request-timestamp")?
        .unwrap_or_default();
    let signature = req.headers().get("x-slack-signature")?.unwrap_or_default();
    let body = read_body(&mut req).await?;
    let payload = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| bad("expected a form with a payload field"))?;
    let interaction: Interaction =
        serde_json::from_str(&payload).map_err(|e| bad(&format!("unreadable payload: {e}")))?;
    let action = interaction
        .actions
        .first()
        .ok_or_else(|| bad("the payload has no action"))?;
    let (project, award) = action
        .value
        .as_deref()
        .and_then(|v| v.split_once('|'))
        .ok_or_else(|| bad("the action's value is not one of Cairn's"))?;
    // Who signs is decided by the project the button names; an unknown project, a missing
    // Slack connection and a wrong signature look the same from outside.
    let refused = || ApiError::unauthorized("the Slack signature does not verify");
    let settings: SlackSettings = integrations::load(ctx.env, project, "slack")
        .await?
        .ok_or_else(refused)?;
    let now = crate::subject::now();
    if !slack::verify(
        &settings.signing_secret,
        &timestamp,
        &signature,
        &body,
        now.as_second(),
    ) {
        return Err(refused());
    }
    if !matches!(
        action.action_id.as_str(),
        slack::MARK_CELEBRATED | slack::SEND_EMAIL | slack::REQUEST_SOCIAL
    ) {
        return Err(bad("unknown action"));
    }
    let work = act(
        ctx.env.clone(),
        project.to_owned(),
        award.to_owned(),
        action.action_id.clone(),
        interaction.user.id.clone(),
        interaction.response_url.clone(),
        interaction.message.map(|m| m.blocks).unwrap_or(Value::Null),
    );
    ctx.context.wait_until(work);
    Ok(Response::empty()?)
}

/// Does what the button says, then updates the message. Runs after the answer: failures are
/// logged (and the message says so).
async fn act(
    env: Env,
    project: String,
    award: String,
    action: String,
    user: String,
    response_url: Option<String>,
    blocks: Value,
) {
    let now = crate::subject::now();
    let when = now.strftime("%b %-d, %Y %H:%M UTC").to_string();
    let who = if slack::is_slack_id(&user) {
        format!("<@{user}>")
    } else {
        "someone".to_owned()
    };
    let line = match action.as_str() {
        slack::MARK_CELEBRATED => {
            let body = CelebratedRequest {
                celebration_type: "slack".into(),
                notes: None,
            };
            let by = format!("slack:{user}");
            match ledger::mark_celebrated(&env, &project, &award, &body, &now.to_string(), &by)
                .await
            {
                Ok(true) => format!(":white_check_mark: Marked celebrated by {who} on {when}"),
                Ok(false) => ":warning: This award is no longer in the ledger".to_owned(),
                Err(e) => {
                    worker::console_error!("slack: mark celebrated failed: {e}");
                    ":warning: Could not record the celebration; please retry".to_owned()
                }
            }
        }
        kind => {
            let (kind, label) = if kind == slack::SEND_EMAIL {
                ("celebration", "Celebration email")
            } else {
                ("social_permission", "Social permission request")
            };
            match email_jobs(&env, &project, &award, kind).await {
                Ok(0) => format!(
                    ":warning: {label} not sent: the account has no contact emails (PUT /v1/accounts/{{id}})"
                ),
                Ok(n) => format!(
                    ":email: {label} sent to {n} contact{} by {who} on {when}",
                    if n == 1 { "" } else { "s" }
                ),
                Err(e) => format!(":warning: {label} not sent: {}", e.message),
            }
        }
    };
    if let Err(e) = record(&env, &project, &award, &action, &user, &now.to_string()).await {
        worker::console_warn!("slack: action not recorded: {e}");
    }
    let Some(url) = response_url else {
        return;
    };
    let dev = notify::Settings::of(&env).dev_scale.is_some();
    if notify::endpoints::check_url(&url, dev).is_err() {
        worker::console_warn!("slack: response_url refused: {url}");
        return;
    }
    let lines = previous_lines(&blocks)
        .into_iter()
        .chain([line])
        .collect::<Vec<_>>();
    let update = json!({
        "replace_original": true,
        "text": lines.join("\n"),
        "blocks": slack::acted(&blocks, &action, &lines),
    });
    if let Err(e) = notify::http_post_json(&url, &update).await {
        worker::console_warn!("slack: message not updated: {e}");
    }
}

/// What earlier clicks already wrote under the message.
fn previous_lines(blocks: &Value) -> Vec<String> {
    blocks
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["block_id"] == "cairn_done")
        .filter_map(|b| {
            b.get("elements")
                .and_then(|e| e.get(0))
                .and_then(|e| e.get("text"))
                .and_then(Value::as_str)
        })
        .flat_map(|t| t.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

/// Appends the action to the award's Slack message record.
async fn record(
    env: &Env,
    project: &str,
    award: &str,
    action: &str,
    user: &str,
    at: &str,
) -> ApiResult<()> {
    env.d1(DB)?
        .prepare(
            "INSERT INTO slack_messages (project_id, award_id, actions) VALUES (?1, ?2, json_array(json_object('action', ?3, 'user', ?4, 'at', ?5))) \
             ON CONFLICT (project_id, award_id) DO UPDATE SET actions = json_insert(actions, '$[#]', json_object('action', ?3, 'user', ?4, 'at', ?5))",
        )
        .bind(&[project.into(), award.into(), action.into(), user.into(), at.into()])?
        .run()
        .await?;
    Ok(())
}

/// One Loops job per contact of the award's account (each made once per award); answers how
/// many contacts there are.
async fn email_jobs(env: &Env, project: &str, award: &str, kind: &str) -> ApiResult<usize> {
    let row = ledger::get(env, project, award)
        .await?
        .ok_or_else(|| ApiError::not_found("award in the ledger"))?;
    let loops: Option<LoopsSettings> = integrations::load(env, project, "loops").await?;
    if loops.is_none() {
        return Err(ApiError::new(
            ErrorCode::NotConfigured,
            "Loops is not connected (PUT /v1/integrations)",
        ));
    }
    let traits = match row.subject_type.as_str() {
        "account" => accounts::traits(env, project, &row.subject_id).await?,
        _ => None,
    };
    let contacts = traits
        .as_ref()
        .map(|t| t.contact_emails.clone())
        .unwrap_or_default();
    if contacts.is_empty() {
        return Ok(0);
    }
    let customer = traits
        .as_ref()
        .and_then(|t| t.name.clone())
        .unwrap_or_else(|| row.subject_id.clone());
    let db = env.d1(DB)?;
    let now_ms = crate::subject::now().as_millisecond();
    let hex = row.id.strip_prefix("aw_").unwrap_or(&row.id);
    let mut ids = Vec::new();
    let mut statements = Vec::new();
    for email in &contacts {
        let digest = Sha256::digest(email.to_lowercase().as_bytes());
        let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let id = format!("msg_{hex}.{kind}.{short}");
        let payload = json!({
            "kind": kind,
            "email": email,
            "dataVariables": {
                "customer": customer,
                "milestone": row.milestone_name,
                "milestoneKey": row.milestone_key,
                "value": row.value,
                "achievedAt": row.achieved_at,
            },
        });
        statements.push(
            db.prepare(
                "INSERT OR IGNORE INTO notify_jobs (id, project_id, award_id, subject, channel, target, event_type, payload, state, due_ms, created_at) \
                 VALUES (?1, ?2, ?3, ?4, 'loops', ?5, ?6, ?7, 'pending', ?8, strftime('%Y-%m-%dT%H:%M:%fZ', ?8 / 1000.0, 'unixepoch'))",
            )
            .bind(&[
                id.as_str().into(),
                project.into(),
                row.id.as_str().into(),
                format!("{}:{}", row.subject_type, row.subject_id).into(),
                email.as_str().into(),
                kind.into(),
                payload.to_string().into(),
                (now_ms as f64).into(),
            ])?,
        );
        ids.push(id);
    }
    db.batch(statements).await?;
    notify::trigger_jobs(env, project, &ids).await;
    Ok(contacts.len())
}

//! The ledger, for people: `GET /v1/milestones`, how an award was celebrated
//! (`POST /v1/milestones/{id}/celebrated`), and custom awards
//! (`POST /v1/milestones/{key}/award`). With the secret key; the first three also with a
//! console session (a CSM or an owner to record a celebration).

use cairn_core::definitions::Scope;
use cairn_core::wire::{AwardRequest, CelebratedRequest, CelebratedResponse, Role};
use worker::{Request, Response};

use super::{Ctx, check_id, json_body, locale, query};
use crate::auth;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::ledger;
use crate::subject::{self, Command, SubjectResult, Target};

/// `GET /v1/milestones?subject=&milestone=&celebrated=&since=&cursor=&limit=`: the ledger,
/// oldest first.
pub async fn list(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let project = auth::server_or_member(req, ctx, Role::Viewer)
        .await?
        .project;
    let q: ledger::Query = query(req)?;
    Ok(Response::from_json(
        &ledger::list(ctx.env, &project.id, &q).await?,
    )?)
}

/// `POST /v1/milestones/{id}/celebrated`: how a person celebrated an award.
pub async fn celebrated(mut req: Request, ctx: &Ctx<'_>, id: &str) -> ApiResult<Response> {
    // The Slack button, the API and the console's button record it the same way.
    let caller = auth::server_or_member(&req, ctx, Role::Csm).await?;
    let project = caller.project;
    let body: CelebratedRequest = json_body(&mut req).await?;
    if body.celebration_type.trim().is_empty() || body.celebration_type.len() > 64 {
        return Err(ApiError::bad(
            ErrorCode::InvalidBody,
            "celebration_type must be 1 to 64 bytes",
            Some("celebration_type"),
        ));
    }
    if body.notes.as_ref().is_some_and(|n| n.len() > 4096) {
        return Err(ApiError::bad(
            ErrorCode::InvalidBody,
            "notes must be at most 4096 bytes",
            Some("notes"),
        ));
    }
    let now = subject::now().to_string();
    if !ledger::mark_celebrated(ctx.env, &project.id, id, &body, &now, &caller.by).await? {
        return Err(ApiError::not_found("award in the ledger"));
    }
    Ok(Response::from_json(&CelebratedResponse {
        id: id.to_owned(),
        celebrated: true,
    })?)
}

/// `POST /v1/milestones/{key}/award`: awards a custom milestone to a user or an account
/// (`{"user_id": …}` or `{"account_id": …}`); awarding it again is a duplicate.
pub async fn award_custom(mut req: Request, ctx: &Ctx<'_>, key: &str) -> ApiResult<Response> {
    let project = auth::server(&req, ctx).await?;
    let body: AwardRequest = json_body(&mut req).await?;
    let (scope, id) = match (body.user_id, body.account_id) {
        (Some(u), None) => {
            check_id(&u, ErrorCode::InvalidUserId, "user_id")?;
            (Scope::User, u)
        }
        (None, Some(a)) => {
            check_id(&a, ErrorCode::InvalidAccountId, "account_id")?;
            (Scope::Account, a)
        }
        _ => {
            return Err(ApiError::bad(
                ErrorCode::InvalidBody,
                "give exactly one of user_id and account_id",
                None,
            ));
        }
    };
    let target = Target::of(&project, scope, &id, &locale(&req)?);
    let command = Command::Award {
        target: target.clone(),
        milestone: key.to_owned(),
    };
    let result: SubjectResult = subject::send(ctx.env, &target.object(), &command).await?;
    Ok(Response::from_json(&super::events::to_result(result)?)?)
}

/// `GET /v1/milestones/{id}/suggestions`: ways to celebrate the award, and the emails, filled
/// with its data (the account's name when the product sent it), in the caller's language.
pub async fn suggestions(req: &Request, ctx: &Ctx<'_>, id: &str) -> ApiResult<Response> {
    use cairn_core::suggestions::Email;
    use cairn_core::wire::{EmailTemplate, SuggestionView, Suggestions, fill};
    let project = auth::server_or_member(req, ctx, Role::Viewer)
        .await?
        .project;
    let row = ledger::get(ctx.env, &project.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("award in the ledger"))?;
    let account = match row.subject_type.as_str() {
        "account" => crate::accounts::traits(ctx.env, &project.id, &row.subject_id).await?,
        _ => None,
    };
    let defs = project.definitions(ctx.env).await?;
    let locale = locale(req)?;
    let customer = account
        .as_ref()
        .and_then(|a| a.name.clone())
        .unwrap_or_else(|| row.subject_id.clone());
    let date = row
        .achieved_at
        .get(..10)
        .unwrap_or(&row.achieved_at)
        .to_owned();
    let title = defs.milestone(&row.milestone_key).map_or_else(
        || row.milestone_name.clone(),
        |m| cairn_core::progress::title(&defs, m, &locale),
    );
    let values = [
        ("customer", customer.as_str()),
        ("milestone", title.as_str()),
        ("date", date.as_str()),
        ("product", project.name.as_str()),
    ];
    let email = |which| {
        let (subject, body) = cairn_core::suggestions::email(&defs, which, &locale);
        EmailTemplate {
            subject: fill(&subject, &values),
            body: fill(&body, &values),
        }
    };
    let ideas = crate::notify::slack::ideas(&defs, &row, row.tier == "advanced", &locale);
    Ok(Response::from_json(&Suggestions {
        award_id: row.id.clone(),
        suggestions: ideas
            .into_iter()
            .map(|s| SuggestionView {
                id: s.id,
                emoji: s.emoji.into(),
                text: s.text,
            })
            .collect(),
        email: email(Email::Congratulations),
        social_permission: email(Email::SocialPermission),
    })?)
}

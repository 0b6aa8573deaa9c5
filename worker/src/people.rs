//! How to reach a user: email, name, locale and their email opt-out, from the traits events
//! carry (`user` of `POST /v1/events`, a token's `traits`) and pipelines' `identify` calls.
//! Read when an email is sent, so an opt-out or an erasure meanwhile is honoured.

use cairn_core::wire::UserTraits;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

use crate::error::ApiResult;
use crate::project::DB;

/// A user's contact facts.
#[derive(Debug, Clone, Deserialize)]
pub struct Person {
    pub email: Option<String>,
    pub name: Option<String>,
    pub locale: Option<String>,
    pub email_opt_out: f64,
}

/// Whether `traits` say anything this table keeps.
pub fn worth_keeping(traits: &UserTraits) -> bool {
    traits.email.is_some()
        || traits.name.is_some()
        || traits.locale.is_some()
        || traits.email_opt_out.is_some()
}

/// Stores what `traits` say about `user` (fields not given stay as they were).
pub fn statement(
    db: &D1Database,
    project: &str,
    user: &str,
    traits: &UserTraits,
    now: &str,
) -> ApiResult<D1PreparedStatement> {
    let text = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, Into::into);
    Ok(db
        .prepare(
            "INSERT INTO people (project_id, user_id, email, name, locale, email_opt_out, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, 0), ?7) ON CONFLICT (project_id, user_id) DO UPDATE SET \
             email = coalesce(excluded.email, email), name = coalesce(excluded.name, name), \
             locale = coalesce(excluded.locale, locale), email_opt_out = coalesce(?6, email_opt_out), \
             updated_at = excluded.updated_at",
        )
        .bind(&[
            project.into(),
            user.into(),
            text(&traits.email),
            text(&traits.name),
            text(&traits.locale),
            traits
                .email_opt_out
                .map_or(JsValue::NULL, |o| f64::from(u8::from(o)).into()),
            now.into(),
        ])?)
}

/// Stores the traits of several users in one batch.
pub async fn remember(env: &Env, project: &str, users: &[(&str, &UserTraits)]) -> ApiResult<()> {
    let users: Vec<_> = users.iter().filter(|(_, t)| worth_keeping(t)).collect();
    if users.is_empty() {
        return Ok(());
    }
    let db = env.d1(DB)?;
    let now = crate::subject::now().to_string();
    let statements = users
        .iter()
        .map(|(user, traits)| statement(&db, project, user, traits, &now))
        .collect::<ApiResult<Vec<_>>>()?;
    db.batch(statements).await?;
    Ok(())
}

/// What is known of `user`.
pub async fn get(env: &Env, project: &str, user: &str) -> ApiResult<Option<Person>> {
    Ok(env
        .d1(DB)?
        .prepare("SELECT email, name, locale, email_opt_out FROM people WHERE project_id = ?1 AND user_id = ?2")
        .bind(&[project.into(), user.into()])?
        .first(None)
        .await?)
}

/// Whom to email for job subject `subject` (`user:ID`): the person and their address, or why
/// not (no address, or opted out).
pub async fn reachable(
    env: &Env,
    project: &str,
    subject: &str,
) -> ApiResult<Result<(Person, String), &'static str>> {
    let user = subject.strip_prefix("user:").unwrap_or(subject);
    let Some(person) = get(env, project, user).await? else {
        return Ok(Err("the user has no email address"));
    };
    if person.email_opt_out != 0.0 {
        return Ok(Err("the user opted out of email"));
    }
    Ok(match person.email.clone() {
        Some(email) => Ok((person, email)),
        None => Err("the user has no email address"),
    })
}

/// Erasure: forgets the user.
pub fn erase_statement(
    db: &D1Database,
    project: &str,
    user: &str,
) -> ApiResult<D1PreparedStatement> {
    Ok(db
        .prepare("DELETE FROM people WHERE project_id = ?1 AND user_id = ?2")
        .bind(&[project.into(), user.into()])?)
}

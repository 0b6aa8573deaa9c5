//! The console's members, their one-time sign-in links, and their sessions.
//!
//! A member is an email address with a role in one project. Inviting one (with the secret
//! key, the admin token or an owner's session) makes a sign-in link whose token is kept only
//! as its SHA-256; the first use of an unexpired link exchanges it for a session, whose token
//! lives in an `HttpOnly; Secure; SameSite=Strict` cookie and, again, only as a digest here.
//! The role is read from `console_members` on every request, so a demoted or removed member
//! loses their rights at once. A session names its project: it reads nothing else.

use cairn_core::wire::{ConsoleSession, Invitation, Member, Members, Role};
use serde::Deserialize;
use worker::{Env, Request};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::project::{self, DB, Project};

/// The session cookie's name.
pub const COOKIE: &str = "cairn_session";
/// How long a session lasts (it is not extended: sign in again after).
pub const SESSION_SECS: i64 = 12 * 3600;
/// How long a sign-in link may be used.
pub const LINK_SECS: i64 = 24 * 3600;
/// Longest email address accepted (RFC 5321's path limit).
const MAX_EMAIL_BYTES: usize = 254;
/// Random bytes in a link's or a session's token.
const TOKEN_BYTES: usize = 32;

/// Someone signed in to a project's console.
#[derive(Debug)]
pub struct Signed {
    pub project: Project,
    pub email: String,
    pub role: Role,
    pub expires_ms: i64,
}

impl Signed {
    /// How the ledger names them (`celebrated_by`).
    pub fn by(&self) -> String {
        format!("console:{}", self.email)
    }

    pub fn view(&self) -> ConsoleSession {
        ConsoleSession {
            project_id: self.project.id.clone(),
            project_name: self.project.name.clone(),
            email: self.email.clone(),
            role: self.role,
            expires_at: instant(self.expires_ms),
        }
    }
}

fn instant(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| String::new(), |t| t.to_string())
}

/// `email`, checked and lower-cased.
pub fn normalize_email(email: &str) -> ApiResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= MAX_EMAIL_BYTES
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err(ApiError::bad(
            ErrorCode::InvalidBody,
            "email must be an address like name@example.com (at most 254 bytes)",
            Some("email"),
        ))
    }
}

/// Makes (or re-roles) a member and their sign-in link at `origin` (the console's).
pub async fn invite(
    env: &Env,
    project: &str,
    email: &str,
    role: Role,
    by: &str,
    origin: &str,
) -> ApiResult<Invitation> {
    let email = normalize_email(email)?;
    let now = crate::subject::now();
    let now_ms = now.as_millisecond();
    let token = project::random_token(TOKEN_BYTES)?;
    let expires_ms = now_ms + LINK_SECS * 1000;
    let db = env.d1(DB)?;
    db.batch(vec![
        db.prepare(
            "INSERT INTO console_members (project_id, email, role, invited_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (project_id, email) DO UPDATE SET role = excluded.role",
        )
        .bind(&[
            project.into(),
            email.as_str().into(),
            role.as_str().into(),
            by.into(),
            now.to_string().into(),
        ])?,
        db.prepare(
            "INSERT INTO console_links (token_hash, project_id, email, expires_ms) VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(&[
            project::hash_hex(&token).into(),
            project.into(),
            email.as_str().into(),
            (expires_ms as f64).into(),
        ])?,
    ])
    .await?;
    let sign_in_url = format!("{origin}/console/?signin={token}");
    let expires_at = instant(expires_ms);
    let emailed = email_invitation(
        env,
        project,
        &email,
        role,
        &sign_in_url,
        &expires_at,
        &token,
    )
    .await?;
    Ok(Invitation {
        email,
        role,
        sign_in_url,
        expires_at,
        emailed,
    })
}

/// Sends the link through the notification pipeline when the project's Loops has a
/// `console_invite` email: a `loops` job like the Slack buttons' emails, with the link sealed
/// at rest (opened only to send). Whether a job was made.
async fn email_invitation(
    env: &Env,
    project: &str,
    email: &str,
    role: Role,
    sign_in_url: &str,
    expires_at: &str,
    token: &str,
) -> ApiResult<bool> {
    let Some(loops) =
        crate::integrations::load::<cairn_core::wire::LoopsSettings>(env, project, "loops").await?
    else {
        return Ok(false);
    };
    if !loops.transactional_ids.contains_key("console_invite") {
        return Ok(false);
    }
    #[derive(Deserialize)]
    struct Name {
        name: String,
    }
    let db = env.d1(DB)?;
    let name: Option<Name> = db
        .prepare("SELECT name FROM projects WHERE id = ?1")
        .bind(&[project.into()])?
        .first(None)
        .await?;
    let sealed = crate::crypto::seal(env, project, sign_in_url).await?;
    let payload = serde_json::json!({
        "kind": "console_invite",
        "email": email,
        "dataVariables": {
            "project": name.map(|n| n.name).unwrap_or_default(),
            "role": role.as_str(),
            "expiresAt": expires_at,
        },
        "sealed": { "signInUrl": sealed },
    });
    // The job's id names the link (a digest's prefix), never the token.
    let id = format!(
        "invite_{}",
        project::hash_hex(token).get(..24).unwrap_or_default()
    );
    let now_ms = crate::subject::now().as_millisecond();
    db.prepare(
        "INSERT OR IGNORE INTO notify_jobs (id, project_id, award_id, subject, channel, target, event_type, payload, state, due_ms, created_at) \
         VALUES (?1, ?2, ?1, ?3, 'loops', ?4, 'console.invite', ?5, 'pending', ?6, strftime('%Y-%m-%dT%H:%M:%fZ', ?6 / 1000.0, 'unixepoch'))",
    )
    .bind(&[
        id.as_str().into(),
        project.into(),
        format!("member:{email}").into(),
        email.into(),
        payload.to_string().into(),
        (now_ms as f64).into(),
    ])?
    .run()
    .await?;
    crate::notify::trigger_jobs(env, project, &[id]).await;
    Ok(true)
}

/// A project's members, by email.
pub async fn members(env: &Env, project: &str) -> ApiResult<Members> {
    #[derive(Deserialize)]
    struct Row {
        email: String,
        role: String,
        invited_by: String,
        created_at: String,
    }
    let rows: Vec<Row> = env
        .d1(DB)?
        .prepare("SELECT email, role, invited_by, created_at FROM console_members WHERE project_id = ?1 ORDER BY email")
        .bind(&[project.into()])?
        .all()
        .await?
        .results()?;
    Ok(Members {
        members: rows
            .into_iter()
            .filter_map(|r| {
                Some(Member {
                    role: Role::parse(&r.role)?,
                    email: r.email,
                    invited_by: r.invited_by,
                    created_at: r.created_at,
                })
            })
            .collect(),
    })
}

/// Exchanges a sign-in link's token for a session: the session's token and who it is.
pub async fn sign_in(env: &Env, token: &str, ip: &str) -> ApiResult<(String, Signed)> {
    #[derive(Deserialize)]
    struct Link {
        project_id: String,
        email: String,
    }
    #[derive(Deserialize)]
    struct Why {
        used_ms: Option<f64>,
    }
    let refused =
        |why: &str| ApiError::unauthorized(format!("this sign-in link {why}: ask for a new one"));
    if token.is_empty() || token.len() > 128 {
        return Err(refused("is not valid"));
    }
    crate::auth::limit_address(env, ip).await?;
    let now_ms = crate::subject::now().as_millisecond();
    let hash = project::hash_hex(token);
    let db = env.d1(DB)?;
    // One statement takes the link: of two uses at once, one gets it.
    let link: Option<Link> = db
        .prepare(
            "UPDATE console_links SET used_ms = ?2 WHERE token_hash = ?1 AND used_ms IS NULL AND expires_ms > ?2 \
             RETURNING project_id, email",
        )
        .bind(&[hash.as_str().into(), (now_ms as f64).into()])?
        .first(None)
        .await?;
    let Some(link) = link else {
        let why: Option<Why> = db
            .prepare("SELECT used_ms FROM console_links WHERE token_hash = ?1")
            .bind(&[hash.as_str().into()])?
            .first(None)
            .await?;
        return Err(match why {
            None => refused("is not valid"),
            Some(Why { used_ms: Some(_) }) => refused("was already used"),
            Some(Why { used_ms: None }) => refused("has expired"),
        });
    };
    let role = role_of(env, &link.project_id, &link.email)
        .await?
        .ok_or_else(|| refused("belongs to a member who was removed"))?;
    let project = Project::by_id(env, &link.project_id, ip)
        .await?
        .ok_or_else(|| refused("belongs to a project that no longer exists"))?;
    let session = project::random_token(TOKEN_BYTES)?;
    let expires_ms = now_ms + SESSION_SECS * 1000;
    db.prepare(
        "INSERT INTO console_sessions (token_hash, project_id, email, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(&[
        project::hash_hex(&session).into(),
        link.project_id.as_str().into(),
        link.email.as_str().into(),
        (now_ms as f64).into(),
        (expires_ms as f64).into(),
    ])?
    .run()
    .await?;
    Ok((
        session,
        Signed {
            project,
            email: link.email,
            role,
            expires_ms,
        },
    ))
}

async fn role_of(env: &Env, project: &str, email: &str) -> ApiResult<Option<Role>> {
    #[derive(Deserialize)]
    struct Row {
        role: String,
    }
    let row: Option<Row> = env
        .d1(DB)?
        .prepare("SELECT role FROM console_members WHERE project_id = ?1 AND email = ?2")
        .bind(&[project.into(), email.into()])?
        .first(None)
        .await?;
    Ok(row.and_then(|r| Role::parse(&r.role)))
}

/// The session cookie's token, if the request carries one.
pub fn cookie_token(req: &Request) -> ApiResult<Option<String>> {
    let Some(header) = req.headers().get("cookie")? else {
        return Ok(None);
    };
    Ok(cookie::Cookie::split_parse(header)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128))
}

/// Who the session cookie signs in, if it is a live session of a current member.
pub async fn session(req: &Request, env: &Env, ip: &str) -> ApiResult<Option<Signed>> {
    #[derive(Deserialize)]
    struct Row {
        project_id: String,
        email: String,
        role: String,
        expires_ms: f64,
    }
    let Some(token) = cookie_token(req)? else {
        return Ok(None);
    };
    let now_ms = crate::subject::now().as_millisecond();
    let row: Option<Row> = env
        .d1(DB)?
        .prepare(
            "SELECT s.project_id, s.email, m.role, s.expires_ms FROM console_sessions s \
             JOIN console_members m ON m.project_id = s.project_id AND m.email = s.email \
             WHERE s.token_hash = ?1 AND s.expires_ms > ?2",
        )
        .bind(&[project::hash_hex(&token).into(), (now_ms as f64).into()])?
        .first(None)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let (Some(role), Some(project)) = (
        Role::parse(&row.role),
        Project::by_id(env, &row.project_id, ip).await?,
    ) else {
        return Ok(None);
    };
    Ok(Some(Signed {
        project,
        email: row.email,
        role,
        expires_ms: row.expires_ms as i64,
    }))
}

/// Ends the request's session (if any).
pub async fn sign_out(req: &Request, env: &Env) -> ApiResult<()> {
    if let Some(token) = cookie_token(req)? {
        env.d1(DB)?
            .prepare("DELETE FROM console_sessions WHERE token_hash = ?1")
            .bind(&[project::hash_hex(&token).into()])?
            .run()
            .await?;
    }
    Ok(())
}

/// The `Set-Cookie` of a new session (`token`), or of its removal (`None`).
pub fn set_cookie(token: Option<&str>) -> String {
    let max_age = if token.is_some() { SESSION_SECS } else { 0 };
    cookie::Cookie::build((COOKIE, token.unwrap_or_default().to_owned()))
        .http_only(true)
        .secure(true)
        .same_site(cookie::SameSite::Strict)
        .path("/v1")
        .max_age(cookie::time::Duration::seconds(max_age))
        .build()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_lower_cased() {
        assert_eq!(
            normalize_email(" Ana@Example.COM ").unwrap(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
        assert!(normalize_email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn the_session_cookie_is_http_only_secure_and_strict() {
        let c = set_cookie(Some("tok"));
        for part in [
            "cairn_session=tok",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/v1",
            "Max-Age=43200",
        ] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
        assert!(set_cookie(None).contains("Max-Age=0"));
    }
}

//! What the product's backend says about its customer accounts (`PUT /v1/accounts/{id}`): the
//! context of the CSM's alert (name, customer since, ARR, health, the CSM) and who receives
//! the celebration emails. Stored in D1, one row per account.

use cairn_core::wire::{AccountRecord, AccountTraits};
use serde::Deserialize;
use worker::Env;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::project::DB;

/// Most contact emails per account.
pub const MAX_CONTACTS: usize = 20;

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad(ErrorCode::InvalidBody, message, Some(field))
}

/// Checks traits (pure).
pub fn check(t: &AccountTraits) -> ApiResult<()> {
    let short = |field: &str, v: &Option<String>, max: usize| match v {
        Some(v) if v.trim().is_empty() || v.len() > max => {
            Err(bad(field, format!("{field} must be 1 to {max} bytes")))
        }
        _ => Ok(()),
    };
    short("name", &t.name, 256)?;
    short("plan", &t.plan, 128)?;
    short("csm_name", &t.csm_name, 256)?;
    if let Some(since) = &t.customer_since {
        let ok =
            since.parse::<jiff::Timestamp>().is_ok() || since.parse::<jiff::civil::Date>().is_ok();
        if !ok {
            return Err(bad(
                "customer_since",
                "customer_since is an RFC 3339 date (2025-05-12) or instant",
            ));
        }
    }
    if t.arr.is_some_and(|a| !a.is_finite() || a < 0.0) {
        return Err(bad("arr", "arr is a number of at least 0"));
    }
    if let Some(c) = &t.currency
        && !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(bad("currency", "currency is an ISO 4217 code such as USD"));
    }
    if t.health_score
        .is_some_and(|h| !h.is_finite() || !(0.0..=100.0).contains(&h))
    {
        return Err(bad("health_score", "health_score is 0 to 100"));
    }
    if let Some(id) = &t.csm_slack_id
        && !crate::notify::slack::is_slack_id(id)
    {
        return Err(bad(
            "csm_slack_id",
            "csm_slack_id is a Slack user id such as U024BE7LH",
        ));
    }
    if t.contact_emails.len() > MAX_CONTACTS {
        return Err(bad("contact_emails", "at most 20 contact emails"));
    }
    for (i, e) in t.contact_emails.iter().enumerate() {
        let well_formed = e.len() <= 254
            && e.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
            })
            && !e.chars().any(|c| c.is_whitespace() || c == '<' || c == '>');
        if !well_formed {
            return Err(bad(&format!("contact_emails[{i}]"), "not an email address"));
        }
    }
    Ok(())
}

/// Stores `traits` for `account`.
pub async fn put(
    env: &Env,
    project: &str,
    account: &str,
    traits: AccountTraits,
) -> ApiResult<AccountRecord> {
    check(&traits)?;
    let now = crate::subject::now().to_string();
    env.d1(DB)?
        .prepare(
            "INSERT INTO accounts (project_id, account_id, traits, updated_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (project_id, account_id) DO UPDATE SET traits = excluded.traits, updated_at = excluded.updated_at",
        )
        .bind(&[
            project.into(),
            account.into(),
            serde_json::to_string(&traits)?.into(),
            now.as_str().into(),
        ])?
        .run()
        .await?;
    Ok(AccountRecord {
        account_id: account.to_owned(),
        traits,
        updated_at: now,
    })
}

/// What is stored for `account`.
pub async fn get(env: &Env, project: &str, account: &str) -> ApiResult<Option<AccountRecord>> {
    #[derive(Deserialize)]
    struct Row {
        traits: String,
        updated_at: String,
    }
    let row: Option<Row> = env
        .d1(DB)?
        .prepare(
            "SELECT traits, updated_at FROM accounts WHERE project_id = ?1 AND account_id = ?2",
        )
        .bind(&[project.into(), account.into()])?
        .first(None)
        .await?;
    row.map(|r| {
        Ok(AccountRecord {
            account_id: account.to_owned(),
            traits: serde_json::from_str(&r.traits)?,
            updated_at: r.updated_at,
        })
    })
    .transpose()
}

/// The traits of `account`, if the product sent any.
pub async fn traits(env: &Env, project: &str, account: &str) -> ApiResult<Option<AccountTraits>> {
    Ok(get(env, project, account).await?.map(|r| r.traits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traits_are_checked() {
        let ok = AccountTraits {
            name: Some("GrowthCorp".into()),
            customer_since: Some("2025-05-12".into()),
            arr: Some(65_000.0),
            currency: Some("USD".into()),
            health_score: Some(85.0),
            csm_slack_id: Some("U024BE7LH".into()),
            contact_emails: vec!["ops@growthcorp.example".into()],
            ..AccountTraits::default()
        };
        assert!(check(&ok).is_ok());
        let bad_cases = [
            (
                "customer_since",
                AccountTraits {
                    customer_since: Some("last spring".into()),
                    ..ok.clone()
                },
            ),
            (
                "arr",
                AccountTraits {
                    arr: Some(-1.0),
                    ..ok.clone()
                },
            ),
            (
                "health_score",
                AccountTraits {
                    health_score: Some(101.0),
                    ..ok.clone()
                },
            ),
            (
                "currency",
                AccountTraits {
                    currency: Some("dollars".into()),
                    ..ok.clone()
                },
            ),
            (
                "csm_slack_id",
                AccountTraits {
                    csm_slack_id: Some("<!channel>".into()),
                    ..ok.clone()
                },
            ),
            (
                "contact_emails[0]",
                AccountTraits {
                    contact_emails: vec!["<!here>@x.y".into()],
                    ..ok.clone()
                },
            ),
            (
                "name",
                AccountTraits {
                    name: Some(" ".into()),
                    ..ok
                },
            ),
        ];
        for (path, t) in bad_cases {
            assert_eq!(check(&t).unwrap_err().path.as_deref(), Some(path));
        }
    }
}

//! A project's connected services: Slack, Loops, PostHog, Intercom (`PUT/GET /v1/integrations`).
//!
//! Each provider's settings are stored twice: the whole of them sealed (AES-GCM under the
//! deployment's key, see [`crate::crypto`]; what deliveries open), and the parts that are not
//! credentials in the clear (what `GET` shows, beside the *names* of the credentials that are
//! set). No answer ever carries a credential. Every URL is checked like a webhook endpoint's:
//! `https://` on a public host, or a loopback receiver in development.

use std::collections::BTreeMap;

use cairn_core::wire::{
    IntegrationView, IntegrationsUpdate, IntegrationsView, IntercomSettings, LoopsSettings,
    PostHogSettings, SlackSettings,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use worker::Env;

use crate::crypto;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::notify::{Settings, endpoints};
use crate::project::DB;

/// The providers, in the order `GET` lists them.
pub const PROVIDERS: &[&str] = &["slack", "loops", "posthog", "intercom"];

/// Default API roots (the real services).
pub const SLACK_API: &str = "https://slack.com/api";
pub const LOOPS_API: &str = "https://app.loops.so/api";
pub const POSTHOG_HOST: &str = "https://us.i.posthog.com";
pub const INTERCOM_API: &str = "https://api.intercom.io";

/// Transactional email ids Loops settings may name (besides `recap.{tier or milestone}`).
const LOOPS_IDS: &[&str] = &[
    "celebration",
    "social_permission",
    "recap",
    "nudge",
    "console_invite",
];

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad(ErrorCode::InvalidBody, message, Some(field))
}

fn text(field: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.trim().is_empty() || value.len() > max {
        return Err(bad(field, format!("{field} must be 1 to {max} bytes")));
    }
    Ok(())
}

fn url(field: &str, value: Option<&str>, dev: bool) -> ApiResult<()> {
    if let Some(u) = value {
        endpoints::check_url(u, dev).map_err(|e| e.at(field))?;
    }
    Ok(())
}

/// One provider's settings, checked: what is stored in the clear, and which credentials.
trait Provider: serde::Serialize + DeserializeOwned {
    const NAME: &'static str;
    fn check(&self, dev: bool) -> ApiResult<()>;
    /// The settings that are not credentials, as text.
    fn public(&self) -> BTreeMap<String, String>;
    /// The names of the credentials that are set.
    fn secret_names(&self) -> Vec<&'static str>;
}

impl Provider for SlackSettings {
    const NAME: &'static str = "slack";

    fn check(&self, dev: bool) -> ApiResult<()> {
        text("slack.signing_secret", &self.signing_secret, 256)?;
        match (&self.bot_token, &self.channel, &self.webhook_url) {
            (Some(token), Some(channel), None) => {
                text("slack.bot_token", token, 512)?;
                if !token.starts_with("xox") {
                    return Err(bad("slack.bot_token", "a bot token starts with xoxb-"));
                }
                text("slack.channel", channel, 64)?;
            }
            (None, None, Some(hook)) => url("slack.webhook_url", Some(hook), dev)?,
            _ => {
                return Err(bad(
                    "slack",
                    "give bot_token and channel, or webhook_url (not both)",
                ));
            }
        }
        url("slack.api_url", self.api_url.as_deref(), dev)
    }

    fn public(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let mode = if self.webhook_url.is_some() {
            "webhook"
        } else {
            "bot"
        };
        out.insert("mode".into(), mode.into());
        if let Some(c) = &self.channel {
            out.insert("channel".into(), c.clone());
        }
        out.insert(
            "alert_holdout".into(),
            self.alert_holdout.unwrap_or(false).to_string(),
        );
        out.insert(
            "api_url".into(),
            self.api_url.clone().unwrap_or_else(|| SLACK_API.into()),
        );
        out
    }

    fn secret_names(&self) -> Vec<&'static str> {
        let mut names = vec!["signing_secret"];
        if self.bot_token.is_some() {
            names.push("bot_token");
        }
        if self.webhook_url.is_some() {
            names.push("webhook_url");
        }
        names
    }
}

impl Provider for LoopsSettings {
    const NAME: &'static str = "loops";

    fn check(&self, dev: bool) -> ApiResult<()> {
        text("loops.api_key", &self.api_key, 512)?;
        for (name, id) in &self.transactional_ids {
            let known = LOOPS_IDS.contains(&name.as_str())
                || name
                    .strip_prefix("recap.")
                    .or_else(|| name.strip_prefix("nudge."))
                    .is_some_and(cairn_core::definitions::is_valid_key);
            if !known {
                return Err(bad(
                    "loops.transactional_ids",
                    format!(
                        "unknown email {name:?} (known: celebration, social_permission, recap, recap.{{tier or milestone}}, nudge, nudge.{{milestone}}, console_invite)"
                    ),
                ));
            }
            text(&format!("loops.transactional_ids.{name}"), id, 128)?;
        }
        url("loops.api_url", self.api_url.as_deref(), dev)
    }

    fn public(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = self
            .transactional_ids
            .iter()
            .map(|(k, v)| (format!("transactional_ids.{k}"), v.clone()))
            .collect();
        out.insert(
            "api_url".into(),
            self.api_url.clone().unwrap_or_else(|| LOOPS_API.into()),
        );
        out
    }

    fn secret_names(&self) -> Vec<&'static str> {
        vec!["api_key"]
    }
}

impl Provider for PostHogSettings {
    const NAME: &'static str = "posthog";

    fn check(&self, dev: bool) -> ApiResult<()> {
        text("posthog.api_key", &self.api_key, 512)?;
        url("posthog.host", self.host.as_deref(), dev)
    }

    fn public(&self) -> BTreeMap<String, String> {
        BTreeMap::from([(
            "host".to_owned(),
            self.host.clone().unwrap_or_else(|| POSTHOG_HOST.into()),
        )])
    }

    fn secret_names(&self) -> Vec<&'static str> {
        vec!["api_key"]
    }
}

impl Provider for IntercomSettings {
    const NAME: &'static str = "intercom";

    fn check(&self, dev: bool) -> ApiResult<()> {
        text("intercom.access_token", &self.access_token, 1024)?;
        url("intercom.api_url", self.api_url.as_deref(), dev)
    }

    fn public(&self) -> BTreeMap<String, String> {
        BTreeMap::from([(
            "api_url".to_owned(),
            self.api_url.clone().unwrap_or_else(|| INTERCOM_API.into()),
        )])
    }

    fn secret_names(&self) -> Vec<&'static str> {
        vec!["access_token"]
    }
}

/// What one provider's update does: a statement, once its settings are checked and sealed.
async fn change<P: Provider>(
    env: &Env,
    db: &worker::D1Database,
    project: &str,
    change: Option<Option<P>>,
    dev: bool,
    now: &str,
) -> ApiResult<Option<worker::D1PreparedStatement>> {
    let Some(change) = change else {
        return Ok(None);
    };
    let Some(settings) = change else {
        return Ok(Some(
            db.prepare("DELETE FROM integrations WHERE project_id = ?1 AND provider = ?2")
                .bind(&[project.into(), P::NAME.into()])?,
        ));
    };
    settings.check(dev)?;
    let sealed = crypto::seal(env, project, &serde_json::to_string(&settings)?).await?;
    Ok(Some(
        db.prepare(
            "INSERT INTO integrations (project_id, provider, settings, secrets, secret_names, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (project_id, provider) DO UPDATE SET \
             settings = excluded.settings, secrets = excluded.secrets, secret_names = excluded.secret_names, \
             updated_at = excluded.updated_at",
        )
        .bind(&[
            project.into(),
            P::NAME.into(),
            serde_json::to_string(&settings.public())?.into(),
            sealed.into(),
            serde_json::to_string(&settings.secret_names())?.into(),
            now.into(),
        ])?,
    ))
}

/// Applies `update` (all of it, or nothing when any part is invalid).
pub async fn put(env: &Env, project: &str, update: IntegrationsUpdate) -> ApiResult<()> {
    let dev = Settings::of(env).dev_scale.is_some();
    let db = env.d1(DB)?;
    let now = crate::subject::now().to_string();
    let statements: Vec<_> = [
        change(env, &db, project, update.slack, dev, &now).await?,
        change(env, &db, project, update.loops, dev, &now).await?,
        change(env, &db, project, update.posthog, dev, &now).await?,
        change(env, &db, project, update.intercom, dev, &now).await?,
    ]
    .into_iter()
    .flatten()
    .collect();
    if !statements.is_empty() {
        db.batch(statements).await?;
    }
    Ok(())
}

/// Every provider's state.
pub async fn view(env: &Env, project: &str) -> ApiResult<IntegrationsView> {
    #[derive(Deserialize)]
    struct Row {
        provider: String,
        settings: String,
        secret_names: String,
        updated_at: String,
    }
    let rows: Vec<Row> = env
        .d1(DB)?
        .prepare("SELECT provider, settings, secret_names, updated_at FROM integrations WHERE project_id = ?1")
        .bind(&[project.into()])?
        .all()
        .await?
        .results()?;
    let integrations = PROVIDERS
        .iter()
        .map(|p| match rows.iter().find(|r| r.provider == *p) {
            Some(r) => IntegrationView {
                provider: (*p).to_owned(),
                connected: true,
                settings: serde_json::from_str(&r.settings).unwrap_or_default(),
                secrets_set: serde_json::from_str(&r.secret_names).unwrap_or_default(),
                updated_at: Some(r.updated_at.clone()),
            },
            None => IntegrationView {
                provider: (*p).to_owned(),
                connected: false,
                settings: BTreeMap::new(),
                secrets_set: Vec::new(),
                updated_at: None,
            },
        })
        .collect();
    Ok(IntegrationsView { integrations })
}

/// A provider's full settings (credentials opened), if it is connected.
pub async fn load<P: DeserializeOwned>(
    env: &Env,
    project: &str,
    provider: &str,
) -> ApiResult<Option<P>> {
    #[derive(Deserialize)]
    struct Row {
        secrets: String,
    }
    let row: Option<Row> = env
        .d1(DB)?
        .prepare("SELECT secrets FROM integrations WHERE project_id = ?1 AND provider = ?2")
        .bind(&[project.into(), provider.into()])?
        .first(None)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let plain = crypto::open(env, project, &row.secrets).await?;
    Ok(Some(serde_json::from_str(&plain)?))
}

//! Projects: which product a request belongs to, its keys, origins and definitions, in D1.
//!
//! Definitions versions never change once written, so compiled definitions are cached per
//! isolate by (project, version).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use cairn_core::wire::{CreatedProject, NewProject};
use cairn_core::{Compiled, Definitions};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use worker::{D1Database, Env};

use crate::error::{ApiError, ApiResult};

/// Binding name of the D1 database in `wrangler.toml`.
pub const DB: &str = "DB";

/// A product using Cairn.
#[derive(Debug, Clone)]
pub struct Project {
    /// Stable id (`prj_…`), part of every subject's name.
    pub id: String,
    /// The product's name (in emails and alerts).
    pub name: String,
    /// Secrets user tokens may be signed with, current first.
    pub identity_secrets: Vec<String>,
    /// Origins allowed to call the client API (`*` allows any).
    pub allowed_origins: Vec<String>,
    /// Current definitions version (0: none yet).
    pub definitions_version: i64,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    name: String,
    identity_secrets: String,
    allowed_origins: String,
    definitions_version: i64,
}

impl TryFrom<Row> for Project {
    type Error = ApiError;
    fn try_from(r: Row) -> ApiResult<Self> {
        Ok(Self {
            id: r.id,
            name: r.name,
            identity_secrets: serde_json::from_str(&r.identity_secrets)?,
            allowed_origins: serde_json::from_str(&r.allowed_origins)?,
            definitions_version: r.definitions_version,
        })
    }
}

const COLUMNS: &str = "id, name, identity_secrets, allowed_origins, definitions_version";

impl Project {
    /// The project whose publishable key is `key`.
    pub async fn by_publishable_key(env: &Env, key: &str, ip: &str) -> ApiResult<Option<Self>> {
        Self::find(env, "publishable_key", key, ip).await
    }

    /// The project whose secret key is `key` (compared by hash).
    pub async fn by_secret_key(env: &Env, key: &str, ip: &str) -> ApiResult<Option<Self>> {
        Self::find(env, "secret_key_hash", &hash_hex(key), ip).await
    }

    /// The project whose id is `id` (a console session's).
    pub async fn by_id(env: &Env, id: &str, ip: &str) -> ApiResult<Option<Self>> {
        Self::find(env, "id", id, ip).await
    }

    /// The project whose `column` is `value`. Answers, hits and misses alike, are kept in this
    /// isolate for [`PROJECT_TTL_MS`], so repeated unknown keys cost no D1 query; before a query,
    /// the caller's address (`ip`) is counted against the per-address limit.
    async fn find(env: &Env, column: &str, value: &str, ip: &str) -> ApiResult<Option<Self>> {
        let cache_key = format!("{column}={value}");
        let now = worker::Date::now().as_millis();
        if let Some(hit) = PROJECTS.with(|c| {
            c.borrow()
                .get(&cache_key)
                .filter(|(_, until)| *until > now)
                .map(|(p, _)| p.clone())
        }) {
            return Ok(hit);
        }
        crate::auth::limit_address(env, ip).await?;
        count(|s| s.key_lookups += 1);
        let db = env.d1(DB)?;
        let row: Option<Row> = db
            .prepare(format!(
                "SELECT {COLUMNS} FROM projects WHERE {column} = ?1"
            ))
            .bind(&[value.into()])?
            .first(None)
            .await?;
        let project = row.map(Self::try_from).transpose()?;
        PROJECTS.with(|c| {
            let mut cache = c.borrow_mut();
            if cache.len() >= MAX_CACHED {
                cache.retain(|_, (_, until)| *until > now);
                if cache.len() >= MAX_CACHED {
                    cache.clear();
                }
            }
            cache.insert(cache_key, (project.clone(), now + PROJECT_TTL_MS));
        });
        Ok(project)
    }

    /// Whether a browser page at `origin` may call the client API of this project; `own` is the
    /// API's own origin (the demo site and the API share it).
    pub fn allows_origin(&self, origin: &str, own: &str) -> bool {
        origin == own || self.allowed_origins.iter().any(|o| o == "*" || o == origin)
    }

    /// The name of the Durable Object that is the single writer of `user_id`.
    pub fn user_object(&self, user_id: &str) -> String {
        crate::objects::user(&self.id, user_id)
    }

    /// The name of the Durable Object that is the single writer of `account_id`.
    pub fn account_object(&self, account_id: &str) -> String {
        crate::objects::account(&self.id, account_id)
    }

    /// The current definitions, compiled (cached per isolate).
    pub async fn definitions(&self, env: &Env) -> ApiResult<Rc<Compiled>> {
        definitions(env, &self.id, self.definitions_version).await
    }
}

/// How long an isolate trusts its copy of a project: a key rotation or new definitions reach
/// every isolate within this time (at once in the isolate that made the change).
const PROJECT_TTL_MS: u64 = 10_000;

/// Most projects (and misses) an isolate keeps.
const MAX_CACHED: usize = 10_000;

/// Forgets this isolate's copies of projects and origins (after a change).
pub fn forget_cached_projects() {
    PROJECTS.with(|c| c.borrow_mut().clear());
    ORIGINS.with(|o| *o.borrow_mut() = None);
}

/// What this isolate asked D1 on behalf of authentication and preflights (`GET
/// /v1/admin/isolate`): the measure of what unauthenticated traffic costs.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct IsolateStats {
    /// Key lookups (cache misses for secret and publishable keys).
    pub key_lookups: u64,
    /// Reloads of the set of allowed origins (for preflights).
    pub origin_lookups: u64,
}

/// This isolate's counters.
pub fn isolate_stats() -> IsolateStats {
    STATS.with(|s| *s.borrow())
}

fn count(f: impl FnOnce(&mut IsolateStats)) {
    STATS.with(|s| f(&mut s.borrow_mut()));
}

thread_local! {
    static PROJECTS: RefCell<HashMap<String, (Option<Project>, u64)>> = RefCell::new(HashMap::new());
    static COMPILED: RefCell<HashMap<(String, i64), Rc<Compiled>>> = RefCell::new(HashMap::new());
    static ORIGINS: RefCell<Option<(Rc<std::collections::HashSet<String>>, u64)>> = const { RefCell::new(None) };
    static STATS: RefCell<IsolateStats> = RefCell::new(IsolateStats::default());
}

/// Whether any project allows browser calls from `origin` (what a preflight, which carries no
/// key, can know). The set of every project's origins is kept in this isolate for
/// [`PROJECT_TTL_MS`].
pub async fn allowed_anywhere(env: &Env, origin: &str) -> ApiResult<bool> {
    let now = worker::Date::now().as_millis();
    let cached = ORIGINS.with(|o| {
        o.borrow()
            .as_ref()
            .filter(|(_, until)| *until > now)
            .map(|(set, _)| Rc::clone(set))
    });
    let set = match cached {
        Some(set) => set,
        None => {
            #[derive(Deserialize)]
            struct Origin {
                origin: String,
            }
            count(|s| s.origin_lookups += 1);
            let rows: Vec<Origin> = env
                .d1(DB)?
                .prepare("SELECT DISTINCT json_each.value AS origin FROM projects, json_each(projects.allowed_origins)")
                .all()
                .await?
                .results()?;
            let set = Rc::new(rows.into_iter().map(|r| r.origin).collect());
            ORIGINS.with(|o| *o.borrow_mut() = Some((Rc::clone(&set), now + PROJECT_TTL_MS)));
            set
        }
    };
    Ok(set.contains(origin) || set.contains("*"))
}

/// Version `version` of `project`'s definitions, compiled; version 0 is "none yet".
/// The project's current definitions (compiled, cached per isolate by version).
pub async fn current_definitions(env: &Env, project: &str) -> ApiResult<Rc<Compiled>> {
    #[derive(Deserialize)]
    struct Row {
        definitions_version: i64,
    }
    let row: Option<Row> = env
        .d1(DB)?
        .prepare("SELECT definitions_version FROM projects WHERE id = ?1")
        .bind(&[project.into()])?
        .first(None)
        .await?;
    let version = row.map_or(0, |r| r.definitions_version);
    definitions(env, project, version).await
}

pub async fn definitions(env: &Env, project: &str, version: i64) -> ApiResult<Rc<Compiled>> {
    let key = (project.to_owned(), version);
    if let Some(hit) = COMPILED.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(hit);
    }
    let compiled = if version == 0 {
        Definitions {
            version: 1,
            ..Definitions::default()
        }
        .compile()
    } else {
        let body: Option<String> = env
            .d1(DB)?
            .prepare("SELECT body FROM definitions WHERE project_id = ?1 AND version = ?2")
            .bind(&[project.into(), (version as f64).into()])?
            .first(Some("body"))
            .await?;
        let body = body.ok_or_else(|| {
            ApiError::internal(format!("definitions {project} v{version} missing"))
        })?;
        Definitions::from_json(&body).and_then(Definitions::compile)
    }
    .map_err(|e| ApiError::internal(format!("stored definitions do not compile: {e}")))?;
    let compiled = Rc::new(compiled);
    COMPILED.with(|c| c.borrow_mut().insert(key, Rc::clone(&compiled)));
    Ok(compiled)
}

/// Creates a project with fresh keys.
pub async fn create(env: &Env, new: NewProject, now: &str) -> ApiResult<CreatedProject> {
    let id = format!("prj_{}", random_token(12)?);
    let publishable_key = format!("pk_{}", random_token(24)?);
    let secret_key = format!("sk_{}", random_token(32)?);
    let identity_secret = random_token(32)?;
    env.d1(DB)?
        .prepare(
            "INSERT INTO projects (id, name, publishable_key, secret_key_hash, identity_secrets, allowed_origins, \
             definitions_version, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
        )
        .bind(&[
            id.as_str().into(),
            new.name.as_str().into(),
            publishable_key.as_str().into(),
            hash_hex(&secret_key).into(),
            serde_json::to_string(&[&identity_secret])?.into(),
            serde_json::to_string(&new.allowed_origins)?.into(),
            now.into(),
        ])?
        .run()
        .await?;
    Ok(CreatedProject {
        id,
        name: new.name,
        publishable_key,
        secret_key,
        identity_secret,
        allowed_origins: new.allowed_origins,
    })
}

/// Stores `defs` (already validated) as the project's next definitions version.
pub async fn put_definitions(
    env: &Env,
    project: &Project,
    defs: &Definitions,
    source: Option<&str>,
    by: &str,
    now: &str,
) -> ApiResult<i64> {
    let db: D1Database = env.d1(DB)?;
    let version = project.definitions_version + 1;
    let body = serde_json::to_string(defs)?;
    let results = db
        .batch(vec![
            db.prepare("INSERT INTO definitions (project_id, version, body, created_at, source, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .bind(&[
                    project.id.as_str().into(),
                    (version as f64).into(),
                    body.into(),
                    now.into(),
                    source.map_or(wasm_bindgen::JsValue::NULL, Into::into),
                    by.into(),
                ])?,
            db.prepare("UPDATE projects SET definitions_version = ?2 WHERE id = ?1 AND definitions_version = ?3")
                .bind(&[project.id.as_str().into(), (version as f64).into(), (project.definitions_version as f64).into()])?,
        ])
        .await;
    forget_cached_projects();
    match results {
        Ok(_) => Ok(version),
        // Two concurrent PUTs: the primary key on (project, version) rejects the second.
        Err(e) if e.to_string().contains("UNIQUE") => Err(ApiError::conflict(
            "the definitions changed meanwhile; retry",
        )),
        Err(e) => Err(e.into()),
    }
}

pub use cairn_core::wire::KeyKind;

/// Rotates `kind` of `project`; returns the new value (shown once). With `retire_previous`
/// and `IdentitySecret`, only drops the previous identity secrets and returns the current one.
pub async fn rotate(
    env: &Env,
    project: &Project,
    kind: KeyKind,
    retire_previous: bool,
) -> ApiResult<String> {
    let db = env.d1(DB)?;
    let (value, statement) = match kind {
        KeyKind::IdentitySecret if retire_previous => {
            let current = project
                .identity_secrets
                .first()
                .cloned()
                .unwrap_or_default();
            let json = serde_json::to_string(&[&current])?;
            (
                current,
                db.prepare("UPDATE projects SET identity_secrets = ?2 WHERE id = ?1")
                    .bind(&[project.id.as_str().into(), json.into()])?,
            )
        }
        KeyKind::IdentitySecret => {
            let new = random_token(32)?;
            let mut secrets = vec![new.clone()];
            secrets.extend(project.identity_secrets.first().cloned());
            let json = serde_json::to_string(&secrets)?;
            (
                new,
                db.prepare("UPDATE projects SET identity_secrets = ?2 WHERE id = ?1")
                    .bind(&[project.id.as_str().into(), json.into()])?,
            )
        }
        KeyKind::SecretKey => {
            let new = format!("sk_{}", random_token(32)?);
            let hash = hash_hex(&new);
            (
                new,
                db.prepare("UPDATE projects SET secret_key_hash = ?2 WHERE id = ?1")
                    .bind(&[project.id.as_str().into(), hash.into()])?,
            )
        }
        KeyKind::PublishableKey => {
            let new = format!("pk_{}", random_token(24)?);
            (
                new.clone(),
                db.prepare("UPDATE projects SET publishable_key = ?2 WHERE id = ?1")
                    .bind(&[project.id.as_str().into(), new.into()])?,
            )
        }
    };
    statement.run().await?;
    forget_cached_projects();
    Ok(value)
}

/// One stored definitions version.
#[derive(Debug, Deserialize)]
pub struct StoredVersion {
    pub version: f64,
    pub body: String,
    pub source: Option<String>,
    pub created_at: String,
    pub created_by: Option<String>,
}

/// Version `version` of `project`'s definitions, or every version's header (newest first,
/// without bodies) when `version` is `None`.
pub async fn stored_versions(
    env: &Env,
    project: &str,
    version: Option<i64>,
) -> ApiResult<Vec<StoredVersion>> {
    let db: D1Database = env.d1(DB)?;
    let statement = match version {
        Some(v) => db
            .prepare("SELECT version, body, source, created_at, created_by FROM definitions WHERE project_id = ?1 AND version = ?2")
            .bind(&[project.into(), (v as f64).into()])?,
        None => db
            .prepare("SELECT version, '' AS body, NULL AS source, created_at, created_by FROM definitions WHERE project_id = ?1 ORDER BY version DESC LIMIT 200")
            .bind(&[project.into()])?,
    };
    Ok(statement.all().await?.results()?)
}

/// SHA-256 of `text`, hex.
pub fn hash_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `bytes` random bytes from the platform's CSPRNG (Web Crypto), base32-ish lowercase.
pub fn random_token(bytes: usize) -> ApiResult<String> {
    let array = js_sys::Uint8Array::new_with_length(bytes as u32);
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).map_err(js)?;
    let get = js_sys::Reflect::get(&crypto, &"getRandomValues".into()).map_err(js)?;
    let get: js_sys::Function = wasm_bindgen::JsCast::dyn_into(get).map_err(js)?;
    get.call1(&crypto, &array).map_err(js)?;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    Ok(array
        .to_vec()
        .iter()
        .map(|b| {
            char::from(
                ALPHABET
                    .get(usize::from(*b) % ALPHABET.len())
                    .copied()
                    .unwrap_or(b'a'),
            )
        })
        .collect())
}

fn js(e: wasm_bindgen::JsValue) -> ApiError {
    ApiError::internal(format!("{e:?}"))
}

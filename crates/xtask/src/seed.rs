//! Local state for development and tests: D1 migrations, and the demo project with fixed,
//! development-only keys (never valid on a deployment: it is only ever seeded locally).

use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::{cmd, npm_bin, root};

/// The demo project.
pub const DEMO_PROJECT_ID: &str = "prj_demo";
/// Its publishable key (safe in HTML by design).
pub const DEMO_PUBLISHABLE_KEY: &str = "pk_demo_acme_0000000000000000";
/// Its secret key: development only.
pub const DEMO_SECRET_KEY: &str = "sk_demo_acme_dev_only_0000000000000000";
/// The secret its (pretend) backend signs user tokens with: development only.
pub const DEMO_IDENTITY_SECRET: &str = "demo-identity-secret-dev-only-00000000000000";
/// The deployment admin token of local runs (`CAIRN_ADMIN_TOKEN`).
pub const DEV_ADMIN_TOKEN: &str = "cairn-dev-admin-token-0000000000000000";
/// The development key that seals stored secrets (32 bytes, base64). A deployment sets its own
/// with `wrangler secret put CAIRN_SECRETS_KEY`.
pub const DEV_SECRETS_KEY: &str = "Y2Fpcm4tZGV2ZWxvcG1lbnQtc2VhbGluZy1rZXktMDA=";

/// Applies D1 migrations to the local state in `persist_to` and seeds the demo project.
pub fn prepare(persist_to: &Path) -> Result<()> {
    cmd::run_quiet(&mut d1(&["migrations", "apply", "cairn"], persist_to))?;
    let seed = persist_to.with_extension("seed.sql");
    std::fs::create_dir_all(persist_to)?;
    std::fs::write(&seed, demo_sql()?).with_context(|| format!("writing {}", seed.display()))?;
    cmd::run_quiet(
        d1(&["execute", "cairn"], persist_to)
            .arg("--file")
            .arg(&seed),
    )
}

/// Runs `sql` against the local D1 database in `persist_to` (tests use it to inject failures).
pub fn d1_execute(persist_to: &Path, sql: &str) -> Result<()> {
    cmd::run_quiet(d1(&["execute", "cairn"], persist_to).args(["--command", sql]))
}

/// `wrangler d1 <subcommand> --local --persist-to <persist_to>`, offline and non-interactive.
fn d1(subcommand: &[&str], persist_to: &Path) -> std::process::Command {
    let mut c = cmd::new(npm_bin("wrangler"));
    c.arg("d1")
        .args(subcommand)
        .args(["--local", "--persist-to"])
        .arg(persist_to);
    c.env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "true")
        .stdin(std::process::Stdio::null());
    c
}

/// SQL that creates (or resets the keys of) the demo project with the demo definitions.
fn demo_sql() -> Result<String> {
    let toml = std::fs::read_to_string(root().join("examples/acme/cairn.toml"))?;
    let defs = cairn_core::Definitions::from_toml(&toml)?;
    let json = serde_json::to_string(&defs)?;
    let hash: String = Sha256::digest(DEMO_SECRET_KEY.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let q = |s: &str| format!("'{}'", s.replace('\'', "''"));
    Ok(format!(
        "INSERT INTO projects (id, name, publishable_key, secret_key_hash, identity_secrets, allowed_origins, definitions_version, created_at) \
         VALUES ({id}, 'Acme Projects (demo)', {pk}, {hash}, {secrets}, '[\"*\"]', 1, '2026-01-01T00:00:00Z') \
         ON CONFLICT (id) DO UPDATE SET publishable_key = excluded.publishable_key, secret_key_hash = excluded.secret_key_hash, \
         identity_secrets = excluded.identity_secrets;\n\
         INSERT OR IGNORE INTO definitions (project_id, version, body, created_at, source, created_by) VALUES ({id}, 1, {body}, '2026-01-01T00:00:00Z', {source}, 'seed');\n",
        id = q(DEMO_PROJECT_ID),
        pk = q(DEMO_PUBLISHABLE_KEY),
        hash = q(&hash),
        secrets = q(&serde_json::to_string(&[DEMO_IDENTITY_SECRET])?),
        body = q(&json),
        source = q(&toml),
    ))
}

/// The demo project's owner in the console (`cargo xtask dev` prints their sign-in link).
pub const DEMO_OWNER_EMAIL: &str = "owner@acme.example";

/// Makes the demo owner a console member and a fresh one-time sign-in link for them (24
/// hours); returns the link's token. Its digest is stored, exactly as the worker stores its own.
pub fn demo_sign_in(persist_to: &Path) -> Result<String> {
    let mut bytes = [0u8; 24];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash: String = Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let expires = now + 24 * 3600 * 1000;
    d1_execute(
        persist_to,
        &format!(
            "INSERT INTO console_members (project_id, email, role, invited_by, created_at) \
             VALUES ('{DEMO_PROJECT_ID}', '{DEMO_OWNER_EMAIL}', 'owner', 'admin', '2026-01-01T00:00:00Z') \
             ON CONFLICT (project_id, email) DO UPDATE SET role = 'owner'; \
             INSERT INTO console_links (token_hash, project_id, email, expires_ms) \
             VALUES ('{hash}', '{DEMO_PROJECT_ID}', '{DEMO_OWNER_EMAIL}', {expires});"
        ),
    )?;
    Ok(token)
}

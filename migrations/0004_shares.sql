-- Sharing (worker/src/shares.rs): public badge pages, their visits, the signups they brought,
-- and the keys that sign their Open Badges credentials.

-- How the project presents itself on public pages: {site_url, logo_url, accent, background,
-- text}, each optional.
ALTER TABLE projects ADD COLUMN brand TEXT NOT NULL DEFAULT '{}';

-- One signing key pair per project (RS256), current first; retired keys stay published so
-- credentials signed before a rotation still verify.
CREATE TABLE issuer_keys (
  project_id TEXT NOT NULL,
  kid TEXT NOT NULL,
  public_jwk TEXT NOT NULL,               -- JSON: kty, n, e, alg, use, kid
  private_sealed TEXT NOT NULL,           -- the private JWK, sealed with CAIRN_SECRETS_KEY
  created_at TEXT NOT NULL,
  retired_at TEXT,
  PRIMARY KEY (project_id, kid)
);
CREATE UNIQUE INDEX issuer_keys_current ON issuer_keys (project_id) WHERE retired_at IS NULL;

-- A public badge: one live share per award and sharer.
CREATE TABLE shares (
  id TEXT PRIMARY KEY,                    -- sh_ and 32 hex digits (128 random bits)
  project_id TEXT NOT NULL,
  award_id TEXT NOT NULL,
  user_id TEXT NOT NULL,                  -- the sharer (never shown)
  milestone_key TEXT NOT NULL,
  badge TEXT NOT NULL,                    -- JSON: what the page shows (cairn_share::Badge)
  origin TEXT NOT NULL,                   -- the page it was shared from (the default call to action)
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  visits INTEGER NOT NULL DEFAULT 0,
  signups INTEGER NOT NULL DEFAULT 0,
  status_index INTEGER NOT NULL           -- its bit in the project's revocation status list
);
CREATE UNIQUE INDEX shares_status ON shares (project_id, status_index);
CREATE UNIQUE INDEX shares_live ON shares (project_id, award_id, user_id) WHERE revoked_at IS NULL;
CREATE INDEX shares_by_user ON shares (project_id, user_id);

-- The status bits of erased users' shares: still revoked (a credential downloaded before the
-- erasure must not verify as valid), and never given to another share. Nothing else is kept.
CREATE TABLE share_tombstones (
  project_id TEXT NOT NULL,
  status_index INTEGER NOT NULL,
  PRIMARY KEY (project_id, status_index)
);

-- One row per visitor per day per share: a salted hash (no address or user agent kept).
CREATE TABLE share_visits (
  share_id TEXT NOT NULL,
  day TEXT NOT NULL,
  visitor TEXT NOT NULL,
  PRIMARY KEY (share_id, day, visitor)
);

-- The share a new user came from (at most one per user).
CREATE TABLE attributions (
  project_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  share_id TEXT NOT NULL,
  source TEXT NOT NULL,                   -- 'widget' | 'server'
  created_at TEXT NOT NULL,
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX attributions_by_share ON attributions (share_id);

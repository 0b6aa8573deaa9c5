-- Projects: one per product using Cairn, created with the deployment admin token.
CREATE TABLE projects (
  id TEXT PRIMARY KEY,                   -- prj_…
  name TEXT NOT NULL,
  publishable_key TEXT NOT NULL UNIQUE,  -- pk_…, safe in HTML
  secret_key_hash TEXT NOT NULL UNIQUE,  -- SHA-256 (hex) of sk_…; the key itself is shown once
  identity_secrets TEXT NOT NULL,        -- JSON array, current first; two during a rotation
  allowed_origins TEXT NOT NULL,         -- JSON array of origins allowed to call the client API
  definitions_version INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);

-- Versioned milestone definitions; a version is never changed once written.
CREATE TABLE definitions (
  project_id TEXT NOT NULL REFERENCES projects (id),
  version INTEGER NOT NULL,
  body TEXT NOT NULL,                    -- the definitions as JSON
  created_at TEXT NOT NULL,
  PRIMARY KEY (project_id, version)
);

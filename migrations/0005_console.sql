-- The console: its members, their one-time sign-in links and sessions, and the impact rollup.

-- Whether an award is compared in the impact analysis (reached live: celebrated unless the
-- subject is held out), whether it is its user's first compared award, and the return days
-- seen after it (bit 1: D1, 2: D7, 4: D30). Rows from before this migration are not compared.
ALTER TABLE milestones ADD COLUMN eligible INTEGER NOT NULL DEFAULT 0;
ALTER TABLE milestones ADD COLUMN first_eligible INTEGER NOT NULL DEFAULT 0;
ALTER TABLE milestones ADD COLUMN returned INTEGER NOT NULL DEFAULT 0;

-- Counters per (milestone, UTC award day, arm): eligible user awards and their returns.
-- `*` counts each user's first compared milestone. No user-days: see ARCHITECTURE.md.
CREATE TABLE impact_daily (
  project_id TEXT NOT NULL,
  milestone_key TEXT NOT NULL,
  day TEXT NOT NULL,                     -- YYYY-MM-DD (UTC) of the awards
  arm INTEGER NOT NULL,                  -- 1: celebrated, 0: holdout
  users INTEGER NOT NULL DEFAULT 0,
  d1 INTEGER NOT NULL DEFAULT 0,
  d7 INTEGER NOT NULL DEFAULT 0,
  d30 INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, milestone_key, day, arm)
);

-- Who may use a project's console, and as what.
CREATE TABLE console_members (
  project_id TEXT NOT NULL REFERENCES projects (id),
  email TEXT NOT NULL,                   -- lower-cased
  role TEXT NOT NULL CHECK (role IN ('viewer', 'csm', 'owner')),
  invited_by TEXT NOT NULL,              -- `api`, `admin` or `console:EMAIL`
  created_at TEXT NOT NULL,
  PRIMARY KEY (project_id, email)
);

-- One-time sign-in links: only the token's SHA-256 is kept.
CREATE TABLE console_links (
  token_hash TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  email TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER
);
CREATE INDEX console_links_by_member ON console_links (project_id, email);

-- Sessions (the cookie holds the token; only its SHA-256 is kept). The role is read from
-- console_members on every request, so a changed or removed member takes effect at once.
CREATE TABLE console_sessions (
  token_hash TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  email TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
);
CREATE INDEX console_sessions_by_member ON console_sessions (project_id, email);

-- The account of an award: an account's own id, or the account a user's event named when
-- they reached it (the console's feed shows its context beside the award).
ALTER TABLE milestones ADD COLUMN account_id TEXT;
UPDATE milestones SET account_id = subject_id WHERE subject_type = 'account';

-- Per account: its milestones and its users', by tier (the case-study ranking), counted in the
-- ledger's batch as each award row is written (once: only while the row is new).
CREATE TABLE account_milestones (
  project_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  advanced INTEGER NOT NULL DEFAULT 0,
  mid INTEGER NOT NULL DEFAULT 0,
  total INTEGER NOT NULL DEFAULT 0,
  latest_at TEXT NOT NULL,
  PRIMARY KEY (project_id, account_id)
);

-- Where marketing stands with an account about a case study.
CREATE TABLE case_studies (
  project_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('asked', 'agreed', 'declined')),
  note TEXT,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, account_id)
);

-- Time to first milestone: users per (UTC ISO week of their first live event, whole hours from
-- it to their first compared milestone). Exact quantiles at an hour's resolution, a bounded
-- number of rows (weeks × distinct hours), never one row per user.
CREATE TABLE first_milestones (
  project_id TEXT NOT NULL,
  signup_week TEXT NOT NULL,             -- the Monday, YYYY-MM-DD
  hours INTEGER NOT NULL,
  users INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, signup_week, hours)
);

-- Progression: users who reached at least one milestone of each tier (`*`: any milestone).
CREATE TABLE tier_reach (
  project_id TEXT NOT NULL,
  tier TEXT NOT NULL,
  users INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, tier)
);

-- A definitions version's text as it was sent (TOML; the console's editor shows it), and who
-- published it (`api`, `console:EMAIL`, or `rollback to N by …`).
ALTER TABLE definitions ADD COLUMN source TEXT;
ALTER TABLE definitions ADD COLUMN created_by TEXT;

-- The notification pipeline (see worker/src/notify/): webhook endpoints, one durable record
-- per delivery job, and every attempt's log. The queue only triggers jobs; these rows decide.

-- A project's webhook endpoints (Standard Webhooks). Secrets are `whsec_…`, stored encrypted
-- (AES-GCM, the deployment's CAIRN_SECRETS_KEY) and shown only when made.
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,                   -- ep_…
  project_id TEXT NOT NULL REFERENCES projects (id),
  url TEXT NOT NULL,
  event_types TEXT NOT NULL,             -- JSON array of event types
  description TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1,
  disabled_reason TEXT,                  -- why the worker disabled it (410, failing for 5 days)
  secret TEXT NOT NULL,                  -- encrypted current secret
  previous_secret TEXT,                  -- encrypted, during a rotation's overlap
  previous_until INTEGER,                -- ms since epoch: end of the overlap
  failing_since INTEGER,                 -- ms since epoch of the first failure since a success
  created_at TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_project ON webhook_endpoints (project_id);

-- One row per job (award or event × channel × target); its id is the webhook-id.
CREATE TABLE notify_jobs (
  id TEXT PRIMARY KEY,                   -- {award}:{event type}:{target}
  project_id TEXT NOT NULL,
  award_id TEXT NOT NULL,
  subject TEXT NOT NULL,                 -- user:ID or account:ID (erasure drops a user's jobs)
  channel TEXT NOT NULL,                 -- webhook
  target TEXT NOT NULL,                  -- the endpoint id
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,                 -- the exact body, the same on every attempt
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'skipped')),
  reason TEXT,                           -- why it failed or was skipped
  attempts INTEGER NOT NULL DEFAULT 0,  -- every attempt so far
  round_start INTEGER NOT NULL DEFAULT 0, -- attempts before this round (a manual retry starts one)
  due_ms INTEGER NOT NULL,               -- next attempt not before
  lease_ms INTEGER NOT NULL DEFAULT 0,   -- an attempt is under way until
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX notify_jobs_due ON notify_jobs (project_id, state, due_ms);
CREATE INDEX notify_jobs_by_target ON notify_jobs (target, created_at);
CREATE INDEX notify_jobs_by_award ON notify_jobs (award_id);

-- Every attempt of every job.
CREATE TABLE notify_attempts (
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at TEXT NOT NULL,
  status INTEGER,                        -- HTTP status; NULL when no answer came
  latency_ms INTEGER NOT NULL,
  error TEXT,
  next_ms INTEGER,                       -- when the next attempt is due, if any
  PRIMARY KEY (job_id, attempt)
);

-- A project's connected services (Slack, Loops, PostHog, Intercom): settings in the clear,
-- credentials sealed (AES-GCM under CAIRN_SECRETS_KEY), never returned by the API.
CREATE TABLE integrations (
  project_id TEXT NOT NULL REFERENCES projects (id),
  provider TEXT NOT NULL CHECK (provider IN ('slack', 'loops', 'posthog', 'intercom')),
  settings TEXT NOT NULL,                -- JSON object of the settings that are not secrets
  secrets TEXT NOT NULL,                 -- sealed JSON object of the credentials
  secret_names TEXT NOT NULL,            -- JSON array: which credentials are set
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, provider)
);

-- What the product's backend says about its customer accounts (PUT /v1/accounts/{id}).
CREATE TABLE accounts (
  project_id TEXT NOT NULL REFERENCES projects (id),
  account_id TEXT NOT NULL,
  traits TEXT NOT NULL,                  -- JSON (AccountTraits)
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, account_id)
);

-- How to reach a user (from the traits events carry, and pipelines' identify calls): what
-- the recap email needs, read when it is sent (an opt-out meanwhile is honoured).
CREATE TABLE people (
  project_id TEXT NOT NULL REFERENCES projects (id),
  user_id TEXT NOT NULL,
  email TEXT,
  name TEXT,
  locale TEXT,
  email_opt_out INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, user_id)
);

-- Which account a user belongs to, from a pipeline's `group` calls (a later `track` without a
-- groupId counts for it).
CREATE TABLE memberships (
  project_id TEXT NOT NULL REFERENCES projects (id),
  user_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, user_id)
);

-- The Slack message posted for an award (a bot's can be updated in place).
CREATE TABLE slack_messages (
  project_id TEXT NOT NULL,
  award_id TEXT NOT NULL,
  channel TEXT,
  ts TEXT,
  actions TEXT NOT NULL DEFAULT '[]',    -- JSON array of what people did from it
  PRIMARY KEY (project_id, award_id)
);

-- Who recorded a celebration (a Slack user, or the API).
ALTER TABLE milestones ADD COLUMN celebrated_by TEXT;

-- What a webhook says about an award: one shape for every event type, built here once.
CREATE VIEW milestone_payloads AS
SELECT id, project_id, subject_type, subject_id, celebrate, holdout, seen_at, json_object(
  'id', id, 'project_id', project_id, 'subject_type', subject_type, 'subject_id', subject_id,
  'milestone_key', milestone_key, 'milestone_name', milestone_name, 'kind', kind, 'tier', tier,
  'value', value, 'achieved_at', achieved_at,
  'celebrate', json(CASE celebrate WHEN 1 THEN 'true' ELSE 'false' END),
  'holdout', json(CASE holdout WHEN 1 THEN 'true' ELSE 'false' END),
  'seen_at', seen_at,
  'celebrated', json(CASE celebrated WHEN 1 THEN 'true' ELSE 'false' END),
  'celebrated_at', celebrated_at, 'celebration_type', celebration_type,
  'celebrated_by', celebrated_by, 'notes', notes,
  'created_at', created_at
) AS data
FROM milestones;

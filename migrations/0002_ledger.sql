-- The milestone ledger (after PRD-114): one row per award, written by the subject's Durable
-- Object through its outbox (idempotent on the award id), read by customer success and marketing.
CREATE TABLE milestones (
  id TEXT PRIMARY KEY,                    -- award id (aw_…), deterministic
  project_id TEXT NOT NULL,
  subject_type TEXT NOT NULL CHECK (subject_type IN ('user', 'account')),
  subject_id TEXT NOT NULL,
  milestone_key TEXT NOT NULL,
  milestone_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  tier TEXT NOT NULL,
  value INTEGER NOT NULL,
  achieved_at TEXT NOT NULL,
  celebrate INTEGER NOT NULL,             -- 0 for history, holdout and retroactive awards
  holdout INTEGER NOT NULL,
  seen_at TEXT,
  celebrated INTEGER NOT NULL DEFAULT 0,  -- by a person (CSM), recorded through the API
  celebrated_at TEXT,
  celebration_type TEXT,
  notes TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX milestones_by_subject ON milestones (project_id, subject_type, subject_id);
CREATE INDEX milestones_by_time ON milestones (project_id, achieved_at, id);
CREATE INDEX milestones_by_key ON milestones (project_id, milestone_key, achieved_at);

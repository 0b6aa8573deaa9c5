-- What the product team tunes with (worker/src/impact.rs, worker/src/ladder.rs): conversions
-- after awards, calls to action shown and clicked, the setup → activation → habit funnel, and
-- the ladder-tuning histogram. Counters only; the arithmetic is in ARCHITECTURE.md.

-- Of the impact rollup's awards, those followed by a conversion event within 14 days (the
-- milestones row's `returned` bit 8).
ALTER TABLE impact_daily ADD COLUMN converted INTEGER NOT NULL DEFAULT 0;

-- The award's funnel stage (`setup`, `activation`, `habit`), and its call to action shown
-- (bit 1) and clicked (bit 2), once each per award.
ALTER TABLE milestones ADD COLUMN stage TEXT;
ALTER TABLE milestones ADD COLUMN cta INTEGER NOT NULL DEFAULT 0;

-- Calls to action per milestone: awards whose CTA was shown, and clicked.
CREATE TABLE cta_stats (
  project_id TEXT NOT NULL,
  milestone_key TEXT NOT NULL,
  tier TEXT NOT NULL,
  views INTEGER NOT NULL DEFAULT 0,
  clicks INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, milestone_key)
);

-- The funnel: users who reached at least one milestone of each stage.
CREATE TABLE stage_reach (
  project_id TEXT NOT NULL,
  stage TEXT NOT NULL,
  users INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, stage)
);

-- Ladder tuning: users whose total on `metric` crossed `value` (a value of the logarithmic
-- grid in cairn_core::ladder) `days` whole days after their first event (capped at 365).
-- `*` / 1 / 0 counts each user's first event of any metric.
CREATE TABLE ladder_reach (
  project_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  value INTEGER NOT NULL,
  days INTEGER NOT NULL,
  users INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, metric, value, days)
) WITHOUT ROWID;

-- The outbox items whose counters D1 has (a redelivered item counts once); kept two days,
-- far longer than an item can wait for redelivery.
CREATE TABLE rollup_keys (
  project_id TEXT NOT NULL,
  key TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (project_id, key)
) WITHOUT ROWID;
CREATE INDEX rollup_keys_by_time ON rollup_keys (project_id, at);

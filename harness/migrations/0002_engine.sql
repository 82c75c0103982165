-- kbench store, schema 2: reproducible salts, per-phase costs, cached answers.

-- 0 when the salt came from KBENCH_SALT: the run's inputs can be derived by anyone.
ALTER TABLE runs ADD COLUMN salt_secret INTEGER NOT NULL DEFAULT 1;

-- Seconds the parent spent computing the references of the trial sets, and timing the
-- baselines, for this task.
ALTER TABLE run_tasks ADD COLUMN reference_seconds REAL;
ALTER TABLE run_tasks ADD COLUMN baseline_seconds REAL;

-- Wall seconds of the timing worker (checks: worker_seconds).
ALTER TABLE samples ADD COLUMN timing_seconds REAL;

-- kbench store, schema 1. Everything a report or the curation needs.

CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    -- JSON: task filter, samples, timing plan, limits (what --resume needs)
    config TEXT NOT NULL,
    -- JSON: device, compiler, OS, kbench version, roofline peaks
    environment TEXT NOT NULL,
    -- Private: derives the trial seeds. Never printed, reported or exported.
    salt TEXT NOT NULL
);

CREATE TABLE run_tasks (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    task_id TEXT NOT NULL,
    -- blake3 of the task's declared definition and PyTorch source
    definition_hash TEXT NOT NULL,
    flops INTEGER NOT NULL,
    min_bytes INTEGER NOT NULL,
    PRIMARY KEY (run_id, task_id)
);

CREATE TABLE baselines (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    task_id TEXT NOT NULL,
    -- 'rust-reference' or 'pytorch-eager'
    kind TEXT NOT NULL,
    calls INTEGER NOT NULL,
    min_s REAL NOT NULL,
    median_s REAL NOT NULL,
    mean_s REAL NOT NULL,
    stddev_s REAL NOT NULL,
    PRIMARY KEY (run_id, task_id, kind)
);

CREATE TABLE samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    task_id TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    turn INTEGER NOT NULL DEFAULT 1,
    prompt TEXT,
    answer TEXT,
    reasoning TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    reasoning_tokens INTEGER,
    llm_seconds REAL,
    cost_usd REAL,
    llm_attempts INTEGER,
    from_cache INTEGER,
    code TEXT,
    -- no_answer | no_code | compile_error | fault | wrong | correct
    outcome TEXT NOT NULL,
    compiled INTEGER NOT NULL,
    correct INTEGER NOT NULL,
    fault TEXT,
    detail TEXT,
    compile_log TEXT,
    compile_key TEXT,
    compile_cached INTEGER,
    compile_seconds REAL,
    kernel_calls INTEGER,
    kernel_min_s REAL,
    kernel_median_s REAL,
    kernel_mean_s REAL,
    kernel_stddev_s REAL,
    timed_outputs_ok INTEGER,
    -- Rust reference median / kernel median
    speedup REAL,
    -- PyTorch eager median / kernel median, where PyTorch was timed
    speedup_pytorch REAL,
    faster_than_roofline INTEGER,
    network_isolated INTEGER,
    filesystem_confined INTEGER,
    worker_seconds REAL,
    created_at TEXT NOT NULL,
    UNIQUE (run_id, task_id, sample_index, turn)
);

CREATE TABLE trials (
    sample_id INTEGER NOT NULL REFERENCES samples(id),
    trial INTEGER NOT NULL,
    status INTEGER,
    passed INTEGER NOT NULL,
    inputs_unchanged INTEGER,
    -- max |out - ref|, and e = max |out - ref| / (1 + |ref|): a pass at any
    -- atol = rtol = t is recomputable as e <= t
    max_abs_err REAL,
    max_e REAL,
    mismatches INTEGER,
    first_mismatch TEXT,
    PRIMARY KEY (sample_id, trial)
);

-- Every request to a model and its answer, keyed by a hash of provider, model,
-- parameters, prompt, sample and turn: a re-run asks nothing twice.
CREATE TABLE llm_cache (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX samples_by_run ON samples (run_id, task_id);

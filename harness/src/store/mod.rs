//! The SQLite store (through `sqlx`): runs, tasks, baselines, samples and trials.
//!
//! One file, WAL mode, embedded migrations. A sample and its trials are written in one
//! transaction, keyed by `(run, task, sample, turn)`, so a run killed at any moment
//! resumes without losing or duplicating a result.

mod curate;
mod records;
mod report;

pub use curate::{CurateSampleRow, CurateTextRow};
pub use records::{
    NewRun, RunRow, RunSummary, RunUsage, SampleRecord, SampleRow, TrialRecord, TurnRow,
};
pub use report::{ReportRunRow, ReportSampleRow, RunTaskRow, SampleTextRow, TrialRow};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use thiserror::Error;

/// Errors of the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database refused a statement.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The folder of the database file could not be created.
    #[error("cannot create {path}: {source}")]
    Io {
        /// The folder.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// No run has this id.
    #[error("no run {0} in the database; `kbench runs` lists them")]
    NoSuchRun(i64),
}

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// A stored baseline timing.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct BaselineRow {
    /// Timed calls.
    pub calls: i64,
    /// Fastest call, seconds.
    pub min_s: f64,
    /// Median call, seconds.
    pub median_s: f64,
    /// Mean, seconds.
    pub mean_s: f64,
    /// Standard deviation, seconds.
    pub stddev_s: f64,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    /// Closes every connection, writing the write-ahead log back into the database file.
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// Creates a run and returns its id.
    pub async fn create_run(&self, run: &NewRun) -> Result<i64, StoreError> {
        let id = sqlx::query(
            "INSERT INTO runs (created_at, backend, model, config, environment, salt, \
               salt_secret) VALUES (datetime('now'), ?, ?, ?, ?, ?, ?)",
        )
        .bind(&run.backend)
        .bind(&run.model)
        .bind(&run.config)
        .bind(&run.environment)
        .bind(&run.salt)
        .bind(run.salt_secret)
        .execute(&self.pool)
        .await?
        .last_insert_rowid();
        Ok(id)
    }

    /// Loads a run, salt included (for resuming only).
    pub async fn run(&self, id: i64) -> Result<RunRow, StoreError> {
        sqlx::query_as::<_, RunRow>(
            "SELECT id, created_at, finished_at, backend, model, config, environment, salt, \
                    salt_secret \
             FROM runs WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NoSuchRun(id))
    }

    /// Marks a run finished.
    pub async fn finish_run(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE runs SET finished_at = datetime('now') WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes a run that has no stored sample (a run stopped before its first result),
    /// with its task and baseline rows. Returns whether it was deleted.
    pub async fn delete_run_if_empty(&self, id: i64) -> Result<bool, StoreError> {
        // Every statement writes, so the transaction takes the write lock at its first
        // statement and waits for it (a transaction that read first could not upgrade
        // while tasks of the stopped run were still writing: `database is locked`).
        let mut tx = self.pool.begin().await?;
        let mut deleted = 0;
        for (table, key) in [
            ("baselines", "run_id"),
            ("run_tasks", "run_id"),
            ("runs", "id"),
        ] {
            deleted = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE {key} = ?1 \
                 AND NOT EXISTS (SELECT 1 FROM samples WHERE run_id = ?1)"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// Records what preparing a task cost: generating its trial inputs (stored as
    /// `reference_seconds`, the column's name from when references were computed
    /// apart) and timing its baselines, whose calls now give the references.
    pub async fn record_task_costs(
        &self,
        run: i64,
        task_id: &str,
        reference_seconds: f64,
        baseline_seconds: f64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE run_tasks SET reference_seconds = ?, \
               baseline_seconds = COALESCE(baseline_seconds, 0) + ? \
             WHERE run_id = ? AND task_id = ?",
        )
        .bind(reference_seconds)
        .bind(baseline_seconds)
        .bind(run)
        .bind(task_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every run with its counts, newest first. The salt is not read.
    pub async fn runs(&self) -> Result<Vec<RunSummary>, StoreError> {
        Ok(sqlx::query_as::<_, RunSummary>(
            "SELECT r.id, r.created_at, r.finished_at, r.backend, r.model, \
                    COALESCE(json_extract(r.config, '$.sizes'), 'paper') AS sizes, \
                    COUNT(s.id) AS samples, COALESCE(SUM(s.compiled), 0) AS compiled, \
                    COALESCE(SUM(s.correct), 0) AS correct, \
                    COALESCE(SUM(CASE WHEN s.from_cache THEN 0 ELSE s.input_tokens END), 0) \
                      AS input_tokens, \
                    COALESCE(SUM(CASE WHEN s.from_cache THEN 0 ELSE s.output_tokens END), 0) \
                      AS output_tokens, \
                    SUM(CASE WHEN s.from_cache THEN NULL ELSE s.cost_usd END) AS cost_usd \
             FROM runs r LEFT JOIN samples s ON s.run_id = r.id \
             GROUP BY r.id ORDER BY r.id DESC",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records which task definition a run used.
    pub async fn record_task(
        &self,
        run: i64,
        task_id: &str,
        definition_hash: &str,
        flops: u64,
        min_bytes: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT OR IGNORE INTO run_tasks (run_id, task_id, definition_hash, flops, min_bytes) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(run)
        .bind(task_id)
        .bind(definition_hash)
        .bind(flops as i64)
        .bind(min_bytes as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A stored baseline, if measured.
    pub async fn baseline(
        &self,
        run: i64,
        task_id: &str,
        kind: &str,
    ) -> Result<Option<BaselineRow>, StoreError> {
        Ok(sqlx::query_as::<_, BaselineRow>(
            "SELECT calls, min_s, median_s, mean_s, stddev_s FROM baselines \
             WHERE run_id = ? AND task_id = ? AND kind = ?",
        )
        .bind(run)
        .bind(task_id)
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Stores a baseline (first writer wins).
    pub async fn save_baseline(
        &self,
        run: i64,
        task_id: &str,
        kind: &str,
        b: &BaselineRow,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT OR IGNORE INTO baselines \
             (run_id, task_id, kind, calls, min_s, median_s, mean_s, stddev_s) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(run)
        .bind(task_id)
        .bind(kind)
        .bind(b.calls)
        .bind(b.min_s)
        .bind(b.median_s)
        .bind(b.mean_s)
        .bind(b.stddev_s)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sample indices already stored for `(run, task)` at turn 1.
    pub async fn done_samples(&self, run: i64, task_id: &str) -> Result<BTreeSet<i64>, StoreError> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT sample_index FROM samples WHERE run_id = ? AND task_id = ? AND turn = 1",
        )
        .bind(run)
        .bind(task_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(i,)| i).collect())
    }

    /// Stores a sample and its trials in one transaction.
    pub async fn save_sample(&self, s: &SampleRecord) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = sqlx::query(
            "INSERT INTO samples (run_id, task_id, sample_index, turn, \
               input_tokens, output_tokens, reasoning_tokens, llm_seconds, cost_usd, \
               llm_attempts, from_cache, \
               outcome, compiled, correct, fault, detail, compile_key, \
               compile_cached, compile_seconds, kernel_calls, kernel_min_s, kernel_median_s, \
               kernel_mean_s, kernel_stddev_s, timed_outputs_ok, speedup, \
               speedup_pytorch, faster_than_roofline, network_isolated, filesystem_confined, \
               reads_confined, signals_confined, syscalls_filtered, processes_hidden, \
               unprivileged, worker_seconds, timing_seconds, finish_reason, reasoning_chars, \
               time_estimated, roofline_fraction, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
               ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
               datetime('now'))",
        )
        .bind(s.run_id)
        .bind(&s.task_id)
        .bind(s.sample_index)
        .bind(s.turn)
        .bind(s.input_tokens.map(|n| n as i64))
        .bind(s.output_tokens.map(|n| n as i64))
        .bind(s.reasoning_tokens.map(|n| n as i64))
        .bind(s.llm_seconds)
        .bind(s.cost_usd)
        .bind(s.llm_attempts.map(i64::from))
        .bind(s.from_cache)
        .bind(s.outcome)
        .bind(s.compiled)
        .bind(s.correct)
        .bind(&s.fault)
        .bind(&s.detail)
        .bind(&s.compile_key)
        .bind(s.compile_cached)
        .bind(s.compile_seconds)
        .bind(s.kernel.map(|k| k.calls as i64))
        .bind(s.kernel.map(|k| k.min))
        .bind(s.kernel.map(|k| k.median))
        .bind(s.kernel.map(|k| k.mean))
        .bind(s.kernel.map(|k| k.stddev))
        .bind(s.timed_outputs_ok)
        .bind(s.speedup)
        .bind(s.speedup_pytorch)
        .bind(s.faster_than_roofline)
        .bind(s.network_isolated)
        .bind(s.filesystem_confined)
        .bind(s.reads_confined)
        .bind(s.signals_confined)
        .bind(s.syscalls_filtered)
        .bind(s.processes_hidden)
        .bind(s.unprivileged)
        .bind(s.worker_seconds)
        .bind(s.timing_seconds)
        .bind(&s.finish_reason)
        .bind(s.reasoning_chars())
        .bind(s.time_estimated)
        .bind(s.roofline_fraction)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        sqlx::query(
            "INSERT INTO sample_texts (sample_id, code, compile_log, prompt, answer, reasoning) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&s.code)
        .bind(&s.compile_log)
        .bind(&s.prompt)
        .bind(&s.answer)
        .bind(&s.reasoning)
        .execute(&mut *tx)
        .await?;
        for t in &s.trials {
            sqlx::query(
                "INSERT INTO trials (sample_id, trial, status, passed, inputs_unchanged, \
                   max_abs_err, max_e, mismatches, first_mismatch) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(t.trial)
            .bind(t.status)
            .bind(t.passed)
            .bind(t.inputs_unchanged)
            .bind(t.max_abs_err)
            .bind(t.max_e)
            .bind(t.mismatches)
            .bind(&t.first_mismatch)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// A cached model answer (JSON), if any.
    pub async fn cache_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT response FROM llm_cache WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(r,)| r))
    }

    /// Caches a model answer (first writer wins).
    pub async fn cache_put(
        &self,
        key: &str,
        model: &str,
        request: &str,
        response: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT OR IGNORE INTO llm_cache (key, model, request, response, created_at) \
             VALUES (?, ?, ?, ?, datetime('now'))",
        )
        .bind(key)
        .bind(model)
        .bind(request)
        .bind(response)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The last stored turn of one sample, for resuming a repair loop.
    pub async fn last_turn(
        &self,
        run: i64,
        task_id: &str,
        sample: i64,
    ) -> Result<Option<TurnRow>, StoreError> {
        Ok(sqlx::query_as::<_, TurnRow>(
            "SELECT s.turn, t.prompt, s.outcome, s.correct, t.code, s.detail, t.compile_log, \
                    s.kernel_median_s, s.speedup \
             FROM samples s JOIN sample_texts t ON t.sample_id = s.id \
             WHERE s.run_id = ? AND s.task_id = ? AND s.sample_index = ? \
             ORDER BY s.turn DESC LIMIT 1",
        )
        .bind(run)
        .bind(task_id)
        .bind(sample)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Tokens, seconds and cost of a run's model calls, summed over the answers that
    /// were not served from the cache (those cost nothing); cached answers are counted.
    pub async fn usage(&self, run: i64) -> Result<RunUsage, StoreError> {
        Ok(sqlx::query_as::<_, RunUsage>(
            "SELECT COALESCE(SUM(CASE WHEN cached THEN 0 ELSE input_tokens END), 0) \
                      AS input_tokens, \
                    COALESCE(SUM(CASE WHEN cached THEN 0 ELSE output_tokens END), 0) \
                      AS output_tokens, \
                    COALESCE(SUM(CASE WHEN cached THEN 0 ELSE reasoning_tokens END), 0) \
                      AS reasoning_tokens, \
                    COALESCE(SUM(CASE WHEN cached THEN 0.0 ELSE llm_seconds END), 0.0) \
                      AS llm_seconds, \
                    SUM(CASE WHEN cached THEN NULL ELSE cost_usd END) AS cost_usd, \
                    COALESCE(SUM(cached), 0) AS cached \
             FROM (SELECT *, COALESCE(from_cache, 0) AS cached FROM samples WHERE run_id = ?)",
        )
        .bind(run)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Every trial of a run as `(task, sample, turn, trial, max |out - ref|)`, in that
    /// order.
    pub async fn trial_errors(
        &self,
        run: i64,
    ) -> Result<Vec<(String, i64, i64, i64, Option<f64>)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT s.task_id, s.sample_index, s.turn, t.trial, t.max_abs_err \
             FROM trials t JOIN samples s ON s.id = t.sample_id WHERE s.run_id = ? \
             ORDER BY s.task_id, s.sample_index, s.turn, t.trial",
        )
        .bind(run)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every sample of a run, in task and sample order.
    pub async fn samples(&self, run: i64) -> Result<Vec<SampleRow>, StoreError> {
        Ok(sqlx::query_as::<_, SampleRow>(
            "SELECT task_id, sample_index, turn, outcome, compiled, correct, fault, detail, \
                    kernel_median_s, speedup, speedup_pytorch, faster_than_roofline, \
                    roofline_fraction, network_isolated, filesystem_confined, reads_confined, signals_confined, \
                    syscalls_filtered, processes_hidden, unprivileged, EXISTS (SELECT 1 FROM baselines b WHERE b.run_id = s.run_id \
                            AND b.task_id = s.task_id AND b.kind = 'pytorch-eager') \
                      AS has_pytorch_baseline \
             FROM samples s WHERE run_id = ? ORDER BY task_id, sample_index, turn",
        )
        .bind(run)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::Store;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    /// A store of schema 4 (texts inside `samples`) keeps every text, and gains the
    /// trimmed length of each trace, when schema 5 moves the texts apart.
    #[tokio::test]
    async fn schema_5_moves_the_texts_and_loses_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.sqlite");
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = SqlitePoolOptions::new()
            .connect_with(options)
            .await
            .expect("pool");
        sqlx::migrate!("./migrations")
            .run_to(4, &pool)
            .await
            .expect("schema 4");
        sqlx::raw_sql(
            "INSERT INTO runs (id, created_at, backend, model, config, environment, salt) \
               VALUES (1, 'then', 'some-backend', 'm', '{}', '{}', '00'); \
             INSERT INTO samples (id, run_id, task_id, sample_index, turn, prompt, answer, \
               reasoning, code, compile_log, outcome, compiled, correct, detail, created_at) \
               VALUES (7, 1, 'activation/relu', 0, 1, 'the prompt', 'the answer', \
               '  a trace\n', 'int x;', 'a warning', 'wrong', 1, 0, 'off by one', 'then');",
        )
        .execute(&pool)
        .await
        .expect("old rows");
        pool.close().await;

        let store = Store::open(&path).await.expect("migrates");
        let texts = store.run_texts(1).await.expect("texts");
        assert_eq!(texts.len(), 1);
        let t = &texts[0];
        assert_eq!(t.answer.as_deref(), Some("the answer"));
        assert_eq!(t.reasoning.as_deref(), Some("  a trace\n"));
        assert_eq!(t.code.as_deref(), Some("int x;"));
        assert_eq!(t.compile_log.as_deref(), Some("a warning"));
        let last = store
            .last_turn(1, "activation/relu", 0)
            .await
            .expect("turn")
            .expect("stored");
        assert_eq!(last.prompt.as_deref(), Some("the prompt"));
        let rows = store.curate_samples(1).await.expect("rows");
        assert_eq!(rows[0].reasoning_chars, 7, "`a trace`, trimmed");
        assert!(rows[0].has_prompt && rows[0].has_answer);
        assert_eq!(rows[0].finish_reason, None);
    }
}

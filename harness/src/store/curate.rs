//! What `kbench curate` reads: every sample turn's verdicts and numbers without its
//! texts (one pass, held in memory), then the code and the texts streamed row by row.

use super::{SampleRow, Store, StoreError};
use futures_util::TryStreamExt;

/// One stored sample turn with what the filters and rules need, texts left out.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CurateSampleRow {
    /// Row id (fetches the texts).
    pub id: i64,
    /// Run.
    pub run_id: i64,
    /// What summaries read of it: task, sample, turn, outcome, speedup, flags, sandbox.
    #[sqlx(flatten)]
    pub sample: SampleRow,
    /// Correctness trials run.
    pub trials: i64,
    /// Correctness trials passed.
    pub trials_passed: i64,
    /// A prompt is stored.
    pub has_prompt: bool,
    /// An answer is stored.
    pub has_answer: bool,
    /// Characters of the reasoning trace without surrounding whitespace (0: none).
    pub reasoning_chars: i64,
    /// Reasoning tokens, as the provider counted them.
    pub reasoning_tokens: Option<i64>,
    /// Answer tokens.
    pub output_tokens: Option<i64>,
    /// The provider's finish reason.
    pub finish_reason: Option<String>,
    /// Mean kernel call, seconds.
    pub kernel_mean_s: Option<f64>,
    /// Standard deviation of the kernel calls, seconds.
    pub kernel_stddev_s: Option<f64>,
    /// The timed calls' outputs were right.
    pub timed_outputs_ok: Option<bool>,
}

/// The texts of one sample turn, for writing it out.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CurateTextRow {
    /// Row id.
    pub id: i64,
    /// The prompt sent.
    pub prompt: Option<String>,
    /// The model's answer.
    pub answer: Option<String>,
    /// The reasoning trace.
    pub reasoning: Option<String>,
}

impl Store {
    /// Every sample turn of a run without its texts, in task, sample and turn order.
    pub async fn curate_samples(&self, run: i64) -> Result<Vec<CurateSampleRow>, StoreError> {
        Ok(sqlx::query_as::<_, CurateSampleRow>(
            "SELECT s.id, s.run_id, s.task_id, s.sample_index, s.turn, s.outcome, s.compiled, \
                    s.correct, s.fault, s.detail, s.kernel_median_s, s.speedup, \
                    s.speedup_pytorch, s.faster_than_roofline, s.roofline_fraction, \
                    s.network_isolated, \
                    s.filesystem_confined, s.reads_confined, s.signals_confined, \
                    s.syscalls_filtered, s.processes_hidden, s.unprivileged, \
                    EXISTS (SELECT 1 FROM baselines b WHERE b.run_id = s.run_id \
                            AND b.task_id = s.task_id AND b.kind = 'pytorch-eager') \
                      AS has_pytorch_baseline, \
                    (SELECT COUNT(*) FROM trials tr WHERE tr.sample_id = s.id) AS trials, \
                    (SELECT COUNT(*) FROM trials tr WHERE tr.sample_id = s.id AND tr.passed) \
                      AS trials_passed, \
                    tx.prompt IS NOT NULL AS has_prompt, tx.answer IS NOT NULL AS has_answer, \
                    COALESCE(s.reasoning_chars, 0) AS reasoning_chars, \
                    s.reasoning_tokens, s.output_tokens, s.finish_reason, \
                    s.kernel_mean_s, s.kernel_stddev_s, s.timed_outputs_ok \
             FROM samples s JOIN sample_texts tx ON tx.sample_id = s.id \
             WHERE s.run_id = ? ORDER BY s.task_id, s.sample_index, s.turn",
        )
        .bind(run)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Calls `visit` with the id and code of every correct sample turn of a run that has
    /// code, one row at a time (the code is never all in memory).
    pub async fn for_each_correct_code<F>(&self, run: i64, mut visit: F) -> Result<(), StoreError>
    where
        F: FnMut(i64, &str),
    {
        let mut rows = sqlx::query_as::<_, (i64, String)>(
            "SELECT s.id, t.code FROM samples s JOIN sample_texts t ON t.sample_id = s.id \
             WHERE s.run_id = ? AND s.correct AND t.code IS NOT NULL",
        )
        .bind(run)
        .fetch(&self.pool);
        while let Some((id, code)) = rows.try_next().await? {
            visit(id, &code);
        }
        Ok(())
    }

    /// Calls `visit` with the texts of every sample turn of a run, in task, sample and
    /// turn order, one row at a time; stops at `visit`'s first error.
    pub async fn for_each_text<F, E>(&self, run: i64, mut visit: F) -> Result<(), E>
    where
        F: FnMut(CurateTextRow) -> Result<(), E>,
        E: From<StoreError>,
    {
        let mut rows = sqlx::query_as::<_, CurateTextRow>(
            "SELECT s.id, t.prompt, t.answer, t.reasoning \
             FROM samples s JOIN sample_texts t ON t.sample_id = s.id \
             WHERE s.run_id = ? ORDER BY s.task_id, s.sample_index, s.turn",
        )
        .bind(run)
        .fetch(&self.pool);
        while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
            visit(row)?;
        }
        Ok(())
    }
}

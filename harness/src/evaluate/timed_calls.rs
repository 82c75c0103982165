//! The parent's side of a timing job: it hands out each timed call's inputs (a trial set
//! and a secret seed, `kbench_tasks::perturb`) just before the call, stamps the call's
//! start and end with its own clock, decides how many calls are made, and keeps the
//! outputs of a secret random subset of them for checking.
//!
//! Why the subset is enough: the stored time is the median of the timed calls, so a
//! kernel that serves wrong (cached, skipped) results can only move it by cheating on
//! at least half of them. After the first timed call (which sets the number of calls,
//! `N`, from its cost and the plan's budget) the parent places the task's
//! `CHECKED_CALLS` (seven) check sets at positions drawn uniformly from calls `1..N`; every
//! other call gets a fresh seed. Check and fresh inputs look alike, and no call's inputs
//! exist before it is due, so the kernel cannot tell them apart in advance; even one
//! that learns each decision after the fact escapes only if all seven checks fall
//! before the run of calls it cheats on, which covers half of them: probability at most
//! 2^-7 < 0.8 %. A cheat that moves the median is caught with probability above 99 %.
//!
//! The check sets' references are computed once per task by the baseline's own calls
//! (`baseline::time_reference`), so checking costs no reference runs per sample.

use kbench_backends::timing::TimingPlan;
use kbench_backends::worker::{Conversation, ParentMessage, WorkerMessage};
use std::collections::HashMap;
use std::time::Instant;

/// One timed call as the parent saw it.
#[derive(Debug, Clone)]
pub struct TimedCall {
    /// Call index in the worker's series (warm-up calls count).
    pub call: usize,
    /// When the parent heard the worker ask for its inputs.
    pub asked: Instant,
    /// When the parent heard it start.
    pub started: Option<Instant>,
    /// When the parent heard it end.
    pub ended: Option<Instant>,
    /// Seconds by the worker's clock.
    pub reported_seconds: Option<f64>,
    /// `kb_forward`'s return value.
    pub status: Option<i32>,
}

impl TimedCall {
    /// Seconds between the parent hearing the start and the end (a little more than
    /// the call: two messages' delivery).
    pub fn parent_seconds(&self) -> Option<f64> {
        Some(self.ended?.duration_since(self.started?).as_secs_f64())
    }
}

/// What the parent tells the worker for a checked call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckInputs {
    /// Perturbation seed.
    pub seed: u64,
    /// Trial set the inputs are made from.
    pub base: usize,
    /// Picks the kept elements of a large output.
    pub keep_seed: u64,
}

/// A timed call whose outputs were kept for checking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeptCall {
    /// The slot, which is also the check set's index.
    pub slot: usize,
    /// Its position among the timed calls.
    pub position: usize,
    /// Picks the kept elements of a large output (`kbench_backends::abi::kept_positions`).
    pub seed: u64,
}

/// The conversation's state and record.
pub struct TimedCalls {
    secret: [u8; 32],
    sets: usize,
    plan: TimingPlan,
    /// The check sets, by slot.
    checks: Vec<CheckInputs>,
    /// Once the first call ended: the number of timed calls, and the positions that
    /// get a check set, with its slot.
    schedule: Option<(usize, HashMap<usize, usize>)>,
    /// Every timed call, in order.
    pub calls: Vec<TimedCall>,
    /// Every kept call: its slot, its position in `calls`, and the seed that picked
    /// the kept elements of large outputs.
    pub kept: Vec<KeptCall>,
}

impl TimedCalls {
    /// A conversation for one sample's timing job: `task_secret` is the task's secret
    /// for fresh inputs, `sample` and `turn` tell the samples apart, `sets` is the
    /// number of trial sets, `checks` the check sets.
    pub fn new(
        task_secret: &[u8; 32],
        (sample, turn): (usize, usize),
        sets: usize,
        checks: Vec<CheckInputs>,
        plan: TimingPlan,
    ) -> Self {
        let mut h = blake3::Hasher::new_keyed(task_secret);
        h.update(&(sample as u64).to_le_bytes());
        h.update(&(turn as u64).to_le_bytes());
        TimedCalls {
            secret: *h.finalize().as_bytes(),
            sets: sets.max(1),
            plan,
            checks,
            schedule: None,
            calls: Vec::new(),
            kept: Vec::new(),
        }
    }

    /// A number derived from the secret for `purpose` and `index`.
    fn draw(&self, purpose: &[u8], index: usize) -> u64 {
        let mut h = blake3::Hasher::new_keyed(&self.secret);
        h.update(purpose);
        h.update(&(index as u64).to_le_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&h.finalize().as_bytes()[..8]);
        u64::from_le_bytes(first)
    }

    /// A number below `n` derived from the secret.
    fn below(&self, purpose: &[u8], index: usize, n: usize) -> usize {
        ((u128::from(self.draw(purpose, index)) * n as u128) >> 64) as usize
    }

    /// Fixes the number of calls from the first call's cost, and places the check sets
    /// at positions drawn uniformly from `1..total` (a partial Fisher-Yates shuffle).
    fn schedule(&mut self, first_call_seconds: f64) {
        let total = self.plan.calls_for(first_call_seconds);
        let mut positions: Vec<usize> = (1..total).collect();
        let picks = self.checks.len().min(positions.len());
        for i in 0..picks {
            let j = i + self.below(b"place", i, positions.len() - i);
            positions.swap(i, j);
        }
        let placed = positions[..picks]
            .iter()
            .enumerate()
            .map(|(slot, &p)| (p, slot))
            .collect();
        self.schedule = Some((total, placed));
    }

    fn last_open(&mut self, call: usize) -> Result<&mut TimedCall, String> {
        match self.calls.last_mut() {
            Some(c) if c.call == call && c.status.is_none() => Ok(c),
            _ => Err(format!("call {call} was not announced")),
        }
    }
}

impl Conversation for TimedCalls {
    fn answer(
        &mut self,
        message: &WorkerMessage,
        at: Instant,
    ) -> Result<Option<ParentMessage>, String> {
        match *message {
            WorkerMessage::Seed { call } => {
                if let Some(last) = self.calls.last()
                    && (last.status.is_none() || call <= last.call)
                {
                    return Err(format!("inputs of call {call} asked out of turn"));
                }
                let position = self.calls.len();
                let check = match &self.schedule {
                    Some((total, _)) if position >= *total => return Ok(Some(ParentMessage::Stop)),
                    Some((_, placed)) => placed.get(&position).map(|&slot| self.checks[slot]),
                    None => None,
                };
                let (seed, base) = check.map(|c| (c.seed, c.base)).unwrap_or_else(|| {
                    (
                        self.draw(b"seed", position),
                        self.below(b"base", position, self.sets),
                    )
                });
                self.calls.push(TimedCall {
                    call,
                    asked: at,
                    started: None,
                    ended: None,
                    reported_seconds: None,
                    status: None,
                });
                Ok(Some(ParentMessage::Seed { seed, base }))
            }
            WorkerMessage::Start { call } => {
                let open = self.last_open(call)?;
                if open.started.is_some() {
                    return Err(format!("call {call} started twice"));
                }
                open.started = Some(at);
                Ok(None)
            }
            WorkerMessage::Done {
                call,
                nanos,
                status,
            } => {
                let open = self.last_open(call)?;
                if open.started.is_none() {
                    return Err(format!("call {call} ended before it started"));
                }
                open.ended = Some(at);
                open.reported_seconds = Some(nanos as f64 * 1e-9);
                open.status = Some(status);
                let first_cost = at.duration_since(open.asked).as_secs_f64();
                if status != 0 {
                    return Ok(None);
                }
                let position = self.calls.len() - 1;
                if self.schedule.is_none() {
                    self.schedule(first_cost);
                }
                let slot = self
                    .schedule
                    .as_ref()
                    .and_then(|(_, placed)| placed.get(&position).copied());
                Ok(Some(match slot {
                    Some(slot) => {
                        let seed = self.checks[slot].keep_seed;
                        self.kept.push(KeptCall {
                            slot,
                            position,
                            seed,
                        });
                        ParentMessage::Keep { slot, seed }
                    }
                    None => ParentMessage::Drop,
                }))
            }
        }
    }
}

/// Medians of the worker's and the parent's times of the same calls, when they
/// disagree: the parent's interval holds the call plus two messages' delivery, which on
/// a loaded machine (the kernel's threads on every core, other runs beside this one)
/// can take a scheduler's time slice or more, so the median gap must exceed the
/// worker's median plus 20 ms before it counts as a lie. A kernel that stops or slows
/// the worker's clock on calls of tens of milliseconds or more is caught here; on
/// shorter calls such a lie shows as a time below the roofline instead (that flag
/// stays), and a lie of less than half the call goes unseen.
pub fn clock_disagreement(calls: &[TimedCall]) -> Option<(f64, f64)> {
    let mut worker: Vec<f64> = calls.iter().filter_map(|c| c.reported_seconds).collect();
    let mut gaps: Vec<f64> = calls
        .iter()
        .filter_map(|c| Some(c.parent_seconds()? - c.reported_seconds?))
        .collect();
    let mut parent: Vec<f64> = calls.iter().filter_map(TimedCall::parent_seconds).collect();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let (w, g, p) = (
        median(&mut worker)?,
        median(&mut gaps)?,
        median(&mut parent)?,
    );
    (g > w + 20e-3).then_some((w, p))
}

#[cfg(test)]
mod tests {
    use super::super::trials::CHECKED_CALLS;
    use super::*;
    use std::time::Duration;

    const PLAN: TimingPlan = TimingPlan::STANDARD;

    fn checks() -> Vec<CheckInputs> {
        (0..CHECKED_CALLS as u64)
            .map(|j| CheckInputs {
                seed: 1000 + j,
                base: j as usize % 5,
                keep_seed: 2000 + j,
            })
            .collect()
    }

    fn talk(sample: usize) -> TimedCalls {
        TimedCalls::new(&[7u8; 32], (sample, 1), 5, checks(), PLAN)
    }

    /// Runs calls until told to stop; returns the seeds and the verdicts.
    fn run_calls(talk: &mut TimedCalls, seconds: f64, gap: f64) -> (Vec<u64>, Vec<ParentMessage>) {
        let mut t = Instant::now();
        let (mut seeds, mut verdicts) = (Vec::new(), Vec::new());
        for call in 3.. {
            match talk.answer(&WorkerMessage::Seed { call }, t).expect("seed") {
                Some(ParentMessage::Seed { seed, base }) => {
                    assert!(base < 5);
                    seeds.push(seed);
                }
                Some(ParentMessage::Stop) => break,
                other => panic!("{other:?}"),
            }
            assert_eq!(talk.answer(&WorkerMessage::Start { call }, t), Ok(None));
            t += Duration::from_secs_f64(seconds + gap);
            let done = WorkerMessage::Done {
                call,
                nanos: (seconds * 1e9) as u64,
                status: 0,
            };
            verdicts.push(talk.answer(&done, t).expect("done").expect("verdict"));
        }
        (seeds, verdicts)
    }

    #[test]
    fn the_first_call_sets_the_count_and_every_check_is_used_once() {
        let mut fast = talk(0);
        let (seeds, verdicts) = run_calls(&mut fast, 0.001, 0.0);
        assert_eq!(seeds.len(), 100, "1 ms calls: the plan's maximum");
        assert_eq!(
            verdicts[0],
            ParentMessage::Drop,
            "the first call is never checked"
        );
        let mut slots: Vec<usize> = fast.kept.iter().map(|k| k.slot).collect();
        slots.sort_unstable();
        assert_eq!(slots, (0..CHECKED_CALLS).collect::<Vec<_>>());
        for k in &fast.kept {
            assert_eq!(
                seeds[k.position],
                1000 + k.slot as u64,
                "a check's own seed"
            );
        }
        let mut unique = seeds.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), seeds.len(), "no inputs twice");
        let mut slow = talk(0);
        assert_eq!(
            run_calls(&mut slow, 0.3, 0.0).0.len(),
            10,
            "the plan's minimum"
        );
        let mut other = talk(1);
        assert_ne!(
            run_calls(&mut other, 0.001, 0.0).0[0],
            seeds[0],
            "per sample"
        );
    }

    #[test]
    fn checks_land_anywhere_after_the_first_call() {
        let mut hits = [0usize; 100];
        for sample in 0..300 {
            let mut t = talk(sample);
            run_calls(&mut t, 0.001, 0.0);
            for k in &t.kept {
                hits[k.position] += 1;
            }
        }
        assert_eq!(hits[0], 0);
        let (early, late) = (
            hits[1..50].iter().sum::<usize>(),
            hits[50..].iter().sum::<usize>(),
        );
        let share = early as f64 / (early + late) as f64;
        assert!((0.43..0.56).contains(&share), "{early} vs {late}");
    }

    #[test]
    fn out_of_turn_messages_break_the_conversation() {
        let mut t = talk(0);
        let now = Instant::now();
        assert!(t.answer(&WorkerMessage::Start { call: 1 }, now).is_err());
        t.answer(&WorkerMessage::Seed { call: 1 }, now)
            .expect("seed");
        assert!(t.answer(&WorkerMessage::Seed { call: 2 }, now).is_err());
        let done = WorkerMessage::Done {
            call: 1,
            nanos: 1,
            status: 0,
        };
        assert!(t.answer(&done, now).is_err(), "ended before it started");
    }

    #[test]
    fn a_slowed_clock_disagrees_with_the_parent() {
        let mut honest = talk(0);
        run_calls(&mut honest, 0.020, 0.0001);
        assert_eq!(clock_disagreement(&honest.calls), None);
        let mut loaded = talk(0);
        run_calls(&mut loaded, 0.001, 0.015);
        assert_eq!(
            clock_disagreement(&loaded.calls),
            None,
            "slow delivery on a loaded machine is not a lie"
        );
        let mut patched = talk(0);
        run_calls(&mut patched, 0.000_001, 0.1);
        let (worker, parent) = clock_disagreement(&patched.calls).expect("caught");
        assert!(worker < 0.001 && parent > 0.09, "{worker} {parent}");
    }
}

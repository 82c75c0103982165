//! The parent's side: start a worker under limits, enforce the wall-clock limit, kill
//! its whole process group, and say how it ended.

use super::protocol::{
    ParentMessage, REPORT_FILE, Relaxed, Report, SETUP_ENV, WorkerMessage, WorkerSetup,
};
use crate::backend::BackendError;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The parent's half of a timing job's conversation (see [`super::protocol`]).
pub trait Conversation {
    /// Answers a message the worker sent, received at `at`; `Ok(None)` sends nothing;
    /// `Err` ends the worker with a [`Fault::Protocol`].
    fn answer(
        &mut self,
        message: &WorkerMessage,
        at: Instant,
    ) -> Result<Option<ParentMessage>, String>;
}

/// Longest line a worker may send; a longer one is a protocol fault (and never fills
/// the parent's memory).
const MAX_LINE: u64 = 256;

/// What the thread reading the worker's messages passes on.
enum Incoming {
    /// One line, with the moment it was read.
    Line(String, Instant),
    /// A line longer than [`MAX_LINE`] or not text.
    Garbled,
}

/// Reads the worker's lines on a thread of their own, each stamped when it arrived.
fn read_messages(stdout: std::process::ChildStdout) -> mpsc::Receiver<Incoming> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(stdout);
        loop {
            let mut buf = Vec::new();
            match reader.by_ref().take(MAX_LINE).read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let at = Instant::now();
            let incoming = match (buf.pop(), String::from_utf8(buf)) {
                (Some(b'\n'), Ok(line)) => Incoming::Line(line, at),
                _ => Incoming::Garbled,
            };
            let garbled = matches!(incoming, Incoming::Garbled);
            if tx.send(incoming).is_err() || garbled {
                return;
            }
        }
    });
    rx
}

/// Limits a worker runs under.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Limits {
    /// Wall-clock limit for the whole worker.
    pub timeout: Duration,
    /// Address-space limit in bytes (`RLIMIT_AS`); `None` for none (CUDA needs none).
    pub memory_bytes: Option<u64>,
    /// Try to give the worker a network namespace of its own (no network).
    pub isolate_network: bool,
}

/// How a kernel brought its worker down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// Still running at the wall-clock limit; killed.
    Timeout {
        /// The limit.
        seconds: f64,
    },
    /// Ran out of its memory limit.
    OutOfMemory,
    /// Killed by a signal (segmentation fault, abort, ...).
    Signal {
        /// Signal number.
        signal: i32,
        /// Its name, e.g. `SIGSEGV`.
        name: String,
    },
    /// Exited with a non-zero code of its own (the kernel called `exit`, or the worker
    /// could not set up: see the detail).
    Exit {
        /// Exit code.
        code: i32,
    },
    /// Broke the conversation of a timing job: a message out of turn, unreadable, or
    /// from a worker that was not asked to talk.
    Protocol {
        /// What was wrong.
        reason: String,
    },
    /// Exited cleanly but left no readable report.
    NoReport {
        /// Why the report could not be read.
        reason: String,
    },
}

impl Fault {
    /// Short label for tables and the store.
    pub fn label(&self) -> String {
        match self {
            Fault::Timeout { .. } => "timeout".into(),
            Fault::OutOfMemory => "out_of_memory".into(),
            Fault::Signal { name, .. } => format!("signal_{}", name.to_lowercase()),
            Fault::Exit { code } => format!("exit_{code}"),
            Fault::Protocol { .. } => "protocol".into(),
            Fault::NoReport { .. } => "no_report".into(),
        }
    }
}

/// The end of one worker.
#[derive(Debug, Clone)]
pub struct WorkerOutcome {
    /// The report, or the fault that prevented it.
    pub result: Result<Report, Fault>,
    /// The last lines the worker wrote to stderr.
    pub stderr_tail: String,
    /// Wall-clock seconds from start to exit.
    pub wall_seconds: f64,
}

fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGABRT => "SIGABRT".into(),
        libc::SIGBUS => "SIGBUS".into(),
        libc::SIGFPE => "SIGFPE".into(),
        libc::SIGILL => "SIGILL".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGXCPU => "SIGXCPU".into(),
        other => format!("SIG{other}"),
    }
}

fn looks_out_of_memory(stderr: &str) -> bool {
    [
        "bad_alloc",
        "memory allocation of",
        "Cannot allocate memory",
        "out of memory",
    ]
    .iter()
    .any(|m| stderr.contains(m))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn kill_group(pid: u32) {
    // SAFETY: kill(2) with a negative pid signals the process group the worker leads;
    // failures (already gone) are harmless.
    unsafe {
        libc::kill(-(pid as i32), libc::SIGKILL);
    }
}

/// Runs `exe args... job_dir` as a worker in `job_dir` under `limits`, answering its
/// messages with `conversation` (a worker given none must not talk).
pub fn run_job(
    exe: &Path,
    args: &[&str],
    job_dir: &Path,
    limits: Limits,
    mut conversation: Option<&mut dyn Conversation>,
) -> Result<WorkerOutcome, BackendError> {
    let stderr_path = job_dir.join("stderr.log");
    let stderr =
        std::fs::File::create(&stderr_path).map_err(BackendError::io("creating stderr.log"))?;
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .arg(job_dir)
        .current_dir(job_dir)
        .env_clear()
        .env("HOME", job_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .process_group(0);
    for key in [
        "PATH",
        "LD_LIBRARY_PATH",
        "OMP_NUM_THREADS",
        "OMP_PROC_BIND",
        "OMP_PLACES",
        "CUDA_VISIBLE_DEVICES",
    ] {
        if let Ok(v) = std::env::var(key) {
            cmd.env(key, v);
        }
    }
    // The worker limits itself before it loads any kernel (see `child::set_up`): with
    // no closure to run between fork and exec, the standard library starts it with
    // posix_spawn, which copies none of the parent's (large) page tables.
    let setup = WorkerSetup {
        parent_pid: std::process::id(),
        memory_bytes: limits.memory_bytes,
        isolate_network: limits.isolate_network,
        relax: Relaxed::from_env()?,
    };
    cmd.env(
        SETUP_ENV,
        serde_json::to_string(&setup).map_err(|e| BackendError::Protocol(e.to_string()))?,
    );
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(BackendError::io(format!(
        "starting the worker {}",
        exe.display()
    )))?;
    let pid = child.id();
    let messages = child.stdout.take().map(read_messages);
    let mut to_worker = child.stdin.take();
    let deadline = start + limits.timeout;
    let mut timed_out = false;
    let mut broken: Option<String> = None;
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(BackendError::io("waiting for the worker"))?
        {
            break status;
        }
        let now = Instant::now();
        if now >= deadline {
            timed_out = true;
            kill_group(pid);
            break child
                .wait()
                .map_err(BackendError::io("reaping the worker"))?;
        }
        let wait = (deadline - now).min(Duration::from_millis(2));
        let incoming = match &messages {
            Some(rx) => rx.recv_timeout(wait),
            None => Err(mpsc::RecvTimeoutError::Disconnected),
        };
        let reply = match incoming {
            Ok(Incoming::Line(line, at)) => {
                match (&mut conversation, WorkerMessage::parse(&line)) {
                    (Some(talk), Some(message)) => talk.answer(&message, at),
                    (None, _) => Err(format!(
                        "the worker was not asked to talk but said {line:?}"
                    )),
                    (_, None) => Err(format!("unreadable message {line:?}")),
                }
            }
            Ok(Incoming::Garbled) => Err(format!(
                "a message longer than {MAX_LINE} bytes or not text"
            )),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(wait);
                Ok(None)
            }
        };
        match reply {
            Ok(Some(message)) => {
                // A worker that stopped reading is caught by its exit or the time limit.
                if let Some(stdin) = to_worker.as_mut() {
                    let _ = writeln!(stdin, "{}", message.to_line());
                }
            }
            Ok(None) => {}
            Err(reason) => {
                broken = Some(reason);
                kill_group(pid);
                break child
                    .wait()
                    .map_err(BackendError::io("reaping the worker"))?;
            }
        }
    };
    drop(to_worker);
    let wall_seconds = start.elapsed().as_secs_f64();
    // Whatever the kernel left behind in the group goes too.
    kill_group(pid);
    let stderr_text = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let stderr_tail = tail(&stderr_text, 20);
    let result = if let Some(reason) = broken {
        Err(Fault::Protocol { reason })
    } else if timed_out {
        Err(Fault::Timeout {
            seconds: limits.timeout.as_secs_f64(),
        })
    } else if let Some(signal) = status.signal() {
        if looks_out_of_memory(&stderr_text) {
            Err(Fault::OutOfMemory)
        } else {
            Err(Fault::Signal {
                signal,
                name: signal_name(signal),
            })
        }
    } else if status.code() != Some(0) {
        let code = status.code().unwrap_or(-1);
        if looks_out_of_memory(&stderr_text) {
            Err(Fault::OutOfMemory)
        } else {
            Err(Fault::Exit { code })
        }
    } else {
        match std::fs::read(job_dir.join(REPORT_FILE)) {
            Ok(bytes) => serde_json::from_slice::<Report>(&bytes).map_err(|e| Fault::NoReport {
                reason: format!("malformed report: {e}"),
            }),
            Err(e) => Err(Fault::NoReport {
                reason: e.to_string(),
            }),
        }
    };
    Ok(WorkerOutcome {
        result,
        stderr_tail,
        wall_seconds,
    })
}

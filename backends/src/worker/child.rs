//! The worker's side: load the kernel, run the correctness calls and the timed calls,
//! write raw outputs and the report. Everything here shares a process with untrusted
//! code, so nothing here is trusted by the parent beyond what it re-checks.

use super::link::ParentLink;
use super::protocol::{
    JOB_FILE, Job, ParentMessage, REPORT_FILE, Relaxed, Report, SETUP_ENV, TensorFile,
    TimingReport, TrialReport, UNPRIVILEGED_ID, WorkerMessage, WorkerSetup, kept_file,
    net_namespace,
};
use crate::abi::{AlignedBuffer, fingerprint, gather, kept_positions, kept_seed};
use crate::backend::{BackendError, LoadedKernel, SetId};
use crate::timing::{TimingPlan, run_warmup};
use std::path::{Path, PathBuf};

/// The output files of `set`, as the worker names them.
fn output_files(job: &Job, set: usize) -> Vec<TensorFile> {
    job.outputs
        .iter()
        .enumerate()
        .map(|(k, o)| TensorFile {
            file: format!("out_s{set}_{k}.bin"),
            dtype: o.dtype,
            shape: o.shape.clone(),
        })
        .collect()
}

/// Publishes the outputs of `set`'s latest call and names their files.
fn publish(
    kernel: &mut dyn LoadedKernel,
    job: &Job,
    set: SetId,
) -> Result<Vec<String>, BackendError> {
    kernel.publish_outputs(set)?;
    Ok(output_files(job, set).into_iter().map(|f| f.file).collect())
}

/// Applies the parent's [`WorkerSetup`] to this process: die with the parent, no core
/// files, the memory limit, a network namespace of its own, PID and mount namespaces
/// with a private `/proc` (see `pid_namespace`), no capabilities. Called first, while
/// the process has one thread (a namespace can only be entered then). Returns whether
/// the processes outside are hidden and whether it runs as an unprivileged user.
fn set_up() -> Result<(bool, bool, Vec<Relaxed>), BackendError> {
    let text = std::env::var(SETUP_ENV)
        .map_err(|_| BackendError::Protocol(format!("{SETUP_ENV} is not set")))?;
    let setup: WorkerSetup = serde_json::from_str(&text)
        .map_err(|e| BackendError::Protocol(format!("{SETUP_ENV}: {e}")))?;
    let fail =
        |what: &str| BackendError::Protocol(format!("{what}: {}", std::io::Error::last_os_error()));
    // SAFETY: plain system calls on this process with valid arguments.
    unsafe {
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
            return Err(fail("PR_SET_PDEATHSIG"));
        }
        // The parent may have died before the line above: then nobody would kill us.
        if libc::getppid() as u32 != setup.parent_pid {
            return Err(BackendError::Protocol("the harness is gone".into()));
        }
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        if let Some(bytes) = setup.memory_bytes {
            let lim = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(fail("RLIMIT_AS"));
            }
        }
        if setup.isolate_network && libc::unshare(libc::CLONE_NEWNET) != 0 {
            // Not root: a user namespace may still allow a private network namespace.
            libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET);
        }
    }
    let processes_hidden =
        !setup.relax.contains(&Relaxed::Processes) && super::pid_namespace::isolate_processes();
    let unprivileged = drop_privileges(!setup.relax.contains(&Relaxed::User))?;
    Ok((processes_hidden, unprivileged, setup.relax))
}

/// Highest capability number any kernel defines today (`CAP_CHECKPOINT_RESTORE` is 40);
/// dropping a number the kernel does not know fails harmlessly.
const LAST_CAPABILITY: libc::c_ulong = 63;

/// Becomes [`UNPRIVILEGED_ID`] when started by root (the bounding set already empty,
/// so nothing comes back): no supplementary groups, then group, then user. Changing
/// credentials clears the parent-death signal and the dumpable flag, so both are set
/// again. Returns whether the process now runs as someone other than root.
///
/// # Safety
/// Plain system calls on this process; call while it has one thread.
unsafe fn become_unprivileged() -> bool {
    // SAFETY: as the function's contract says.
    unsafe {
        if libc::geteuid() == 0 {
            let id = UNPRIVILEGED_ID;
            let changed = libc::setgroups(0, std::ptr::null()) == 0
                && libc::setresgid(id, id, id) == 0
                && libc::setresuid(id, id, id) == 0;
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            libc::prctl(libc::PR_SET_DUMPABLE, 1);
            if !changed {
                return false;
            }
        }
        libc::geteuid() != 0
    }
}

/// Gives up every capability, for good, and root too: a worker started by root would
/// otherwise keep the power to reboot the machine, load kernel modules, set the clock
/// the harness times with, raise its own limits, or write any file root owns. Landlock's
/// `no_new_privs` then keeps a setuid program from bringing them back. `leave_root`
/// false keeps the uid (see [`Relaxed::User`]). Returns whether the worker now runs as
/// an unprivileged user.
fn drop_privileges(leave_root: bool) -> Result<bool, BackendError> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522;
    let header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let none = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: prctl, the credential calls and capset on this single-threaded process
    // with valid, correctly laid out structs.
    let unprivileged = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
        // The bounding set needs CAP_SETPCAP to shrink; without it (not root) there is
        // nothing to bound.
        for cap in 0..=LAST_CAPABILITY {
            libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
        }
        let unprivileged = if leave_root {
            become_unprivileged()
        } else {
            libc::geteuid() != 0
        };
        if libc::syscall(libc::SYS_capset, &header, none.as_ptr()) != 0 {
            return Err(BackendError::Protocol(format!(
                "dropping capabilities: {}",
                std::io::Error::last_os_error()
            )));
        }
        unprivileged
    };
    Ok(unprivileged)
}

/// The timed calls of a timing job, in conversation with the parent: warm-up calls on
/// the trial sets, then timed calls until the parent says stop, each on fresh inputs
/// made from a trial set with a seed the parent sends just before the call, its outputs
/// kept in a slot only when the parent says so after it returned.
fn time_calls(
    job: &Job,
    dir: &Path,
    plan: &TimingPlan,
    kernel: &mut dyn LoadedKernel,
    sets: &[SetId],
    link: &mut ParentLink,
) -> Result<TimingReport, BackendError> {
    let task = kbench_tasks::registry::find_any_in(&job.task, job.sizes)
        .map_err(|e| BackendError::Protocol(e.to_string()))?;
    // The trial sets as written, to derive each timed call's inputs from.
    let pristine = job
        .sets
        .iter()
        .map(|files| {
            files
                .iter()
                .map(|t| {
                    AlignedBuffer::map_file(&dir.join(&t.file), t.size_bytes())
                        .map_err(BackendError::io(format!("mapping {}", t.file)))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut kept_fingerprints: Vec<Option<u64>> = Vec::new();
    let mut changed_after_return = None;
    let mut failed_status = None;
    let warmups = run_warmup(plan, |i| {
        let set = sets[i % sets.len()];
        kernel.poison_outputs(set);
        let outcome = kernel.call(set)?;
        if outcome.status != 0 {
            failed_status = Some(outcome.status);
            return Err(BackendError::Protocol("kernel failed".into()));
        }
        Ok(())
    });
    match warmups {
        Ok(_) => {}
        Err(_) if failed_status.is_some() => {
            return Ok(TimingReport {
                failed_status,
                kept_fingerprints,
                changed_after_return,
                busy_thread_ms: None,
                outside_stream_ms: None,
            });
        }
        Err(e) => return Err(e),
    }
    // Every timed call runs on the first set's buffers, rewritten each time: the
    // inputs' pages are copied from their file once, not once per set.
    let set = sets[0];
    let mut outside_stream = Vec::new();
    for call in warmups.unwrap_or(0).. {
        link.send(&WorkerMessage::Seed { call })?;
        let (seed, base) = match link.receive()? {
            ParentMessage::Seed { seed, base } => (seed, base),
            ParentMessage::Stop => break,
            other => {
                return Err(BackendError::Protocol(format!(
                    "expected a seed, got {other:?}"
                )));
            }
        };
        let src: Vec<&[u8]> = pristine
            .get(base)
            .ok_or_else(|| BackendError::Protocol(format!("no trial set {base}")))?
            .iter()
            .map(AlignedBuffer::bytes)
            .collect();
        kernel.rewrite_inputs(set, &mut |dst| {
            task.perturb_set(seed, &src, dst).map_err(|e| e.to_string())
        })?;
        // Poison first, then evict: the poisoned outputs must not stay cached.
        kernel.poison_outputs(set);
        kernel.flush_caches(set);
        link.send(&WorkerMessage::Start { call })?;
        let outcome = kernel.call(set)?;
        outside_stream.extend(outcome.outside_stream.map(|d| d.as_secs_f64() * 1e3));
        link.send(&WorkerMessage::Done {
            call,
            nanos: u64::try_from(outcome.elapsed.as_nanos()).unwrap_or(u64::MAX),
            status: outcome.status,
        })?;
        if outcome.status != 0 {
            failed_status = Some(outcome.status);
            break;
        }
        // The outputs as the call left them; a kept call's are compared again below.
        let at_return = kernel.output_fingerprint(set)?;
        match link.receive()? {
            ParentMessage::Keep { slot, seed } => {
                if kernel.output_fingerprint(set)? != at_return {
                    changed_after_return.get_or_insert(call);
                }
                let print = keep_outputs(kernel, set, job, dir, slot, seed)?;
                if kept_fingerprints.len() <= slot {
                    kept_fingerprints.resize(slot + 1, None);
                }
                kept_fingerprints[slot] = Some(print);
            }
            ParentMessage::Drop => {}
            other => {
                return Err(BackendError::Protocol(format!(
                    "expected keep or drop, got {other:?}"
                )));
            }
        }
    }
    Ok(TimingReport {
        failed_status,
        kept_fingerprints,
        changed_after_return,
        busy_thread_ms: busy_thread_ms(),
        outside_stream_ms: crate::timing::Stats::of(&outside_stream).map(|s| s.median),
    })
}

/// CPU nanoseconds used so far by each thread of this process but the calling one
/// (`/proc/self/task/*/schedstat`); empty where the system does not say.
fn other_threads_cpu() -> Vec<(String, u64)> {
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::gettid() }.to_string();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .filter_map(Result::ok)
        .map(|t| t.file_name().to_string_lossy().into_owned())
        .filter(|tid| *tid != me)
        .filter_map(|tid| {
            let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
            let ns = text.split_whitespace().next()?.parse().ok()?;
            Some((tid, ns))
        })
        .collect()
}

/// After the last call: milliseconds of CPU the busiest other thread used in a 30 ms
/// window that starts 10 ms after it (when OpenMP's pool has stopped spinning and
/// sleeps), if it used more than half of the window: a thread of the kernel still at
/// work after `kb_forward` returned.
fn busy_thread_ms() -> Option<f64> {
    const SETTLE: std::time::Duration = std::time::Duration::from_millis(10);
    const WINDOW: std::time::Duration = std::time::Duration::from_millis(30);
    std::thread::sleep(SETTLE);
    let before = other_threads_cpu();
    std::thread::sleep(WINDOW);
    let busiest = other_threads_cpu()
        .into_iter()
        .map(|(tid, ns)| {
            let start = before
                .iter()
                .find(|(t, _)| *t == tid)
                .map_or(0, |(_, n)| *n);
            ns.saturating_sub(start) as f64 * 1e-6
        })
        .fold(0.0, f64::max);
    (busiest > WINDOW.as_secs_f64() * 1e3 / 2.0).then_some(busiest)
}

/// Writes the set's outputs (or, for a large output, the elements the parent's `seed`
/// picks) to the files of `slot`; returns their fingerprint.
fn keep_outputs(
    kernel: &mut dyn LoadedKernel,
    set: SetId,
    job: &Job,
    dir: &Path,
    slot: usize,
    seed: u64,
) -> Result<u64, BackendError> {
    let mut print = 0;
    kernel.read_outputs(set, &mut |outputs| {
        let mut kept: Vec<std::borrow::Cow<'_, [u8]>> = Vec::with_capacity(outputs.len());
        for (k, (bytes, spec)) in outputs.iter().zip(&job.outputs).enumerate() {
            let size = spec.dtype.size_bytes();
            let picked = kept_positions(bytes.len() / size.max(1), kept_seed(seed, k));
            let part = match picked {
                None => std::borrow::Cow::Borrowed(*bytes),
                Some(positions) => std::borrow::Cow::Owned(gather(bytes, size, &positions)),
            };
            std::fs::write(dir.join(kept_file(slot, k)), &part).map_err(|e| e.to_string())?;
            kept.push(part);
        }
        print = fingerprint(kept.iter().map(AsRef::as_ref));
        Ok(())
    })?;
    Ok(print)
}

/// Runs the job in `dir`; the report is written last, atomically.
pub fn run(dir: &Path) -> Result<(), BackendError> {
    let (processes_hidden, unprivileged, relax) = set_up()?;
    let mut link = ParentLink::take_standard_streams()?;
    let job: Job = serde_json::from_slice(
        &std::fs::read(dir.join(JOB_FILE)).map_err(BackendError::io("reading job.json"))?,
    )
    .map_err(|e| BackendError::Protocol(format!("job.json: {e}")))?;
    let backend = crate::backend_by_name(&job.backend)?;
    let network_isolated = match (&job.parent_net_namespace, net_namespace()) {
        (Some(parent), Some(own)) => *parent != own,
        _ => false,
    };
    let mut readable: Vec<PathBuf> = backend
        .device_readable()
        .iter()
        .map(PathBuf::from)
        .collect();
    readable.push(job.artifact.clone());
    readable.extend(job.readable.iter().cloned());
    readable.extend(
        job.sets
            .iter()
            .flatten()
            .filter_map(|t| dir.join(&t.file).parent().map(Path::to_path_buf)),
    );
    readable.sort();
    readable.dedup();
    let devices: Vec<PathBuf> = backend.device_files().iter().map(PathBuf::from).collect();
    // Trusted code, before the sandbox closes: a CUDA driver initialised under
    // Landlock fails (CUDA_ERROR_OPERATING_SYSTEM, seen on an H200 machine); once it
    // holds its device files open, it works within the sandbox.
    backend.open_device()?;
    let confinement = if relax.contains(&Relaxed::Landlock) {
        super::sandbox::Confinement::default()
    } else {
        super::sandbox::confine(dir, &readable, &devices)
    };
    // Last, so that the worker's own setup needs nothing it denies.
    let syscalls_filtered = !relax.contains(&Relaxed::Seccomp) && super::seccomp::install();
    let mut kernel = backend.load(&job.artifact)?;
    let mut sets = Vec::with_capacity(job.sets.len());
    for (s, files) in job.sets.iter().enumerate() {
        sets.push(kernel.stage(dir, files, &output_files(&job, s))?);
    }

    let mut trials = Vec::with_capacity(sets.len());
    for &set in sets.iter().filter(|_| job.check) {
        kernel.poison_outputs(set);
        let outcome = kernel.call(set)?;
        let outputs_fingerprint = kernel.output_fingerprint(set)?;
        trials.push(TrialReport {
            status: outcome.status,
            input_digest_after: kernel.input_digest(set)?,
            outputs: publish(kernel.as_mut(), &job, set)?,
            outputs_fingerprint,
        });
        if outcome.status != 0 {
            break;
        }
    }

    let all_ok = !job.check || (trials.len() == sets.len() && trials.iter().all(|t| t.status == 0));
    let timing = match job.timing {
        Some(plan) if all_ok && !sets.is_empty() => Some(time_calls(
            &job,
            dir,
            &plan,
            kernel.as_mut(),
            &sets,
            &mut link,
        )?),
        _ => None,
    };

    let report = Report {
        trials,
        timing,
        network_isolated,
        filesystem_confined: confinement.writes,
        reads_confined: confinement.reads,
        signals_confined: confinement.signals,
        syscalls_filtered,
        processes_hidden,
        unprivileged,
    };
    let tmp = dir.join(".report.json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec(&report).map_err(|e| BackendError::Protocol(e.to_string()))?,
    )
    .map_err(BackendError::io("writing the report"))?;
    std::fs::rename(&tmp, dir.join(REPORT_FILE)).map_err(BackendError::io("renaming the report"))
}

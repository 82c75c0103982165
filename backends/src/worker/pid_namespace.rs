//! A PID and mount namespace for the worker, with a `/proc` of its own: the kernel sees
//! only its own processes, so the harness can be neither signalled nor inspected, even
//! where Landlock is missing.
//!
//! Entering a new PID namespace takes a fork (the caller stays outside it), and the
//! first process inside is the namespace's init, which the kernel treats specially (it
//! ignores signals it has no handler for, and its end kills everything inside). So:
//!
//! ```text
//! harness ── worker (outside: waits, then ends as the worker ended)
//!              └── init (pid 1 inside: mounts /proc, waits, reports the worker's end)
//!                    └── worker (pid 2 inside: loads and runs the kernel)
//! ```
//!
//! All three share the process group the harness kills, each dies with the one above
//! it, and when the worker ends, init ends and takes every process the kernel left in
//! the namespace with it.

/// Waits for `pid`, retrying on interruption; its wait status.
fn wait_for(pid: libc::pid_t) -> libc::c_int {
    let mut status = 0;
    // SAFETY: waitpid on a child of this process with a valid status pointer.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return 0x7f00; // exited with 127
        }
    }
    status
}

/// Ends this process the way a process with wait `status` ended: with its exit code,
/// or by its signal.
fn end_like(status: libc::c_int) -> ! {
    // SAFETY: resetting a signal to its default and raising it on this process, then
    // leaving without running any destructor (the process above only waits).
    unsafe {
        if libc::WIFSIGNALED(status) {
            let signal = libc::WTERMSIG(status);
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
            libc::_exit(128 + signal);
        }
        libc::_exit(libc::WEXITSTATUS(status))
    }
}

/// Moves the rest of this worker into a PID and mount namespace of its own with a
/// private `/proc`. Returns in the worker only: true when both held; false where the
/// system refused (the worker then goes on as it was). Must be called while the process
/// has one thread.
pub fn isolate_processes() -> bool {
    // SAFETY: unshare, pipe, fork, mount, prctl and read/write on this single-threaded
    // process; the processes that only wait leave with `_exit`, running nothing of the
    // parent's state.
    unsafe {
        if libc::unshare(libc::CLONE_NEWPID | libc::CLONE_NEWNS) != 0 {
            return false;
        }
        let mut fds = [0; 2];
        if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return false;
        }
        let [from_init, to_outside] = fds;
        match libc::fork() {
            -1 => false,
            0 => {
                libc::close(from_init);
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                // Mounts made here stay here; /proc shows this namespace's processes.
                let private = libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ) == 0;
                let proc_mounted = private
                    && libc::mount(
                        c"proc".as_ptr(),
                        c"/proc".as_ptr(),
                        c"proc".as_ptr(),
                        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                        std::ptr::null(),
                    ) == 0;
                match libc::fork() {
                    -1 => libc::_exit(127),
                    0 => {
                        libc::close(to_outside);
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                        proc_mounted
                    }
                    worker => {
                        let status = wait_for(worker);
                        let bytes = status.to_ne_bytes();
                        libc::write(to_outside, bytes.as_ptr().cast(), bytes.len());
                        libc::_exit(0)
                    }
                }
            }
            init => {
                libc::close(to_outside);
                wait_for(init);
                let mut bytes = [0u8; 4];
                let got = libc::read(from_init, bytes.as_mut_ptr().cast(), bytes.len());
                end_like(if got == 4 {
                    libc::c_int::from_ne_bytes(bytes)
                } else {
                    0x7f00
                })
            }
        }
    }
}

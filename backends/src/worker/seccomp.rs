//! A seccomp filter for what a kernel never needs: the worker installs it last, just
//! before it loads the kernel. Denied calls fail with `EPERM` (the kernel sees an error
//! it can report, the worker is not killed), so a kernel that probes them is recorded,
//! not crashed.
//!
//! Denied: tracing and reading other processes (`ptrace`, `process_vm_readv/writev`,
//! `kcmp`, `pidfd_open`, `pidfd_getfd`, `pidfd_send_signal`), signalling outside the
//! worker's own process group (`kill` with any pid but its own, 0 or its group;
//! `tgkill` outside its own process; `tkill`), namespaces and mounts (`unshare`,
//! `setns`, `mount`, `umount2`, `pivot_root`, `chroot`, the new mount API), kernel
//! keys, BPF, `perf_event_open`, `userfaultfd`, module loading, `kexec`, `reboot`,
//! swap, quotas, accounting, the system clock and `syslog`, and file handles
//! (`open_by_handle_at`).

/// Classic BPF, as `libc` lays it out.
type Filter = libc::sock_filter;

const fn stmt(code: u32, k: u32) -> Filter {
    Filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

const fn jump(code: u32, k: u32, jt: u8, jf: u8) -> Filter {
    Filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

const LOAD_WORD: u32 = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
const JUMP_EQ: u32 = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
const RETURN: u32 = libc::BPF_RET | libc::BPF_K;
const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
const DENY: u32 = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;

/// Offsets in `struct seccomp_data`.
const NR: u32 = 0;
const ARCH: u32 = 4;
const ARG0_LOW: u32 = 16;
const ARG0_HIGH: u32 = 20;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;

/// System calls denied outright.
fn denied() -> Vec<libc::c_long> {
    let mut calls = vec![
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_kcmp,
        libc::SYS_pidfd_open,
        libc::SYS_pidfd_getfd,
        libc::SYS_pidfd_send_signal,
        libc::SYS_tkill,
        libc::SYS_unshare,
        libc::SYS_setns,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_chroot,
        libc::SYS_open_tree,
        libc::SYS_move_mount,
        libc::SYS_fsopen,
        libc::SYS_fsconfig,
        libc::SYS_fsmount,
        libc::SYS_fspick,
        libc::SYS_mount_setattr,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_bpf,
        libc::SYS_perf_event_open,
        libc::SYS_userfaultfd,
        libc::SYS_init_module,
        libc::SYS_finit_module,
        libc::SYS_delete_module,
        libc::SYS_kexec_load,
        libc::SYS_kexec_file_load,
        libc::SYS_reboot,
        libc::SYS_swapon,
        libc::SYS_swapoff,
        libc::SYS_quotactl,
        libc::SYS_acct,
        libc::SYS_settimeofday,
        libc::SYS_clock_settime,
        libc::SYS_clock_adjtime,
        libc::SYS_adjtimex,
        libc::SYS_syslog,
        libc::SYS_open_by_handle_at,
        libc::SYS_name_to_handle_at,
    ];
    #[cfg(target_arch = "x86_64")]
    calls.extend([libc::SYS_iopl, libc::SYS_ioperm]);
    calls
}

/// Appends: if the low and high words of argument 0 equal `value`, allow.
fn allow_arg0(program: &mut Vec<Filter>, value: i64) {
    let (low, high) = (value as u64 as u32, ((value as u64) >> 32) as u32);
    program.push(stmt(LOAD_WORD, ARG0_LOW));
    program.push(jump(JUMP_EQ, low, 0, 3));
    program.push(stmt(LOAD_WORD, ARG0_HIGH));
    program.push(jump(JUMP_EQ, high, 0, 1));
    program.push(stmt(RETURN, ALLOW));
}

/// The filter for a worker whose pid (and process group) is `pid`.
fn program(pid: i64) -> Vec<Filter> {
    let mut p = vec![
        stmt(LOAD_WORD, ARCH),
        jump(JUMP_EQ, AUDIT_ARCH, 1, 0),
        stmt(RETURN, DENY),
        stmt(LOAD_WORD, NR),
    ];
    for call in denied() {
        p.push(jump(JUMP_EQ, call as u32, 0, 1));
        p.push(stmt(RETURN, DENY));
    }
    // kill(pid, sig): only itself, its group (0 or -pid).
    let kill_checks = 3 * 5 + 1;
    p.push(jump(JUMP_EQ, libc::SYS_kill as u32, 0, kill_checks));
    for allowed in [pid, 0, -pid] {
        allow_arg0(&mut p, allowed);
    }
    p.push(stmt(RETURN, DENY));
    // tgkill(tgid, tid, sig): only its own threads.
    p.push(stmt(LOAD_WORD, NR));
    p.push(jump(JUMP_EQ, libc::SYS_tgkill as u32, 0, 5 + 1));
    allow_arg0(&mut p, pid);
    p.push(stmt(RETURN, DENY));
    p.push(stmt(RETURN, ALLOW));
    p
}

/// Installs the filter on every thread of this process; false where the system refuses.
pub fn install() -> bool {
    let filter = program(i64::from(std::process::id()));
    let Ok(len) = u16::try_from(filter.len()) else {
        return false;
    };
    let prog = libc::sock_fprog {
        len,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: prctl and seccomp on this process with a valid program that outlives the
    // call (the kernel copies it).
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return false;
        }
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_TSYNC,
            &prog as *const libc::sock_fprog,
        ) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_jump_lands_inside_the_program() {
        let p = program(4242);
        for (i, f) in p.iter().enumerate() {
            if u32::from(f.code) == JUMP_EQ {
                let far = i + 1 + usize::from(f.jt.max(f.jf));
                assert!(far < p.len(), "jump at {i} leaves the program");
            }
        }
        assert_eq!(u32::from(p.last().expect("program").code), RETURN);
        assert_eq!(p.last().expect("program").k, ALLOW);
    }
}

-- kbench store, schema 4: whether the worker's seccomp filter, process namespaces and unprivileged user held.

-- The worker ran under the seccomp filter of `worker/seccomp.rs` (no tracing, no
-- signals outside its group, no namespaces, mounts, keys, BPF or modules).
ALTER TABLE samples ADD COLUMN syscalls_filtered INTEGER;
-- The worker ran in PID and mount namespaces of its own with a private /proc.
ALTER TABLE samples ADD COLUMN processes_hidden INTEGER;
-- The worker ran as a user other than root.
ALTER TABLE samples ADD COLUMN unprivileged INTEGER;

-- kbench store, schema 4: whether the worker's seccomp filter held.

-- The worker ran under the seccomp filter of `worker/seccomp.rs` (no tracing, no
-- signals outside its group, no namespaces, mounts, keys, BPF or modules).
ALTER TABLE samples ADD COLUMN syscalls_filtered INTEGER;

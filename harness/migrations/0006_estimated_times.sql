-- kbench store, schema 6: times an emulator estimates are kept apart from measured ones.

-- 1 when the kernel's times (kernel_*_s) are a cost model's estimates (npu-emu,
-- tpu-emu): no speedup is computed from them.
ALTER TABLE samples ADD COLUMN time_estimated INTEGER;
-- For estimated times: the emulated device's roofline time for the task (its bytes over
-- the bandwidth, or its FLOPs over the peak, whichever is slower) over the estimate.
ALTER TABLE samples ADD COLUMN roofline_fraction REAL;

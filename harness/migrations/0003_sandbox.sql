-- kbench store, schema 3: which protections of the worker's sandbox held.

-- The worker could read only its job's files and the system libraries.
ALTER TABLE samples ADD COLUMN reads_confined INTEGER;
-- The worker could signal or trace only processes of its own sandbox.
ALTER TABLE samples ADD COLUMN signals_confined INTEGER;

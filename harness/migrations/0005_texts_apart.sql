-- kbench store, schema 5: texts apart from the numbers, and what curation needs.
--
-- A sample's prompt, answer, reasoning and code are tens of kilobytes; stored inside
-- `samples` they sat in overflow pages ahead of every column after them, so reading
-- any number of a sample (outcome, speedup, ...) walked all of its text. They move to
-- `sample_texts` (one row per sample, same id; code first, since the repair loop and
-- deduplication read it without the rest), and `samples` keeps only small values.

CREATE TABLE sample_texts (
    sample_id INTEGER PRIMARY KEY REFERENCES samples(id),
    code TEXT,
    compile_log TEXT,
    prompt TEXT,
    answer TEXT,
    reasoning TEXT
);

INSERT INTO sample_texts (sample_id, code, compile_log, prompt, answer, reasoning)
    SELECT id, code, compile_log, prompt, answer, reasoning FROM samples;

ALTER TABLE samples DROP COLUMN reasoning;
ALTER TABLE samples DROP COLUMN prompt;
ALTER TABLE samples DROP COLUMN answer;
ALTER TABLE samples DROP COLUMN code;
ALTER TABLE samples DROP COLUMN compile_log;

-- Characters of the reasoning trace without surrounding whitespace; NULL without a
-- trace. (Rows from before schema 5: spaces, tabs and line breaks trimmed.)
ALTER TABLE samples ADD COLUMN reasoning_chars INTEGER;
UPDATE samples SET reasoning_chars = (
    SELECT length(trim(t.reasoning, char(32, 9, 10, 13))) FROM sample_texts t
    WHERE t.sample_id = samples.id
);

-- The provider's finish reason as it sent it (`stop`, `length`, `end_turn`,
-- `max_tokens`, ...); NULL for replayed answers and rows stored before schema 5.
ALTER TABLE samples ADD COLUMN finish_reason TEXT;

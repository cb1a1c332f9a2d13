-- The statuses waiting for their part are found by wamid through the
-- primary key's index (wamid first), which a status's few rows share: the
-- partial index of the unapplied ones cost an entry written for every
-- status stored and removed again as it was applied.
DROP INDEX meta_statuses_pending;

-- The statuses waiting for their part are found by wamid through the
-- primary key (wamid first), which a status's few rows share: the partial
-- index of the unapplied ones cost an entry for every status stored, and
-- since `applied` was in its condition, marking a status applied could
-- never be a heap-only update (a new entry in each of the table's indexes).
DROP INDEX meta_statuses_pending;

-- SQLite's 0022 keeps the cases in one B-tree ordered by id (WITHOUT
-- ROWID). PostgreSQL has no such table: its cases stay a heap read through
-- the primary key's index, as before. Nothing to change; the number is
-- kept in step with SQLite's.
SELECT 1;

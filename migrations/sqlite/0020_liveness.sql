-- One row per running instance, rewritten by `/healthz` (at most every few
-- seconds): a store that answers reads but refuses writes (a full disk, a
-- read-only file, a PostgreSQL in recovery) is not healthy.
CREATE TABLE liveness (
    instance TEXT PRIMARY KEY,
    at       TEXT NOT NULL
);

-- regwatch core schema (SQLite). Snapshots and changes are never rewritten:
-- the store is the audit record of what a source said and when.

CREATE TABLE source_state (
    source_id            TEXT PRIMARY KEY,
    etag                 TEXT,
    last_modified        TEXT,
    last_snapshot_id     INTEGER,
    last_poll_at         TEXT,
    last_success_at      TEXT,
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    down                 INTEGER NOT NULL DEFAULT 0,
    next_poll_at         TEXT,
    lease_owner          TEXT,
    lease_until          TEXT
);

-- Identical content is stored once, by hash.
CREATE TABLE contents (
    hash TEXT PRIMARY KEY,
    body TEXT NOT NULL
);

CREATE TABLE snapshots (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id    TEXT NOT NULL,
    content_hash TEXT NOT NULL REFERENCES contents(hash),
    taken_at     TEXT NOT NULL
);
CREATE INDEX snapshots_source ON snapshots(source_id, id);

CREATE TABLE fetch_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id   TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    status      INTEGER,
    bytes       INTEGER,
    outcome     TEXT NOT NULL,   -- changed | unchanged | not_modified | baseline | failed
    error       TEXT
);
CREATE INDEX fetch_log_source ON fetch_log(source_id, id);

CREATE TABLE changes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id      TEXT NOT NULL,
    jurisdiction   TEXT NOT NULL,
    detected_at    TEXT NOT NULL,
    kind           TEXT NOT NULL,
    item_key       TEXT,
    title          TEXT NOT NULL,
    link           TEXT,
    excerpt        TEXT NOT NULL,
    diff           TEXT NOT NULL,
    body           TEXT NOT NULL,
    categories     TEXT NOT NULL,  -- JSON array
    hs_codes       TEXT NOT NULL,  -- JSON array
    evidence       TEXT NOT NULL,  -- JSON array
    effective_date TEXT,
    author         TEXT,
    snapshot_id    INTEGER
);
CREATE INDEX changes_detected ON changes(detected_at);
CREATE INDEX changes_source ON changes(source_id, id);
CREATE INDEX changes_jurisdiction ON changes(jurisdiction, detected_at);

-- Tag tables for filtering (the JSON columns keep the evidence for display).
CREATE TABLE change_categories (
    change_id INTEGER NOT NULL REFERENCES changes(id),
    category  TEXT NOT NULL,
    PRIMARY KEY (change_id, category)
);
CREATE INDEX change_categories_cat ON change_categories(category, change_id);

CREATE TABLE change_hs (
    change_id INTEGER NOT NULL REFERENCES changes(id),
    digits    TEXT NOT NULL,
    PRIMARY KEY (change_id, digits)
);
CREATE INDEX change_hs_digits ON change_hs(digits, change_id);

CREATE TABLE cases (
    id         TEXT PRIMARY KEY,
    client     TEXT NOT NULL DEFAULT '',
    title      TEXT NOT NULL DEFAULT '',
    country    TEXT NOT NULL,
    hs_codes   TEXT NOT NULL DEFAULT '[]',
    categories TEXT NOT NULL DEFAULT '[]',
    keywords   TEXT NOT NULL DEFAULT '[]',
    status     TEXT NOT NULL DEFAULT 'open',
    link       TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX cases_status ON cases(status, country);

CREATE TABLE case_matches (
    change_id INTEGER NOT NULL REFERENCES changes(id),
    case_id   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    PRIMARY KEY (change_id, case_id)
);
CREATE INDEX case_matches_case ON case_matches(case_id, change_id);

-- The outbox: a delivery is queued in the same transaction that records what
-- it is about, and is only ever read by senders.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    channel         TEXT NOT NULL,
    kind            TEXT NOT NULL,          -- change | digest | health
    change_id       INTEGER,
    payload         TEXT NOT NULL,          -- JSON
    idempotency_key TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL DEFAULT 'pending',  -- pending | delivered
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT,
    lease_owner     TEXT,
    lease_until     TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

-- Digest periods: the end of the last period built, per channel.
CREATE TABLE digest_state (
    channel    TEXT PRIMARY KEY,
    period_end TEXT NOT NULL
);

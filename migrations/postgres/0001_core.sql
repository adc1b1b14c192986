-- regwatch core schema (PostgreSQL): the same tables as migrations/sqlite,
-- with BIGINT for integers and 0/1 flags and TEXT for times, so rows decode
-- the same on both backends. Every text column is COLLATE "C": byte order, as
-- in SQLite, whatever the cluster's locale, so ids sort the same and times
-- (fixed-width RFC 3339 UTC) compare as times.
-- Snapshots and changes are never rewritten: the store is the audit record
-- of what a source said and when.

CREATE TABLE source_state (
    source_id            TEXT COLLATE "C" PRIMARY KEY,
    etag                 TEXT COLLATE "C",
    last_modified        TEXT COLLATE "C",
    last_snapshot_id     BIGINT,
    last_poll_at         TEXT COLLATE "C",
    last_success_at      TEXT COLLATE "C",
    last_error           TEXT COLLATE "C",
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    down                 BIGINT NOT NULL DEFAULT 0,
    next_poll_at         TEXT COLLATE "C",
    lease_owner          TEXT COLLATE "C",
    lease_until          TEXT COLLATE "C"
);

-- Identical content is stored once, by hash.
CREATE TABLE contents (
    hash TEXT COLLATE "C" PRIMARY KEY,
    body TEXT COLLATE "C" NOT NULL
);

CREATE TABLE snapshots (
    id           BIGSERIAL PRIMARY KEY,
    source_id    TEXT COLLATE "C" NOT NULL,
    content_hash TEXT COLLATE "C" NOT NULL REFERENCES contents(hash),
    taken_at     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX snapshots_source ON snapshots(source_id, id);

CREATE TABLE fetch_log (
    id          BIGSERIAL PRIMARY KEY,
    source_id   TEXT COLLATE "C" NOT NULL,
    started_at  TEXT COLLATE "C" NOT NULL,
    duration_ms BIGINT NOT NULL,
    status      BIGINT,
    bytes       BIGINT,
    outcome     TEXT COLLATE "C" NOT NULL,   -- changed | unchanged | not_modified | baseline | failed
    error       TEXT COLLATE "C"
);
CREATE INDEX fetch_log_source ON fetch_log(source_id, id);

CREATE TABLE changes (
    id             BIGSERIAL PRIMARY KEY,
    source_id      TEXT COLLATE "C" NOT NULL,
    jurisdiction   TEXT COLLATE "C" NOT NULL,
    detected_at    TEXT COLLATE "C" NOT NULL,
    kind           TEXT COLLATE "C" NOT NULL,
    item_key       TEXT COLLATE "C",
    title          TEXT COLLATE "C" NOT NULL,
    link           TEXT COLLATE "C",
    excerpt        TEXT COLLATE "C" NOT NULL,
    diff           TEXT COLLATE "C" NOT NULL,
    body           TEXT COLLATE "C" NOT NULL,
    categories     TEXT COLLATE "C" NOT NULL,  -- JSON array
    hs_codes       TEXT COLLATE "C" NOT NULL,  -- JSON array
    evidence       TEXT COLLATE "C" NOT NULL,  -- JSON array
    effective_date TEXT COLLATE "C",
    author         TEXT COLLATE "C",
    snapshot_id    BIGINT
);
CREATE INDEX changes_detected ON changes(detected_at);
CREATE INDEX changes_source ON changes(source_id, id);
CREATE INDEX changes_jurisdiction ON changes(jurisdiction, detected_at);

-- Tag tables for filtering (the JSON columns keep the evidence for display).
CREATE TABLE change_categories (
    change_id BIGINT NOT NULL REFERENCES changes(id),
    category  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (change_id, category)
);
CREATE INDEX change_categories_cat ON change_categories(category, change_id);

CREATE TABLE change_hs (
    change_id BIGINT NOT NULL REFERENCES changes(id),
    digits    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (change_id, digits)
);
CREATE INDEX change_hs_digits ON change_hs(digits, change_id);

CREATE TABLE cases (
    id         TEXT COLLATE "C" PRIMARY KEY,
    client     TEXT COLLATE "C" NOT NULL DEFAULT '',
    title      TEXT COLLATE "C" NOT NULL DEFAULT '',
    country    TEXT COLLATE "C" NOT NULL,
    hs_codes   TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    categories TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    keywords   TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    status     TEXT COLLATE "C" NOT NULL DEFAULT 'open',
    link       TEXT COLLATE "C",
    updated_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX cases_status ON cases(status, country);

CREATE TABLE case_matches (
    change_id BIGINT NOT NULL REFERENCES changes(id),
    case_id   TEXT COLLATE "C" NOT NULL,
    reason    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (change_id, case_id)
);
CREATE INDEX case_matches_case ON case_matches(case_id, change_id);

-- The outbox: a delivery is queued in the same transaction that records what
-- it is about, and is only ever read by senders.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    channel         TEXT COLLATE "C" NOT NULL,
    kind            TEXT COLLATE "C" NOT NULL,          -- change | digest | health
    change_id       BIGINT,
    payload         TEXT COLLATE "C" NOT NULL,          -- JSON
    idempotency_key TEXT COLLATE "C" NOT NULL UNIQUE,
    status          TEXT COLLATE "C" NOT NULL DEFAULT 'pending',  -- pending | delivered
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT COLLATE "C" NOT NULL,
    last_error      TEXT COLLATE "C",
    created_at      TEXT COLLATE "C" NOT NULL,
    delivered_at    TEXT COLLATE "C",
    lease_owner     TEXT COLLATE "C",
    lease_until     TEXT COLLATE "C"
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

-- Digest periods: the end of the last period built, per channel.
CREATE TABLE digest_state (
    channel    TEXT COLLATE "C" PRIMARY KEY,
    period_end TEXT COLLATE "C" NOT NULL
);

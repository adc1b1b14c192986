-- Per-case dispositions: a reviewer records whether a change affects a case,
-- does not, or has been dealt with. Every mark is kept (the audit trail); a
-- case match shows its latest.
CREATE TABLE dispositions (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id INTEGER NOT NULL REFERENCES changes(id),
    case_id   TEXT NOT NULL,
    state     TEXT NOT NULL,   -- open | affects | not_affected | done
    by_user   TEXT NOT NULL,
    at        TEXT NOT NULL,
    note      TEXT
);
CREATE INDEX dispositions_change ON dispositions(change_id, case_id, id);
-- Client notices as an officer edited and saved them: every save kept, the
-- latest is the one shown.
CREATE TABLE client_notices (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    client    TEXT NOT NULL,
    body      TEXT NOT NULL,
    by_user   TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX client_notices_client ON client_notices(client, id);

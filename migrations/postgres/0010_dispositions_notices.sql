-- Per-case dispositions: a reviewer records whether a change affects a case,
-- does not, or has been dealt with. Every mark is kept (the audit trail); a
-- case match shows its latest.
CREATE TABLE dispositions (
    id        BIGSERIAL PRIMARY KEY,
    change_id BIGINT NOT NULL REFERENCES changes(id),
    case_id   TEXT COLLATE "C" NOT NULL,
    state     TEXT COLLATE "C" NOT NULL,   -- open | affects | not_affected | done
    by_user   TEXT COLLATE "C" NOT NULL,
    at        TEXT COLLATE "C" NOT NULL,
    note      TEXT COLLATE "C"
);
CREATE INDEX dispositions_change ON dispositions(change_id, case_id, id);
-- Client notices as an officer edited and saved them: every save kept, the
-- latest is the one shown.
CREATE TABLE client_notices (
    id        BIGSERIAL PRIMARY KEY,
    client    TEXT COLLATE "C" NOT NULL,
    body      TEXT COLLATE "C" NOT NULL,
    by_user   TEXT COLLATE "C" NOT NULL,
    at        TEXT COLLATE "C" NOT NULL
);
CREATE INDEX client_notices_client ON client_notices(client, id);

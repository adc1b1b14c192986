-- Review marks: every mark kept (the audit trail); a change's review is its latest mark.
CREATE TABLE reviews (
    id        BIGSERIAL PRIMARY KEY,
    change_id BIGINT NOT NULL REFERENCES changes(id),
    state     TEXT COLLATE "C" NOT NULL,   -- new | reviewed | dismissed
    by_user   TEXT COLLATE "C" NOT NULL,
    at        TEXT COLLATE "C" NOT NULL,
    note      TEXT COLLATE "C"
);
CREATE INDEX reviews_change ON reviews(change_id, id);

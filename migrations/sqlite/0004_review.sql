-- Review marks: every mark kept (the audit trail); a change's review is its latest mark.
CREATE TABLE reviews (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id INTEGER NOT NULL REFERENCES changes(id),
    state     TEXT NOT NULL,   -- new | reviewed | dismissed
    by_user   TEXT NOT NULL,
    at        TEXT NOT NULL,
    note      TEXT
);
CREATE INDEX reviews_change ON reviews(change_id, id);

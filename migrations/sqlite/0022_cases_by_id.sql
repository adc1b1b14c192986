-- The cases kept in one B-tree ordered by their id (WITHOUT ROWID), not in
-- a table of row numbers beside an index of ids: a change's candidates are
-- read by id, thousands at a time (every case of a common heading), and
-- each was two searches, the id's index and then the row, each most often
-- a page of its own. One search now; the table is smaller too (the ids
-- are no longer stored twice). Columns and their order as before.
CREATE TABLE cases_by_id (
    id         TEXT PRIMARY KEY,
    client     TEXT NOT NULL DEFAULT '',
    title      TEXT NOT NULL DEFAULT '',
    country    TEXT NOT NULL,
    hs_codes   TEXT NOT NULL DEFAULT '[]',
    categories TEXT NOT NULL DEFAULT '[]',
    keywords   TEXT NOT NULL DEFAULT '[]',
    status     TEXT NOT NULL DEFAULT 'open',
    link       TEXT,
    updated_at TEXT NOT NULL,
    origin     TEXT
) WITHOUT ROWID;
INSERT INTO cases_by_id (id, client, title, country, hs_codes, categories, keywords, status, link, updated_at, origin)
    SELECT id, client, title, country, hs_codes, categories, keywords, status, link, updated_at, origin FROM cases;
DROP TABLE cases;
ALTER TABLE cases_by_id RENAME TO cases;
CREATE INDEX cases_status ON cases(status, country);

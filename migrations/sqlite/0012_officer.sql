-- Search folds case and diacritics in every language: a folded copy of the
-- searched text (title, excerpt, text, HS codes), written with each change
-- and filled for older rows at start (the folding is Rust's, not SQL's).
ALTER TABLE changes ADD COLUMN search_text TEXT;
-- A reviewer's corrections of a change's tags (categories, HS codes, dates):
-- every correction kept with who, when, why, and the values before and
-- after (JSON); the change's own row is never rewritten.
CREATE TABLE corrections (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id INTEGER NOT NULL REFERENCES changes(id),
    by_user   TEXT NOT NULL,
    at        TEXT NOT NULL,
    reason    TEXT NOT NULL,
    before_tags TEXT NOT NULL,
    after_tags  TEXT NOT NULL
);
CREATE INDEX corrections_change ON corrections(change_id, id);

-- An offline English gist of a notice not in English (act, issuer, action,
-- products, dates), computed when the change is recorded. Kept beside the
-- change, not in it: the change row is the audit record of what the source
-- said; the gist is what regwatch read from it (glossaries improve).
-- A change recorded before this migration has no row here: no gist.
CREATE TABLE change_gists (
    change_id INTEGER PRIMARY KEY REFERENCES changes(id),
    lang      TEXT NOT NULL,
    gist      TEXT NOT NULL   -- JSON: {"lang", "text", "country", "issuer", ...}
);

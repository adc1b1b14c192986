-- Matching through an index: the terms an open case can be matched by
-- (`TR|hs:8517`, `TR|kw:IMEI`, `TR|cat:telecom`), so that one change reads
-- only the cases that share a term with it, not every case of its country.
-- Written with the case in one transaction; computed in Rust (the HS
-- 2017/2022 correlation is the binary's), so existing cases are filled at
-- first use, and again whenever `case_terms_version` is older than the
-- binary's way of deriving them.
CREATE TABLE case_terms (
    term    TEXT NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (term, case_id)
) WITHOUT ROWID;
CREATE INDEX case_terms_case ON case_terms(case_id);
-- The keywords of open cases, by country (`TR|kw:IMEI`): a change's text is
-- searched for these, and the ones found are looked up in case_terms.
CREATE TABLE case_vocabulary (
    term TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE TABLE case_terms_version (
    version INTEGER NOT NULL
);

-- Matching through an index: the terms an open case can be matched by
-- (`TR|hs:8517`, `TR|kw:IMEI`, `TR|cat:telecom`), so that one change reads
-- only the cases that share a term with it, not every case of its country.
-- Written with the case in one transaction; computed in Rust (the HS
-- 2017/2022 correlation is the binary's), so existing cases are filled at
-- first use, and again whenever `case_terms_version` is older than the
-- binary's way of deriving them. Terms compare bytewise (prefix ranges of
-- HS codes), whatever the database's collation.
CREATE TABLE case_terms (
    term    TEXT COLLATE "C" NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (term, case_id)
);
CREATE INDEX case_terms_case ON case_terms(case_id);
CREATE TABLE case_vocabulary (
    term TEXT COLLATE "C" PRIMARY KEY
);
CREATE TABLE case_terms_version (
    version BIGINT NOT NULL
);

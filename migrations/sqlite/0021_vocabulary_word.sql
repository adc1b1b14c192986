-- The case keywords are looked up by the words of a change, not read whole
-- and searched for one by one: `word` is a keyword's last word, folded and
-- stripped of diacritics (`TR|kw:Tıbbi Cihaz` → `cihaz`), and a change
-- reads only the keywords whose word (or a stem of it) its text holds.
-- Filled by the binary: the terms' version is raised with it, so the index
-- is rebuilt at first use.
ALTER TABLE case_vocabulary ADD COLUMN word TEXT NOT NULL DEFAULT '';
CREATE INDEX case_vocabulary_word ON case_vocabulary(word);
DELETE FROM case_terms_version;

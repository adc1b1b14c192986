-- A listing that shrank by more than half in one poll is held as suspect:
-- the hash of that content, until the next poll confirms it (the same
-- content again: then it is diffed and reported) or it goes away.
ALTER TABLE source_state ADD COLUMN suspect_hash TEXT;

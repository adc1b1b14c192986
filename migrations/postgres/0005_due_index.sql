-- The scheduler asks only for the sources that are due: an index on the plan.
-- Times are fixed-width RFC 3339 UTC text, so they compare in time order.
CREATE INDEX source_state_next_poll ON source_state (next_poll_at);
-- The hash of the last successfully extracted body (with the source's rules):
-- a body fetched again byte for byte is not parsed again.
ALTER TABLE source_state ADD COLUMN body_hash TEXT COLLATE "C";

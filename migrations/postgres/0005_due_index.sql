-- The scheduler asks only for the sources that are due: an index on the plan.
-- Times are fixed-width RFC 3339 UTC text, so they compare in time order.
CREATE INDEX source_state_next_poll ON source_state (next_poll_at);

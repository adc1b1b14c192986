-- The rate limits still running are read before every poll (a site that
-- asked us to wait is not asked, from any source on its host): an index on
-- the few rows that have one, so that read does not scan every source.
CREATE INDEX source_state_rate_limited ON source_state (rate_limited_until)
    WHERE rate_limited_until IS NOT NULL;

-- What real sites do to a change monitor.
-- A permanent redirect followed: where the source's address now lives, and
-- the address it was seen from (shown until the source is edited).
ALTER TABLE source_state ADD COLUMN moved_to TEXT;
ALTER TABLE source_state ADD COLUMN moved_from TEXT;
-- A 429/503 with Retry-After: the source is not asked again before this.
ALTER TABLE source_state ADD COLUMN rate_limited_until TEXT;
-- The items a source has shown, by identity key, for at least 400 days: an
-- item that slides out of a "latest N" listing and back is not new.
CREATE TABLE seen_items (
    source_id TEXT NOT NULL,
    item_key  TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (source_id, item_key)
);

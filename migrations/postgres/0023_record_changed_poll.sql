-- A changed poll recorded in one statement (one round trip), the way
-- `Store::record_poll`'s transaction records it row by row: the fetch-log
-- line, the snapshot, each change with its categories, HS digits, gist,
-- case matches, story and outbox rows, the seen items, the health alerts
-- and the source's state. `p` is the poll as the binary prepared it
-- (src/store/one_statement.rs): every decision the binary makes (the
-- health transition, the story each change joins, the alerts) was made
-- from what it read before, and is checked here under the same locks the
-- transaction takes; when what it read has moved on (the source's standing
-- or snapshot, or another source's change that a story would have to
-- consider), nothing but the source's state row is touched and NULL is
-- returned: the binary then records the poll by the transaction.
CREATE FUNCTION regwatch_record_changed_poll(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    src    text := p->>'source_id';
    at     text := p->>'started_at';
    cur    record;
    snap   bigint;
    ch     jsonb;
    cid    bigint;
    story  bigint;
    chan   text;
    ids    jsonb := '[]';
    health jsonb;
BEGIN
    -- The row lock of `lock_state`.
    INSERT INTO source_state (source_id) VALUES (src)
    ON CONFLICT (source_id) DO UPDATE SET consecutive_failures = source_state.consecutive_failures
    RETURNING consecutive_failures, down, last_snapshot_id INTO cur;
    IF cur.consecutive_failures <> (p->>'failures')::bigint
       OR cur.down <> (p->>'down')::bigint
       OR cur.last_snapshot_id IS DISTINCT FROM (p->>'expected_snapshot')::bigint THEN
        RETURN NULL;
    END IF;
    IF jsonb_array_length(p->'changes') > 0 THEN
        -- The story lock of `stories::serialize`, then no change of another
        -- source recorded since the stories were read.
        PERFORM pg_advisory_xact_lock((p->>'story_lock')::bigint);
        IF EXISTS (SELECT 1 FROM changes
                   WHERE id > (p->>'changes_read_up_to')::bigint AND source_id <> src) THEN
            RETURN NULL;
        END IF;
    END IF;

    INSERT INTO fetch_log (source_id, started_at, duration_ms, status, bytes, outcome, error)
    SELECT source_id, started_at, duration_ms, status, bytes, outcome, error
    FROM jsonb_populate_record(NULL::fetch_log, p->'fetch');

    IF p->>'content_hash' IS NOT NULL THEN
        INSERT INTO contents (hash, body) VALUES (p->>'content_hash', p->>'content_body')
        ON CONFLICT (hash) DO NOTHING;
        INSERT INTO snapshots (source_id, content_hash, taken_at)
        VALUES (src, p->>'content_hash', at) RETURNING id INTO snap;
    END IF;

    FOR ch IN SELECT value FROM jsonb_array_elements(p->'changes') LOOP
        INSERT INTO changes (source_id, jurisdiction, detected_at, kind, item_key, title, link,
                             excerpt, diff, body, categories, hs_codes, evidence, effective_date,
                             author, snapshot_id, deadline, excluded_hs_codes, chapters, member,
                             origins, tags, search_text)
        SELECT source_id, jurisdiction, detected_at, kind, item_key, title, link,
               excerpt, diff, body, categories, hs_codes, evidence, effective_date,
               author, snap, deadline, excluded_hs_codes, chapters, member,
               origins, tags, search_text
        FROM jsonb_populate_record(NULL::changes, ch->'row')
        RETURNING id INTO cid;
        INSERT INTO change_categories (change_id, category)
        SELECT cid, value FROM jsonb_array_elements_text(ch->'categories') ON CONFLICT DO NOTHING;
        INSERT INTO change_hs (change_id, digits)
        SELECT cid, value FROM jsonb_array_elements_text(ch->'hs_digits') ON CONFLICT DO NOTHING;
        IF ch->>'gist' IS NOT NULL THEN
            INSERT INTO change_gists (change_id, lang, gist)
            VALUES (cid, ch->>'gist_lang', ch->>'gist');
        END IF;
        INSERT INTO case_matches (change_id, case_id, reason, strength)
        SELECT cid, value->>0, value->>1, value->>2 FROM jsonb_array_elements(ch->'matches')
        ON CONFLICT DO NOTHING;
        story := COALESCE((ch->>'story')::bigint, cid);
        UPDATE changes SET story_id = story WHERE id = cid;
        -- `queue_alerts`: a story is alerted once per channel (a field
        -- report's alert does not count).
        FOR chan IN SELECT value FROM jsonb_array_elements_text(ch->'deliver_to') LOOP
            IF story = cid OR NOT EXISTS (
                SELECT 1 FROM outbox o JOIN changes s ON s.id = o.change_id
                WHERE s.story_id = story AND o.kind = 'change' AND o.channel = chan
                  AND s.source_id <> 'field') THEN
                INSERT INTO outbox (channel, kind, change_id, payload, idempotency_key,
                                    next_attempt_at, created_at)
                VALUES (chan, 'change', cid, '{}', 'change:' || cid || ':' || chan, at, at)
                ON CONFLICT (idempotency_key) DO NOTHING;
            END IF;
        END LOOP;
        ids := ids || to_jsonb(cid);
    END LOOP;

    -- `remember`: the items seen arrive or leave, and those long gone forgotten.
    IF jsonb_array_length(p->'seen_keys') > 0 THEN
        INSERT INTO seen_items (source_id, item_key, last_seen)
        SELECT src, value, at FROM jsonb_array_elements_text(p->'seen_keys')
        ON CONFLICT (source_id, item_key) DO UPDATE SET last_seen = excluded.last_seen;
        DELETE FROM seen_items WHERE source_id = src AND last_seen < p->>'seen_before';
    END IF;

    -- `announce`: the health transition's alerts.
    INSERT INTO outbox (channel, kind, change_id, payload, idempotency_key, next_attempt_at, created_at)
    SELECT value->>'channel', 'health', NULL, value->>'payload', value->>'key', at, at
    FROM jsonb_array_elements(p->'health_alerts')
    ON CONFLICT (idempotency_key) DO NOTHING;

    -- `move_on`: the compare-and-set of the state, handing the health row back.
    UPDATE source_state SET
        last_poll_at = at, last_success_at = at, last_error = NULL, suspect_hash = NULL,
        next_poll_at = COALESCE(p->>'next_poll_at', next_poll_at),
        etag = p->>'etag', last_modified = p->>'last_modified', body_hash = p->>'body_hash',
        last_snapshot_id = COALESCE(snap, last_snapshot_id),
        lease_owner = NULL, lease_until = NULL, rate_limited_until = NULL,
        moved_to = CASE WHEN p->>'moved_to' IS NOT NULL THEN p->>'moved_to'
                        WHEN moved_from = p->>'url' THEN moved_to ELSE NULL END,
        moved_from = CASE WHEN p->>'moved_to' IS NOT NULL THEN p->>'url'
                          WHEN moved_from = p->>'url' THEN moved_from ELSE NULL END,
        consecutive_failures = (p->>'after_failures')::bigint,
        down = (p->>'after_down')::bigint
    WHERE source_id = src AND last_snapshot_id IS NOT DISTINCT FROM (p->>'expected_snapshot')::bigint
    RETURNING jsonb_build_array(source_id, last_poll_at, last_success_at, last_error,
                                consecutive_failures, next_poll_at, down, moved_to,
                                rate_limited_until, moved_from)
    INTO health;
    IF health IS NULL THEN
        RAISE EXCEPTION 'source % moved on from snapshot % while its poll was recorded',
            src, p->>'expected_snapshot';
    END IF;
    RETURN jsonb_build_object('change_ids', ids, 'health', health);
END;
$$;

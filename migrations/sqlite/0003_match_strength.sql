-- Match strength (direct, chapter, keyword, related, category), deadlines,
-- excluded codes, chapter references, a WTO notification's member, the
-- origins an origin-specific measure names, and a case's origin.
ALTER TABLE changes ADD COLUMN deadline TEXT;
ALTER TABLE changes ADD COLUMN excluded_hs_codes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE changes ADD COLUMN chapters TEXT NOT NULL DEFAULT '[]';
ALTER TABLE changes ADD COLUMN member TEXT;
ALTER TABLE changes ADD COLUMN origins TEXT NOT NULL DEFAULT '[]';
ALTER TABLE cases ADD COLUMN origin TEXT;
ALTER TABLE case_matches ADD COLUMN strength TEXT NOT NULL DEFAULT 'direct';
-- Matches recorded before strengths existed, read from their reasons.
UPDATE case_matches SET strength = CASE
    WHEN reason LIKE 'category %' THEN 'category'
    WHEN reason LIKE 'keyword %' THEN 'keyword'
    WHEN reason LIKE '% share %' THEN 'related'
    ELSE 'direct' END;

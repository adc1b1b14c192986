-- The whole tag set of a change as JSON (categories, codes, ranges, origins,
-- exempt origins, measures, and every date with its kind and the sentence
-- that gave it), so that reading a change back gives what the tagger said.
-- Rows recorded before it hold NULL and load with the columns they have.
ALTER TABLE changes ADD COLUMN tags TEXT;

-- Stories: changes from different sources that describe the same act. A
-- change's story is the id of the first change of its story (its own id
-- when it stands alone); an act is alerted once per channel per story.
ALTER TABLE changes ADD COLUMN story_id INTEGER;
UPDATE changes SET story_id = id;
CREATE INDEX changes_story ON changes (story_id);
-- Whether a story was already alerted on a channel is asked of the outbox
-- by change id.
CREATE INDEX outbox_change ON outbox (change_id);

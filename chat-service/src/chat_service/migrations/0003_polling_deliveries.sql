-- Polling mode hands a turn's answers out one at a time: how many went out so far.
-- NULL for a streamed turn (its stream delivered them).
ALTER TABLE turns ADD COLUMN delivered integer CHECK (delivered >= 0);
-- The oldest polled turn of a room with answers still to hand out.
CREATE INDEX turns_room_polled ON turns (room_id, created_at, id) WHERE delivered IS NOT NULL;

CREATE TABLE rooms (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   text NOT NULL,
    title      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rooms_owner_newest ON rooms (owner_id, created_at DESC, id DESC);

CREATE TABLE turns (
    id          uuid PRIMARY KEY,
    room_id     bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'RUNNING' CHECK (status IN ('RUNNING', 'COMPLETED', 'FAILED')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX turns_room_newest ON turns (room_id, created_at DESC);

CREATE TABLE messages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id      bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    turn_id      uuid REFERENCES turns (id) ON DELETE SET NULL,
    message_type text NOT NULL CHECK (message_type IN ('USER', 'AI')),
    content      text NOT NULL,
    image_url    text,
    agent_type   text,
    agent_name   text,
    agent_role   text,
    -- [{"product_id": "...", "product_url": "..."}]
    products     jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- Keyset pagination of a room, newest first.
CREATE INDEX messages_room_keyset ON messages (room_id, created_at DESC, id DESC);
-- A turn never stores the same expert's answer twice.
CREATE UNIQUE INDEX messages_one_answer_per_expert ON messages (turn_id, agent_type)
    WHERE message_type = 'AI';

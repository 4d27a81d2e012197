-- Uploaded pictures belong to whoever uploaded them: served to that owner only.
CREATE TABLE uploads (
    id           text PRIMARY KEY,
    owner_id     text NOT NULL,
    object_key   text NOT NULL,
    content_type text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX uploads_owner ON uploads (owner_id);

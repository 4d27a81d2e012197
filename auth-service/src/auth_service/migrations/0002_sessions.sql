-- Refresh tokens: opaque to the client, stored here only as their SHA-256. Each login starts a
-- family; every refresh rotates within it, and presenting a rotated token revokes the family.
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- One-time login states (login CSRF): stored hashed, consumed by the callback.
CREATE TABLE login_states (
    state_hash    bytea PRIMARY KEY,
    code_verifier text NOT NULL DEFAULT '',
    expires_at    timestamptz NOT NULL
);

-- A guest that logged in: its rooms and tasks now belong to this account.
ALTER TABLE users ADD COLUMN merged_into uuid REFERENCES users (id);

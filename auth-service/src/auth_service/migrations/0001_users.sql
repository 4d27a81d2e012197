CREATE TABLE users (
    id            uuid PRIMARY KEY,
    is_guest      boolean NOT NULL,
    kakao_id      bigint UNIQUE,
    nickname      text NOT NULL DEFAULT '',
    profile_image text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (is_guest OR kakao_id IS NOT NULL)
);

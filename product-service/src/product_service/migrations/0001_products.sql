-- The catalog. Array columns hold Korean tag values (seasons, style and TPO tags);
-- search_text holds the normalised tokens search matches against (attributes, synonyms,
-- morphemes of the name and description), written by the service on every upsert.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE products (
    product_id text PRIMARY KEY,
    product_name text NOT NULL,
    brand_name text NOT NULL,
    main_category text NOT NULL,
    sub_category text NOT NULL,
    color_name text NOT NULL,
    color_hex text NOT NULL DEFAULT '',
    pattern text NOT NULL DEFAULT '',
    material text NOT NULL DEFAULT '',
    fit text NOT NULL DEFAULT '',
    seasons text[] NOT NULL DEFAULT '{}',
    gender text NOT NULL,
    style_tags text[] NOT NULL DEFAULT '{}',
    tpo_tags text[] NOT NULL DEFAULT '{}',
    original_price bigint NOT NULL,
    price bigint NOT NULL,
    comprehensive_description text NOT NULL DEFAULT '',
    image_url text NOT NULL DEFAULT '',
    image_source_url text NOT NULL DEFAULT '',
    search_text text NOT NULL DEFAULT '',
    search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED,
    -- Passage embedding (float16, L2-normalised) when a semantic model is available.
    embedding bytea,
    -- Hash of every field above but the embedding: an import that changes nothing is a no-op.
    content_hash text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (main_category IN ('TOP', 'BOTTOM', 'OUTER', 'SHOES', 'ACCESSORY')),
    CHECK (gender IN ('MEN', 'WOMEN', 'UNISEX')),
    CHECK (price >= 0 AND original_price >= 0)
);

CREATE INDEX products_sub_category_idx ON products (sub_category);
CREATE INDEX products_main_category_idx ON products (main_category);
CREATE INDEX products_color_idx ON products (color_name);
CREATE INDEX products_price_idx ON products (price);
CREATE INDEX products_tags_idx ON products USING gin (tpo_tags, style_tags, seasons);
CREATE INDEX products_search_vector_idx ON products USING gin (search_vector);
CREATE INDEX products_search_trgm_idx ON products USING gin (search_text gin_trgm_ops);
CREATE INDEX products_name_trgm_idx ON products USING gin (product_name gin_trgm_ops);

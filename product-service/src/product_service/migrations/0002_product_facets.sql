-- A narrow copy of what search filters and ranks on, one row per product. Scanning it is
-- ~3× cheaper than scanning `products`, whose rows carry descriptions, search text and
-- vectors (~2 KB each). Tags of the known vocabulary are also bit masks: `mask & bits <> 0`
-- costs far less per row than an array overlap. Kept in step by the service on every upsert
-- and refreshed at start (so a vocabulary change re-derives the masks).
CREATE FUNCTION tag_mask(tags text[], vocabulary text[]) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(sum(1 << (array_position(vocabulary, tag) - 1)), 0)::integer
    FROM unnest(tags) AS tag WHERE tag = ANY(vocabulary)
$$;

CREATE TABLE product_facets (
    product_id text PRIMARY KEY REFERENCES products (product_id) ON DELETE CASCADE,
    main_category text NOT NULL,
    sub_category text NOT NULL,
    color_name text NOT NULL,
    gender text NOT NULL,
    price bigint NOT NULL,
    pattern text NOT NULL,
    material text NOT NULL,
    fit text NOT NULL,
    tpo_mask integer NOT NULL,
    season_mask integer NOT NULL,
    style_mask integer NOT NULL,
    tpo_tags text[] NOT NULL,
    seasons text[] NOT NULL,
    style_tags text[] NOT NULL
);

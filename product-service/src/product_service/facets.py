"""The `product_facets` table: the narrow copy of products that search scans.

Bit i of a mask stands for the i-th value of the vocabulary table (TPOS, SEASONS, STYLES);
values outside the vocabulary (from imports) stay in the arrays, which search falls back to.
"""

from collections.abc import Sequence

import asyncpg

from product_service.vocabulary import SEASONS, STYLES, TPOS

TPO_BITS: tuple[str, ...] = tuple(TPOS)
SEASON_BITS: tuple[str, ...] = SEASONS
STYLE_BITS: tuple[str, ...] = tuple(STYLES)

_SYNC = """
INSERT INTO product_facets AS f (product_id, main_category, sub_category, color_name, gender,
    price, pattern, material, fit, tpo_mask, season_mask, style_mask, tpo_tags, seasons,
    style_tags)
SELECT product_id, main_category, sub_category, color_name, gender, price, pattern, material,
    fit, tag_mask(tpo_tags, $1), tag_mask(seasons, $2), tag_mask(style_tags, $3), tpo_tags,
    seasons, style_tags
FROM products WHERE $4::text[] IS NULL OR product_id = ANY($4::text[])
ON CONFLICT (product_id) DO UPDATE SET
    main_category = EXCLUDED.main_category, sub_category = EXCLUDED.sub_category,
    color_name = EXCLUDED.color_name, gender = EXCLUDED.gender, price = EXCLUDED.price,
    pattern = EXCLUDED.pattern, material = EXCLUDED.material, fit = EXCLUDED.fit,
    tpo_mask = EXCLUDED.tpo_mask, season_mask = EXCLUDED.season_mask,
    style_mask = EXCLUDED.style_mask, tpo_tags = EXCLUDED.tpo_tags,
    seasons = EXCLUDED.seasons, style_tags = EXCLUDED.style_tags
WHERE (f.*) IS DISTINCT FROM (EXCLUDED.*)
"""


async def sync_facets(
    conn: asyncpg.Connection | asyncpg.Pool, *, product_ids: Sequence[str] | None = None
) -> None:
    """Brings the facets of `product_ids` (all products when None) in line with products."""
    await conn.execute(
        _SYNC,
        list(TPO_BITS),
        list(SEASON_BITS),
        list(STYLE_BITS),
        None if product_ids is None else list(product_ids),
    )


def bits_for(values: Sequence[str], vocabulary: Sequence[str]) -> int | None:
    """The mask of `values`, or None when one of them is outside the vocabulary."""
    mask = 0
    for value in values:
        if value not in vocabulary:
            return None
        mask |= 1 << vocabulary.index(value)
    return mask

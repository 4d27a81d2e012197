"""The catalog table: upserts that report what changed, and reads by id."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from product_service.facets import sync_facets
from product_service.product import Product

PRODUCT_COLUMNS = (
    "product_id, product_name, brand_name, main_category, sub_category, color_name, color_hex,"
    " pattern, material, fit, seasons, gender, style_tags, tpo_tags, original_price, price,"
    " comprehensive_description, image_url, image_source_url"
)

# One statement per batch: rows travel as one JSON document and PostgreSQL unpacks them,
# which keeps a 10,000-product seed to a handful of round trips.
_UPSERT = f"""
INSERT INTO products ({PRODUCT_COLUMNS}, search_text, content_hash)
SELECT {PRODUCT_COLUMNS}, search_text, content_hash
FROM jsonb_to_recordset($1::jsonb) AS r(
    product_id text, product_name text, brand_name text, main_category text,
    sub_category text, color_name text, color_hex text, pattern text, material text, fit text,
    seasons text[], gender text, style_tags text[], tpo_tags text[], original_price bigint,
    price bigint, comprehensive_description text, image_url text, image_source_url text,
    search_text text, content_hash text)
ON CONFLICT (product_id) DO UPDATE SET
    product_name = EXCLUDED.product_name, brand_name = EXCLUDED.brand_name,
    main_category = EXCLUDED.main_category, sub_category = EXCLUDED.sub_category,
    color_name = EXCLUDED.color_name, color_hex = EXCLUDED.color_hex,
    pattern = EXCLUDED.pattern, material = EXCLUDED.material, fit = EXCLUDED.fit,
    seasons = EXCLUDED.seasons, gender = EXCLUDED.gender, style_tags = EXCLUDED.style_tags,
    tpo_tags = EXCLUDED.tpo_tags, original_price = EXCLUDED.original_price,
    price = EXCLUDED.price, comprehensive_description = EXCLUDED.comprehensive_description,
    image_url = EXCLUDED.image_url, image_source_url = EXCLUDED.image_source_url,
    search_text = EXCLUDED.search_text, content_hash = EXCLUDED.content_hash,
    embedding = NULL, updated_at = now()
WHERE products.content_hash IS DISTINCT FROM EXCLUDED.content_hash
RETURNING product_id, (xmax = 0) AS inserted
"""


@dataclass
class UpsertResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def content_hash(product: Product, search_text: str) -> str:
    """Stable hash of what is stored for a product."""
    payload = json.dumps([product.to_dict(), search_text], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


async def upsert_products(
    pool: asyncpg.Pool, *, products: Sequence[Product], search_texts: Sequence[str]
) -> UpsertResult:
    """Inserts new products and updates changed ones; unchanged rows are not touched."""
    rows = []
    for product, text in zip(products, search_texts, strict=True):
        row = product.to_dict()
        row["search_text"] = text
        row["content_hash"] = content_hash(product, text)
        rows.append(row)
    result = UpsertResult()
    async with pool.acquire() as conn, conn.transaction():
        records = await conn.fetch(_UPSERT, json.dumps(rows, ensure_ascii=False))
        await sync_facets(conn, product_ids=[r["product_id"] for r in records])
    touched = set()
    for record in records:
        touched.add(record["product_id"])
        (result.added if record["inserted"] else result.updated).append(record["product_id"])
    result.unchanged = [p.product_id for p in products if p.product_id not in touched]
    return result


def product_from_row(row: asyncpg.Record) -> Product:
    return Product(
        product_id=row["product_id"],
        product_name=row["product_name"],
        brand_name=row["brand_name"],
        main_category=row["main_category"],
        sub_category=row["sub_category"],
        color_name=row["color_name"],
        color_hex=row["color_hex"],
        pattern=row["pattern"],
        material=row["material"],
        fit=row["fit"],
        seasons=tuple(row["seasons"]),
        gender=row["gender"],
        style_tags=tuple(row["style_tags"]),
        tpo_tags=tuple(row["tpo_tags"]),
        original_price=row["original_price"],
        price=row["price"],
        comprehensive_description=row["comprehensive_description"],
        image_url=row["image_url"],
        image_source_url=row["image_source_url"],
    )


async def fetch_products(pool: asyncpg.Pool, *, product_ids: Sequence[str]) -> dict[str, Product]:
    """The stored products among `product_ids`, by id (unknown ids are absent)."""
    if not product_ids:
        return {}
    rows = await pool.fetch(
        f"SELECT {PRODUCT_COLUMNS} FROM products WHERE product_id = ANY($1::text[])",
        list(product_ids),
    )
    return {row["product_id"]: product_from_row(row) for row in rows}


async def count_products(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM products")

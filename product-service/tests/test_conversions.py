"""The hot conversions of a search answer (product ↔ dict, JSON and proto, the request key)
give exactly what the `dataclasses.asdict` versions gave, and the decoded-product memo never
serves a stale product."""

import hashlib
import json
from dataclasses import asdict, replace

from product_service.cache import lookup_products
from product_service.product import FIELD_NAMES, Product
from product_service.search_cache import request_key
from product_service.search_sql import SearchFilters
from product_service.servicer import product_to_proto
from thefirsttake.product.v1 import product_pb2


def _old_to_dict(product: Product) -> dict:
    data = asdict(product)
    for key in ("seasons", "style_tags", "tpo_tags"):
        data[key] = list(data[key])
    return data


def test_to_dict_is_the_asdict_form_and_round_trips(catalog):
    for product in catalog[:50]:
        data = product.to_dict()
        assert data == _old_to_dict(product)
        assert list(data) == list(FIELD_NAMES)  # same order, so the same JSON
        assert json.dumps(data, ensure_ascii=False) == json.dumps(
            _old_to_dict(product), ensure_ascii=False
        )
        assert Product.from_dict(json.loads(json.dumps(data))) == product


def test_product_to_proto_sends_every_field_but_the_picture_source(catalog):
    for product in catalog[:50]:
        old = asdict(product)
        old.pop("image_source_url")
        assert product_to_proto(product) == product_pb2.Product(**old)
    assert "image_source_url" not in product_pb2.Product.DESCRIPTOR.fields_by_name


def test_request_key_is_unchanged_for_every_filter_field():
    filters = SearchFilters(
        main_categories=("TOP",),
        colours=("블랙", "화이트"),
        exclude_ids=("p1",),
        max_price=50000,
        prefer_styles=("캐주얼",),
        limit=60,
    )
    payload = json.dumps(["셔츠", asdict(filters), "lexical"], ensure_ascii=False, sort_keys=True)
    old = hashlib.sha256(payload.encode()).hexdigest()[:32]
    assert request_key(query="셔츠", filters=filters, mode="lexical") == old
    assert request_key(query="셔츠", filters=filters, mode="semantic") != old
    assert request_key(query="셔츠", filters=replace(filters, limit=61), mode="lexical") != old


async def test_cached_products_are_decoded_once_and_a_change_is_seen(pool, cache, catalog):
    product = catalog[5]
    await cache.put_many([product])
    first = await lookup_products(pool=pool, cache=cache, product_ids=[product.product_id])
    again = await lookup_products(pool=pool, cache=cache, product_ids=[product.product_id])
    assert first[product.product_id] == product
    assert again[product.product_id] is first[product.product_id]  # decoded once
    changed = replace(product, price=product.price + 1000)
    await cache.put_many([changed])
    now = await lookup_products(pool=pool, cache=cache, product_ids=[product.product_id])
    assert now[product.product_id] == changed

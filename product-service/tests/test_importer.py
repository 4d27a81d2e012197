import json

import pytest

from product_service.cache import lookup_products
from product_service.catalog import fetch_products
from product_service.importer import import_catalog, parse_lines
from product_service.lexicon import Lexicon
from tftkit.object_store import LocalObjectStore
from tftkit.postgres import connect_pool

GOOD = {
    "product_id": "900001",
    "product_name": "남색 옥스포드 셔츠",
    "brand_name": "테스트브랜드",
    "main_category": "top",
    "sub_category": "남방",
    "color_name": "남색",
    "pattern": "줄무늬",
    "material": "면",
    "fit": "오버사이즈",
    "seasons": ["봄", "가을"],
    "gender": "MEN",
    "style_tags": ["깔끔한"],
    "tpo_tags": ["하객룩", "출근"],
    "original_price": 59000,
    "price": 49000,
    "comprehensive_description": "단정한 남색 셔츠",
    "image_url": "https://cdn.example.com/p/900001.jpg",
}


def _line(**changes):
    data = {**GOOD, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not ...}, ensure_ascii=False)


@pytest.fixture
def store(tmp_path):
    return LocalObjectStore(tmp_path, "http://media.test/media")


def test_synonyms_are_folded_into_catalog_values(store):
    products, errors = parse_lines([_line()], lexicon=Lexicon(), store=store)
    assert errors == []
    product = products[0]
    assert (product.main_category, product.sub_category, product.color_name) == (
        "TOP",
        "셔츠",
        "네이비",
    )
    assert product.color_hex == "#1f2b4a"
    assert (product.pattern, product.material, product.fit) == ("스트라이프", "코튼", "오버핏")
    assert product.tpo_tags == ("결혼식", "출근") and product.style_tags == ("미니멀",)
    assert product.image_url == GOOD["image_url"]


def test_a_dress_is_its_own_main_category(store):
    line = _line(main_category="dress", sub_category="드레스", gender="WOMEN", fit="에이라인")
    products, errors = parse_lines([line], lexicon=Lexicon(), store=store)
    assert errors == []
    assert (products[0].main_category, products[0].sub_category) == ("DRESS", "원피스")
    assert products[0].fit == "A라인"


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        (_line(product_id="A-1"), "product_id", "numeric string"),
        (_line(price=-1), "price", "greater than or equal"),
        (_line(price=70000), "", "exceed original_price"),
        (_line(main_category="SWIMWEAR"), "main_category", "must be one of"),
        (_line(gender="BOYS"), "gender", "MEN, WOMEN or UNISEX"),
        (_line(color_hex="navy"), "color_hex", "#1f2b4a"),
        (_line(seasons=["장마"]), "seasons", "unknown season"),
        (_line(image_url="javascript:alert(1)"), "image_url", "http(s) URL"),
        (_line(product_name=...), "product_name", "required"),
        (_line(colour="x"), "colour", "unknown field"),
        ('{"product_id": "1",', "", "invalid JSON"),
        ("[1, 2]", "", "JSON object"),
    ],
)
def test_every_bad_line_names_its_line_and_field(store, line, field, words):
    products, errors = parse_lines(
        [_line(product_id="1"), "", line], lexicon=Lexicon(), store=store
    )
    assert [p.product_id for p in products] == ["1"]
    assert len(errors) >= 1
    error = errors[0]
    assert error.line == 3 and error.field == field
    assert words.lower() in error.message.lower()


def test_a_repeated_id_is_rejected_with_the_first_line(store):
    products, errors = parse_lines([_line(), _line(price=1000)], lexicon=Lexicon(), store=store)
    assert len(products) == 1 and products[0].price == 49000
    assert errors[0].line == 2 and "line 1" in errors[0].message


async def test_import_is_idempotent_reports_and_invalidates(empty_dsn, cache, store, tmp_path):
    lines = [_line(), _line(product_id="900002", image_url=""), _line(price="free")]
    async with connect_pool(empty_dsn) as pool:
        first = await import_catalog(
            pool=pool, cache=cache, store=store, lines=lines, lexicon=Lexicon(), image_workers=1
        )
        assert (first.added, first.updated, first.rejected) == (2, 0, 1)
        assert first.errors[0].line == 3 and first.errors[0].field == "price"
        # No picture given: one is drawn and served from the object store.
        assert (tmp_path / "products" / "900002.png").is_file()
        again = await import_catalog(
            pool=pool, cache=cache, store=store, lines=lines, lexicon=Lexicon()
        )
        assert (again.added, again.updated, again.unchanged) == (0, 0, 2)

        cached = await lookup_products(pool=pool, cache=cache, product_ids=["900001"])
        assert cached["900001"].price == 49000
        changed = await import_catalog(
            pool=pool, cache=cache, store=store, lines=[_line(price=39000)], lexicon=Lexicon()
        )
        assert changed.updated == 1
        fresh = await lookup_products(pool=pool, cache=cache, product_ids=["900001"])
        assert fresh["900001"].price == 39000
        stored = await fetch_products(pool, product_ids=["900002"])
        assert stored["900002"].image_url == "http://media.test/media/products/900002.png"

from collections import Counter

from product_service.garments import GARMENT_BY_NAME, GARMENTS
from product_service.generator import generate_catalog, with_ro
from product_service.vocabulary import (
    COLOUR_BY_NAME,
    DARK_COLOURS,
    FORMAL_COLOURS,
    MATERIAL_SEASONS,
)


def test_same_seed_gives_the_same_catalog_and_another_seed_differs():
    assert generate_catalog(count=200, seed=1) == generate_catalog(count=200, seed=1)
    assert generate_catalog(count=200, seed=1) != generate_catalog(count=200, seed=2)


def test_ids_are_numeric_unique_strings():
    products = generate_catalog(count=500)
    ids = [p.product_id for p in products]
    assert len(set(ids)) == 500
    assert all(i.isdigit() for i in ids)


def test_every_garment_category_and_gender_is_present():
    products = generate_catalog(count=3000)
    assert {p.sub_category for p in products} == {g.name for g in GARMENTS}
    assert {p.main_category for p in products} == {"TOP", "BOTTOM", "OUTER", "SHOES", "ACCESSORY"}
    genders = Counter(p.gender for p in products)
    assert all(genders[g] > 300 for g in ("MEN", "WOMEN", "UNISEX"))


def test_attributes_agree_with_each_other():
    for p in generate_catalog(count=1500):
        garment = GARMENT_BY_NAME[p.sub_category]
        assert p.main_category == garment.main
        assert p.color_hex == COLOUR_BY_NAME[p.color_name].hex
        assert p.color_name in p.product_name and p.sub_category in p.product_name
        for word in (p.color_name, p.material, p.brand_name, *p.seasons, *p.tpo_tags):
            assert word in p.comprehensive_description
        assert set(p.seasons) <= set(MATERIAL_SEASONS.get(p.material, p.seasons))
        assert 0 < p.price <= p.original_price
        assert p.tpo_tags and p.style_tags


def test_occasions_respect_dress_codes():
    for p in generate_catalog(count=3000):
        if "면접" in p.tpo_tags:
            assert p.pattern == "무지" and p.color_name in FORMAL_COLOURS
        if "장례식" in p.tpo_tags:
            assert p.color_name in DARK_COLOURS
        if "결혼식" in p.tpo_tags:
            assert p.color_name != "화이트"
        if p.sub_category in ("블라우스", "스커트", "힐"):
            assert p.gender == "WOMEN"
        if p.sub_category == "패딩":
            assert p.seasons == ("겨울",)


def test_particle_follows_the_last_syllable():
    assert with_ro("맨투맨") == "맨투맨으로"
    assert with_ro("셔츠") == "셔츠로"
    assert with_ro("벨트") == "벨트로"
    assert with_ro("힐") == "힐로"

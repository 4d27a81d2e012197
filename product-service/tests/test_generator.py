from collections import Counter

from product_service.garments import GARMENT_BY_NAME, GARMENTS
from product_service.generator import generate_catalog, with_ro, with_wa
from product_service.vocabulary import (
    COLOUR_BY_NAME,
    DARK_COLOURS,
    FORMAL_COLOURS,
    MAIN_CATEGORIES,
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
    assert {p.main_category for p in products} == set(MAIN_CATEGORIES)
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
        if p.sub_category in ("블라우스", "스커트", "힐", "원피스", "수트스커트", "레깅스"):
            assert p.gender == "WOMEN"
        if p.sub_category == "넥타이":
            assert p.gender == "MEN"
        if p.sub_category == "패딩":
            assert p.seasons == ("겨울",)
        if p.sub_category == "민소매":
            assert p.seasons == ("여름",)
        whole_look = p.sub_category in ("원피스", "수트자켓", "수트팬츠", "수트스커트")
        if whole_look and "결혼식" in p.tpo_tags:
            # Head to toe in the bride's colour is out for a guest.
            assert p.color_name not in ("화이트", "아이보리")
        if p.sub_category in ("원피스", "넥타이") and "결혼식" in p.tpo_tags:
            assert p.color_name != "블랙"
        if whole_look and "면접" in p.tpo_tags and p.sub_category != "원피스":
            assert p.color_name in ("블랙", "차콜", "네이비", "그레이")
        if "장례식" in p.tpo_tags:
            assert p.material not in ("린넨", "데님", "코듀로이", "메쉬")


def test_particle_follows_the_last_syllable():
    assert with_ro("맨투맨") == "맨투맨으로"
    assert with_ro("셔츠") == "셔츠로"
    assert with_ro("벨트") == "벨트로"
    assert with_ro("힐") == "힐로"
    assert with_wa("수트팬츠") == "수트팬츠와"
    assert with_wa("수트자켓") == "수트자켓과"


NEW_GARMENTS = {
    "원피스": ("DRESS", {"WOMEN"}),
    "수트자켓": ("OUTER", {"MEN", "WOMEN"}),
    "수트팬츠": ("BOTTOM", {"MEN", "WOMEN"}),
    "수트스커트": ("BOTTOM", {"WOMEN"}),
    "민소매": ("TOP", {"MEN", "WOMEN", "UNISEX"}),
    "카고팬츠": ("BOTTOM", {"MEN", "WOMEN", "UNISEX"}),
    "레깅스": ("BOTTOM", {"WOMEN"}),
    "넥타이": ("ACCESSORY", {"MEN"}),
}


def test_the_new_garments_are_made_with_their_own_attributes():
    products = generate_catalog(count=1500)
    by_sub = {name: [p for p in products if p.sub_category == name] for name in NEW_GARMENTS}
    for name, (main, genders) in NEW_GARMENTS.items():
        made = by_sub[name]
        assert len(made) >= 20, name
        assert {p.main_category for p in made} == {main}
        assert {p.gender for p in made} <= genders
    dresses = by_sub["원피스"]
    assert {p.fit for p in dresses} >= {"A라인", "H라인", "플리츠"}
    assert all(p.fit in p.product_name for p in dresses)
    # Seasons follow the cloth: a wool dress is for the cold, a chiffon one for the heat.
    assert all(p.seasons == ("가을", "겨울") for p in dresses if p.material == "울")
    assert all(p.seasons == ("봄", "여름") for p in dresses if p.material == "쉬폰")
    assert any("장례식" in p.tpo_tags for p in dresses)
    assert all("운동" in p.tpo_tags for p in by_sub["레깅스"])
    ties = by_sub["넥타이"]
    assert any({"면접", "결혼식", "상견례"} <= set(p.tpo_tags) for p in ties)
    assert not any("운동" in p.tpo_tags for p in ties)
    assert all(20_000 <= p.original_price <= 100_000 for p in ties)
    assert all(p.original_price >= 129_000 for p in by_sub["수트자켓"])


def test_suits_come_in_matching_pairs():
    products = generate_catalog(count=1500)
    by_id = {p.product_id: p for p in products}
    jackets = [p for p in products if p.sub_category == "수트자켓"]
    bottoms = [p for p in products if p.sub_category in ("수트팬츠", "수트스커트")]
    assert jackets and len(jackets) == len(bottoms)
    assert {p.sub_category for p in bottoms} == {"수트팬츠", "수트스커트"}
    for jacket in jackets:
        # The other half comes right after the jacket, cut from the same cloth.
        bottom = by_id[str(int(jacket.product_id) + 1)]
        assert bottom.sub_category in ("수트팬츠", "수트스커트")
        for field in ("brand_name", "color_name", "color_hex", "pattern", "material", "gender"):
            assert getattr(jacket, field) == getattr(bottom, field), field
        assert jacket.style_tags == bottom.style_tags
        set_name = jacket.product_name.rsplit(" ", 2)[0]
        assert set_name.endswith("셋업") and bottom.product_name.startswith(set_name)
        assert jacket.color_name in set_name and jacket.material in set_name
        # Each names the other, so the whole suit can be offered.
        assert bottom.product_id in jacket.comprehensive_description
        assert jacket.product_id in bottom.comprehensive_description
        if bottom.sub_category == "수트스커트":
            assert jacket.gender == "WOMEN"
    # Both men and women find a suit for an interview.
    for gender in ("MEN", "WOMEN"):
        assert any(j.gender == gender and "면접" in j.tpo_tags for j in jackets)


def test_a_set_is_never_cut_in_half_at_the_end_of_the_catalog():
    for count in range(1, 120):
        products = generate_catalog(count=count, seed=3)
        assert len(products) == count
        assert [p.product_id for p in products] == [str(100001 + i) for i in range(count)]
        subs = [p.sub_category for p in products]
        assert subs.count("수트자켓") == subs.count("수트팬츠") + subs.count("수트스커트")

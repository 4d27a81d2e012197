import pytest

from product_service.search import SearchFilters, search_products


async def _search(pool, understanding, query="", **filters):
    return await search_products(
        pool, filters=SearchFilters(**filters), intent=understanding.parse(query)
    )


async def test_named_colour_and_item_are_required(pool, understanding, catalog):
    results = await _search(pool, understanding, "네이비 슬랙스", limit=50)
    expected = {
        p.product_id for p in catalog if (p.color_name, p.sub_category) == ("네이비", "슬랙스")
    }
    assert expected and {r.product.product_id for r in results} == expected


@pytest.mark.parametrize(
    ("canonical", "variants"),
    [
        ("스니커즈", ("운동화", "스니커스", "스니커")),
        ("블랙 후드", ("검정 후드티", "까만 후디", "검은색 후두티")),
        ("청바지", ("데님", "진", "청바자")),
        ("맨투맨", ("스웻셔츠", "맨투멘")),
    ],
)
async def test_synonyms_and_typos_find_the_same_products(pool, understanding, canonical, variants):
    base = await _search(pool, understanding, canonical, limit=100)
    assert base
    for query in variants:
        other = await _search(pool, understanding, query, limit=100)
        assert [r.product.product_id for r in other] == [r.product.product_id for r in base]


async def test_occasion_ranks_matching_products_first(pool, understanding):
    results = await _search(pool, understanding, "면접 볼 때 입을 옷", limit=10)
    assert len(results) == 10
    assert all("면접" in r.product.tpo_tags for r in results)


async def test_ranking_prefers_more_matching_details(pool, understanding):
    results = await _search(pool, understanding, "여름 린넨 셔츠", limit=100)
    assert all(r.product.sub_category == "셔츠" for r in results)
    linen = [r.product.material == "린넨" for r in results]
    # Every linen shirt ranks before every other shirt.
    assert any(linen) and linen == sorted(linen, reverse=True)
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        ({"main_categories": ("SHOES",)}, lambda p: p.main_category == "SHOES"),
        ({"sub_categories": ("코트", "패딩")}, lambda p: p.sub_category in ("코트", "패딩")),
        ({"colours": ("블랙",)}, lambda p: p.color_name == "블랙"),
        ({"exclude_colours": ("블랙", "화이트")}, lambda p: p.color_name not in ("블랙", "화이트")),
        ({"tpo_tags": ("결혼식",)}, lambda p: "결혼식" in p.tpo_tags),
        ({"seasons": ("여름",)}, lambda p: "여름" in p.seasons),
        ({"genders": ("MEN",)}, lambda p: p.gender in ("MEN", "UNISEX")),
        ({"style_tags": ("스포티",)}, lambda p: "스포티" in p.style_tags),
        ({"min_price": 50_000, "max_price": 80_000}, lambda p: 50_000 <= p.price <= 80_000),
    ],
)
async def test_request_filters_are_hard(pool, understanding, catalog, filters, check):
    results = await _search(pool, understanding, "", limit=100, **filters)
    expected = [p for p in catalog if check(p)]
    assert len(results) == min(100, len(expected))
    assert all(check(r.product) for r in results)


async def test_query_intent_and_filters_combine(pool, understanding):
    results = await _search(pool, understanding, "셔츠 10만원 이하", genders=("WOMEN",), limit=100)
    assert results
    for r in results:
        assert r.product.sub_category == "셔츠" and r.product.price <= 100_000
        assert r.product.gender in ("WOMEN", "UNISEX")


async def test_exclusions(pool, understanding):
    first = await _search(pool, understanding, "니트", limit=5)
    excluded = [r.product.product_id for r in first]
    again = await _search(
        pool, understanding, "검정 말고 니트", exclude_ids=tuple(excluded), limit=100
    )
    assert again
    assert not {r.product.product_id for r in again} & set(excluded)
    assert all(r.product.color_name != "블랙" for r in again)


async def test_nothing_matching_gives_an_empty_answer(pool, understanding):
    # Blouses are women's only: a men's blouse does not exist, and search must not pretend.
    assert await _search(pool, understanding, "남자 블라우스") == []
    assert await _search(pool, understanding, "흰색 운동화 1000원 이하") == []


async def test_free_terms_match_the_brand(pool, understanding, catalog):
    brand = catalog[0].brand_name
    results = await _search(pool, understanding, f"{brand} {catalog[0].sub_category}", limit=5)
    assert results[0].product.brand_name == brand


@pytest.mark.parametrize(
    "filters",
    [{"limit": 101}, {"limit": -1}, {"min_price": -5}, {"min_price": 9, "max_price": 5}],
)
async def test_invalid_filters_are_refused(pool, understanding, filters):
    with pytest.raises(ValueError):
        await _search(pool, understanding, "셔츠", **filters)


async def test_facets_follow_updates_and_unknown_tags_still_filter(
    empty_dsn, understanding, catalog
):
    from dataclasses import replace

    from product_service.catalog import upsert_products
    from product_service.indexing import search_text_for
    from tftkit.postgres import connect_pool

    product = replace(catalog[0], tpo_tags=("골프",), price=12_345)
    async with connect_pool(empty_dsn) as pool:
        await upsert_products(pool, products=[product], search_texts=[search_text_for(product)])
        golf = await search_products(
            pool, filters=SearchFilters(tpo_tags=("골프",)), intent=understanding.parse("")
        )
        assert [r.product.product_id for r in golf] == [product.product_id]
        cheaper = replace(product, price=9_000)
        await upsert_products(pool, products=[cheaper], search_texts=[search_text_for(cheaper)])
        found = await search_products(
            pool, filters=SearchFilters(max_price=10_000), intent=understanding.parse("")
        )
        assert [r.product.price for r in found] == [9_000]


async def test_occasion_and_season_are_dress_codes(pool, understanding, catalog):
    interview = await _search(pool, understanding, "면접 셔츠", limit=100)
    assert interview and all("면접" in r.product.tpo_tags for r in interview)
    summer = await _search(pool, understanding, "여름 아우터", limit=100)
    assert summer and all("여름" in r.product.seasons for r in summer)
    assert not any(r.product.sub_category == "패딩" for r in summer)


async def test_style_words_rank_but_do_not_exclude_a_named_item(pool, understanding, catalog):
    shirts = [p for p in catalog if p.sub_category == "셔츠"]
    results = await _search(pool, understanding, "깔끔한 셔츠", limit=100)
    assert len(results) == len(shirts)
    minimal = ["미니멀" in r.product.style_tags for r in results]
    assert minimal == sorted(minimal, reverse=True)
    alone = await _search(pool, understanding, "미니멀", limit=100)
    assert alone and all("미니멀" in r.product.style_tags for r in alone)


SUITS = {"수트자켓", "수트팬츠", "수트스커트"}


@pytest.mark.parametrize(
    ("query", "subs"),
    [
        ("원피스", {"원피스"}),
        ("드레스", {"원피스"}),
        ("dress", {"원피스"}),
        ("니트원피스", {"원피스"}),
        ("정장 자켓", {"수트자켓"}),
        ("정장자켓", {"수트자켓"}),
        ("셋업", SUITS),
        ("정장", SUITS),
        ("수트", SUITS),
        ("슈트", SUITS),
        ("suit", SUITS),
        ("정장바지", {"수트팬츠"}),
        ("정장 바지", {"수트팬츠"}),  # 정장바지 is one word: suit trousers, not a skirt
        ("셋업 스커트", {"수트스커트"}),
        ("나시", {"민소매"}),
        ("민소매티", {"민소매"}),
        ("sleeveless", {"민소매"}),
        ("카고팬츠", {"카고팬츠"}),
        ("레깅스", {"레깅스"}),
        ("넥타이", {"넥타이"}),
    ],
)
async def test_the_new_garments_are_found_by_their_words(pool, understanding, catalog, query, subs):
    results = await _search(pool, understanding, query, limit=100)
    expected = {p.product_id for p in catalog if p.sub_category in subs}
    assert expected and {r.product.product_id for r in results} == expected


async def test_a_suit_word_with_a_garment_no_suit_has_is_a_style(pool, understanding, catalog):
    # 정장 셔츠: a dress shirt, not a suit; the classic ones first.
    results = await _search(pool, understanding, "정장 셔츠", limit=100)
    shirts = [p for p in catalog if p.sub_category == "셔츠"]
    assert len(results) == len(shirts)
    classic = ["클래식" in r.product.style_tags for r in results]
    assert any(classic) and classic == sorted(classic, reverse=True)


async def test_suits_for_dress_codes(pool, understanding, catalog):
    for query, genders in (("면접 정장", ("MEN", "WOMEN")), ("남자 면접 정장", ("MEN",))):
        interview = await _search(pool, understanding, query, limit=100)
        expected = {
            p.product_id
            for p in catalog
            if p.sub_category in SUITS and p.gender in genders and "면접" in p.tpo_tags
        }
        assert expected or genders == ("MEN",)  # the small catalog's few men's suits vary
        assert {r.product.product_id for r in interview} == expected
        assert all(r.product.pattern == "무지" for r in interview)
    for query in ("장례식 정장", "장례식 원피스"):
        funeral = await _search(pool, understanding, query, limit=100)
        assert funeral or query.endswith("원피스")  # the small catalog has few dresses
        for r in funeral:
            assert r.product.color_name in ("블랙", "차콜", "네이비")
            assert r.product.pattern == "무지" and r.product.material != "린넨"
    guests = await _search(pool, understanding, "하객 원피스", limit=100)
    assert guests
    assert all(r.product.color_name not in ("화이트", "아이보리", "블랙") for r in guests)
    assert all(r.product.sub_category == "넥타이" for r in await _search(
        pool, understanding, "결혼식 넥타이", limit=100
    ))  # fmt: skip

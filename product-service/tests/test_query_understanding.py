import pytest

from product_service.query_understanding import ParsedQuery, parse_price


@pytest.mark.parametrize(
    ("query", "field", "expected"),
    [
        ("네이비 슬랙스", "colours", ("네이비",)),
        ("네이비 슬랙스", "sub_categories", ("슬랙스",)),
        ("네이비슬랙스", "sub_categories", ("슬랙스",)),
        ("데님 팬츠", "sub_categories", ("청바지",)),
        ("진", "sub_categories", ("청바지",)),
        ("청바지랑", "sub_categories", ("청바지",)),
        ("스웻셔츠", "sub_categories", ("맨투맨",)),
        ("흰색 운동화", "colours", ("화이트",)),
        ("화이트 스니커즈", "sub_categories", ("스니커즈",)),
        ("하얀 운동화", "sub_categories", ("스니커즈",)),
        ("면접 때 입을 옷", "tpos", ("면접",)),
        ("결혼식 하객룩", "tpos", ("결혼식",)),
        ("여름 린넨 셔츠", "seasons", ("여름",)),
        ("여름 린넨 셔츠", "materials", ("린넨",)),
        ("남자 코트", "genders", ("MEN",)),
        ("여친 선물 가방", "partner_genders", ("WOMEN",)),
        ("what should I wear on a first date?", "tpos", ("소개팅",)),
        ("black loafer under 100,000 won", "max_price", 100_000),
        ("니트 50,000원 이하", "max_price", 50_000),
        ("no black please", "exclude_colours", ("블랙",)),
        ("오프화이트 니트", "colours", ("아이보리",)),
        ("코랄 블라우스", "colours", ("핑크",)),
        ("구찌 가방", "not_carried", ("구찌",)),
        ("louis vuitton bag", "not_carried", ("louisvuitton",)),
        ("meet the parents", "tpos", ("상견례",)),
        ("가방", "sub_categories", ("토트백", "크로스백", "백팩")),
        ("검정 바지", "main_categories", ("BOTTOM",)),
        ("스트라이프 셔츠", "patterns", ("스트라이프",)),
        ("깔끔한 미니멀 룩", "styles", ("미니멀",)),
        # typos, one jamo away from the real word
        ("슬렉스", "sub_categories", ("슬랙스",)),
        ("스니커스", "sub_categories", ("스니커즈",)),
        ("가디겅", "sub_categories", ("가디건",)),
        ("맨투멘", "sub_categories", ("맨투맨",)),
        ("블레이져", "sub_categories", ("블레이저",)),
    ],
)
def test_query_words_map_to_catalog_values(understanding, query, field, expected):
    assert getattr(understanding.parse(query), field) == expected


def test_single_syllable_words_only_count_as_whole_words(understanding):
    parsed = understanding.parse("진한 파티")
    assert parsed.sub_categories == ()
    assert parsed.tpos == ("파티",)


def test_negated_words_become_exclusions(understanding):
    parsed = understanding.parse("검정색 말고 니트")
    assert parsed.exclude_colours == ("블랙",) and parsed.colours == ()
    assert parsed.sub_categories == ("니트",)
    assert understanding.parse("블랙빼고 코트").exclude_colours == ("블랙",)


def test_unknown_words_remain_free_terms_without_request_noise(understanding):
    parsed = understanding.parse("무드웨이브 셔츠 추천해줘")
    assert parsed.sub_categories == ("셔츠",)
    assert parsed.terms == ("무드웨이브",)


def test_empty_query_understands_nothing(understanding):
    assert understanding.parse("   ").is_empty()
    assert ParsedQuery().is_empty()


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("5만원 이하", 0, 50_000),
        ("3만 원 이상", 30_000, 0),
        ("10만원대", 100_000, 199_999),
        ("3만원대", 30_000, 39_999),
        ("50000원 까지", 0, 50_000),
        ("사이즈 95", 0, 0),
    ],
)
def test_prices(text, low, high):
    assert parse_price(text)[:2] == (low, high)


def test_price_words_do_not_leak_into_terms(understanding):
    parsed = understanding.parse("5만원 이하 흰색 운동화")
    assert parsed.max_price == 50_000
    assert parsed.terms == ()


@pytest.mark.parametrize("query", ["검정색은 빼줘 니트", "니트 블랙 빼주세요", "블랙 말고 니트"])
def test_requests_to_leave_a_colour_out(understanding, query):
    parsed = understanding.parse(query)
    assert parsed.exclude_colours == ("블랙",) and parsed.colours == ()


def test_colour_families_expand_to_their_colours(understanding):
    assert understanding.parse("무채색 코트").colours == ("블랙", "화이트", "그레이", "차콜")
    assert set(understanding.parse("어두운 색 슬랙스").colours) == {
        "블랙", "차콜", "네이비", "브라운", "버건디"
    }  # fmt: skip
    assert understanding.parse("파스텔톤 가디건").terms == ()

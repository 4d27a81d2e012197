"""Reading a person's message into a typed brief, with product-service's vocabulary over gRPC."""

import grpc
import pytest

from expert_service.brief import Brief, FollowUp, Intent, Piece
from expert_service.knowledge import load_knowledge
from expert_service.products import Catalog
from expert_service.understanding import Understanding

KB = load_knowledge()


@pytest.fixture
async def read(catalog):
    address, servicer = catalog
    async with grpc.aio.insecure_channel(address) as channel:
        understanding = Understanding(catalog=Catalog(channel, timeout_seconds=5), kb=KB)

        async def read_(text: str, room: Brief | None = None) -> Brief:
            return await understanding.read(text=text, room=room)

        read_.servicer = servicer  # type: ignore[attr-defined]
        yield read_


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("내일 소개팅 가는데 입을 옷 추천해줘", Intent.FULL_LOOK),
        ("what should I wear on a first date?", Intent.FULL_LOOK),
        ("네이비 니트 하나만 골라줘", Intent.ONE_ITEM),
        ("검정 로퍼 있어요?", Intent.ONE_ITEM),
        ("black loafers under 100,000 won", Intent.ONE_ITEM),
        ("베이지 치노가 있는데 어울리는 상의랑 신발 골라줘", Intent.COMPLETE_LOOK),
        ("I have navy slacks, what top goes with them?", Intent.COMPLETE_LOOK),
        ("소개팅엔 슬랙스랑 청바지 중에 뭐가 나아요?", Intent.COMPARE),
        ("키 작은 남자는 어떤 핏이 좋아요?", Intent.ADVICE),
        ("주식 뭐 사지?", Intent.OFF_TOPIC),
        ("파이썬 공부법 알려줘", Intent.OFF_TOPIC),
        ("안녕하세요", Intent.GREETING),
        ("hi", Intent.GREETING),
        ("등산스틱 추천해줘", Intent.ADVICE),  # nothing near it in the catalog: words only
        ("수영복 추천해줘", Intent.ONE_ITEM),  # the nearest carried piece stands in
    ],
)
async def test_intent(read, text, intent):
    assert (await read(text)).intent == intent


async def test_one_vocabulary_call_per_message(read):
    before = read.servicer.calls.count("ParseQueries")
    await read("면접 보는데 검정색은 빼고 네이비 셔츠에 베이지 바지로 추천해줘")
    assert read.servicer.calls.count("ParseQueries") == before + 1


async def test_colours_items_and_negation_bind_to_their_clause_and_phrase(read):
    b = await read("면접 보는데 검정색은 빼고 네이비 셔츠에 베이지 바지로 추천해줘")
    assert b.disliked_colours == ["블랙"] and "네이비" in b.liked_colours
    assert b.items == ["셔츠"] and b.item_mains == {"셔츠": "TOP"}
    assert b.item_colours == {"셔츠": "네이비", "BOTTOM": "베이지"}
    assert b.occasion == "occasion-interview" and b.tpo == "면접"
    assert (await read("후드티 말고 캠퍼스룩")).excluded_items == ["후드"]
    assert (await read("티셔츠랑 청바지 추천")).items == ["티셔츠", "청바지"]


async def test_the_same_colour_words_as_search(read):
    # One table: 오프화이트 is 아이보리 and 코랄 is 핑크 for the stylist as for search.
    b = await read("오프화이트 니트랑 코랄 블라우스")
    assert b.item_colours == {"니트": "아이보리", "블라우스": "핑크"}


async def test_owned_pieces_are_kept_not_replaced(read):
    b = await read("베이지 치노가 있는데 어울리는 상의랑 신발 골라줘")
    assert b.owned == [Piece("치노팬츠", "BOTTOM", "베이지")]
    assert "치노팬츠" not in b.items and b.categories == ["TOP", "SHOES"]
    assert "베이지" not in b.liked_colours


async def test_budget_scope(read):
    total = await read("10만원으로 소개팅룩 전체 맞춰줘")
    assert (total.budget_total, total.budget_max) == (100_000, None)
    item = await read("5만원 이하 셔츠 추천")
    assert (item.budget_max, item.budget_total) == (50_000, None)
    english = await read("black loafers under 100,000 won")
    assert english.budget_max == 100_000 and english.items == ["로퍼"]


async def test_english_and_mixed_requests(read):
    b = await read("I need an outfit for a job interview, I'm a woman")
    assert (b.occasion, b.gender, b.language) == ("occasion-interview", "WOMEN", "en")
    mixed = await read("navy 니트 하나만")
    assert mixed.item_colours == {"니트": "네이비"} and mixed.language == "mixed"
    assert (await read("no black please, something for a wedding")).disliked_colours == ["블랙"]


async def test_not_carried_is_named_with_its_nearest_kin(read):
    gucci = await read("구찌 가방 추천해줘")
    assert [n.word for n in gucci.not_carried] == ["구찌"]
    assert gucci.intent == Intent.ONE_ITEM and {gucci.main_of(i) for i in gucci.items} == {
        "ACCESSORY"
    }
    swim = await read("수영복 추천해줘")
    assert swim.items == ["반바지"] and swim.not_carried[0].kind == "garment"


async def test_body_height_tone_gender(read):
    b = await read("여자고 키 160cm, 하체가 통통한 편이에요. 봄 웜톤이고 5만원 이하로")
    assert (b.gender, b.height_cm, b.body_type) == ("WOMEN", 160, "body-pear")
    assert b.skin_tone == "tone-spring-warm"
    assert b.season is None  # "봄 웜톤" is a personal colour, not the season
    assert (await read("여자친구랑 데이트")).gender == "MEN"
    assert (await read("여자친구 생일 선물로 가방")).gender == "WOMEN"


async def test_season_from_words(read):
    assert (await read("한여름 여행")).season == "여름"
    assert (await read("영하 날씨에 입을 옷")).season == "겨울"
    assert (await read("데일리룩")).season is None  # the date decides later


LAST_LOOK = [
    Piece("니트", "TOP", "네이비", "p-knit", 60_000),
    Piece("슬랙스", "BOTTOM", "차콜", "p-slacks", 50_000),
]


def _room(intent: Intent = Intent.FULL_LOOK, **kw) -> Brief:
    return Brief(intent=intent, last_look=LAST_LOOK, last_cited=["p-knit", "p-slacks", "p-x"], **kw)


async def test_follow_up_cheaper_lowers_the_price_of_the_last_answer(read):
    look = await read("더 저렴하게 보여줘", room=_room())
    assert look.follow_ups == [FollowUp.CHEAPER] and look.budget_total == 88_000
    one = _room(Intent.ONE_ITEM, items=["니트"], item_mains={"니트": "TOP"})
    item = await read("좀 더 싼 걸로", room=one)
    assert item.intent == Intent.ONE_ITEM and item.items == ["니트"]
    assert item.budget_max == 48_000


async def test_follow_up_formality(read):
    formal = await read("좀 더 포멀하게", room=_room())
    assert formal.formality_shift == 1 and formal.follow_ups == [FollowUp.MORE_FORMAL]
    casual = await read("more casual please", room=_room())
    assert casual.formality_shift == -1


async def test_follow_up_other_pieces_and_other_colour(read):
    other = await read("이거 말고 다른 거 보여줘", room=_room())
    assert set(other.avoid_ids) == {"p-knit", "p-slacks", "p-x"}
    assert other.excluded_items == []  # "말고" here refuses the pieces, not a kind
    one = _room(Intent.ONE_ITEM, items=["니트"], item_mains={"니트": "TOP"})
    recolour = await read("다른 색으로", room=one)
    assert recolour.avoid_colours == {"TOP": "네이비"} and recolour.items == ["니트"]


async def test_follow_up_changes_are_said_back(read):
    b = await read("검정색은 빼주고 좀 더 캐주얼하게", room=_room())
    assert b.changes == ["블랙은 빼고", "좀 더 캐주얼하게"]


async def test_a_new_item_after_a_look_is_a_new_request(read):
    b = await read("바지도 보여줘", room=_room())
    assert b.intent == Intent.ONE_ITEM and b.categories == ["BOTTOM"]


async def test_merged_over_the_room(read):
    first = (await read("키 175 마른 체형, 가을 웜톤이에요. 소개팅 옷")).merged_over(Brief())
    second = (await read("검정색은 빼주고 좀 더 캐주얼하게", room=first)).merged_over(first)
    assert second.occasion == "occasion-blind-date"
    assert (second.height_cm, second.body_type, second.skin_tone) == (
        175,
        "body-slim",
        "tone-autumn-warm",
    )
    assert second.disliked_colours == ["블랙"] and second.formality_shift == -1
    third = (await read("이번엔 블랙 셔츠로", room=second)).merged_over(second)
    assert "블랙" not in third.disliked_colours  # saying it again brings it back


async def test_materials_are_asked_for_by_name_only(read):
    assert (await read("여름용 린넨 셔츠")).materials == ["린넨"]
    assert (await read("울 코트 추천")).materials == ["울"]
    assert (await read("겨울에 서울 여행")).materials == []  # 울 inside 겨울 and 서울

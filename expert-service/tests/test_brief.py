"""Reading a person's message into a styling brief."""

from datetime import date

import pytest

from expert_service.brief import Brief, read_brief
from expert_service.knowledge import load_knowledge

KB = load_knowledge()
NOVEMBER = date(2026, 11, 25)


def brief(text: str) -> Brief:
    return read_brief(text=text, kb=KB, today=NOVEMBER)


@pytest.mark.parametrize(
    ("text", "occasion"),
    [
        ("내일 소개팅 가는데 입을 옷 추천해줘", "occasion-blind-date"),
        ("다음 주 입사 면접이에요", "occasion-interview"),
        ("친구 결혼식 하객룩", "occasion-wedding-guest"),
        ("갑자기 조문을 가야 해요", "occasion-funeral"),
        ("장례식 말고 그냥 출근룩 추천해줘", "occasion-business-casual"),
        ("상견례 때 뭐 입죠", "occasion-family-meeting"),
        ("헬스장 갈 때 운동복", "occasion-workout"),
    ],
)
def test_occasion(text, occasion):
    assert brief(text).occasion == occasion


def test_colours_items_and_negation_bind_to_their_clause():
    b = brief("면접 보는데 검정색은 빼고 네이비 셔츠로 추천해줘")
    assert b.disliked_colours == ["블랙"] and b.liked_colours == ["네이비"]
    assert b.items == ["셔츠"] and b.item_colours == {"셔츠": "네이비"}
    assert brief("후드티 말고 캠퍼스룩").excluded_items == ["후드티"]
    assert brief("티셔츠랑 청바지 추천").items == ["티셔츠", "청바지"]  # not 셔츠 inside 티셔츠


def test_body_height_tone_budget_gender():
    b = brief("여자고 키 160cm, 하체가 통통한 편이에요. 봄 웜톤이고 5만원 이하로")
    assert (b.gender, b.height_cm, b.body_type) == ("WOMEN", 160, "body-pear")
    assert b.skin_tone == "tone-spring-warm"
    assert b.budget_max == 50000
    assert b.season is None  # "봄 웜톤" is a personal colour, not the season
    assert brief("총 10만원으로 코디").budget_max == 50000  # a total: about half a piece
    assert brief("여자친구랑 데이트").gender == "MEN"


def test_season_from_words_or_date():
    assert brief("한여름 여행").season == "여름"
    assert brief("영하 날씨에 입을 옷").season == "겨울"
    assert brief("데일리룩").season is None  # the date decides later


def test_follow_up_merges_over_the_profile():
    first = brief("키 175 마른 체형, 가을 웜톤이에요. 소개팅 옷").merged_over(Brief())
    second = brief("검정색은 빼주고 좀 더 캐주얼하게").merged_over(first)
    assert second.occasion == "occasion-blind-date"
    assert (second.height_cm, second.body_type, second.skin_tone) == (
        175,
        "body-slim",
        "tone-autumn-warm",
    )
    assert second.disliked_colours == ["블랙"] and second.formality_shift == -1
    assert second.changes == ["블랙은 빼고", "좀 더 캐주얼하게"]
    third = brief("이번엔 블랙 셔츠로").merged_over(second)
    assert "블랙" not in third.disliked_colours  # saying it again brings it back


def test_materials_are_asked_for_by_name_only():
    assert brief("여름용 린넨 셔츠").materials == ["린넨"]
    assert brief("울 코트 추천").materials == ["울"]
    assert brief("겨울에 서울 여행").materials == []  # 울 inside 겨울 and 서울

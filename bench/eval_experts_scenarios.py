"""The scenarios of `bench/eval_experts.py`: what a person says, and what a stylist expects.

Expectations are written here from stylist rules, not derived from the engine's own parser, so
the eval can disagree with the engine.
"""

from dataclasses import dataclass, field

# What a stylist rules out per occasion (catalog sub-categories).
OCCASION_FORBIDDEN = {
    "면접": {
        "반바지",
        "청바지",
        "후드",
        "맨투맨",
        "티셔츠",
        "조거팬츠",
        "샌들",
        "스니커즈",
        "러닝화",
        "패딩",
    },
    "결혼식": {"반바지", "청바지", "후드", "조거팬츠", "샌들", "러닝화", "스니커즈", "패딩"},
    "장례식": {"반바지", "청바지", "후드", "조거팬츠", "샌들", "스니커즈", "러닝화"},
    "상견례": {"반바지", "청바지", "후드", "조거팬츠", "샌들", "러닝화"},
    "소개팅": {"반바지", "조거팬츠", "후드", "샌들", "러닝화"},
    "첫출근": {"반바지", "조거팬츠", "후드", "샌들", "러닝화"},
    "출근": {"반바지", "조거팬츠", "샌들", "러닝화"},
    "운동": {"구두", "로퍼", "힐", "블레이저", "슬랙스", "셔츠", "블라우스", "코트", "트렌치코트"},
    "": set(),
}
OCCASION_FORBIDDEN_COLOURS = {
    "장례식": {"레드", "오렌지", "옐로우", "핑크", "퍼플", "스카이블루", "민트", "그린"},
}
# Women guests leave white to the bride.
OCCASION_FORBIDDEN_COLOURS_WOMEN = {"결혼식": {"화이트", "아이보리"}}
SEASON_FORBIDDEN_SUBS = {
    "여름": {"패딩", "코트", "부츠", "머플러", "비니"},
    "겨울": {"반바지", "샌들"},
    "봄": {"패딩"},
    "가을": set(),
}
SEASON_FORBIDDEN_MATERIALS = {
    "여름": {"울", "캐시미어", "덕다운", "플리스", "코듀로이", "기모코튼"},
    "겨울": {"린넨", "메쉬"},
    "봄": {"덕다운"},
    "가을": set(),
}
CASUAL_SUBS = {
    "티셔츠",
    "맨투맨",
    "후드",
    "청바지",
    "치노팬츠",
    "조거팬츠",
    "스니커즈",
    "가디건",
    "자켓",
    "폴로셔츠",
    "반바지",
    "바람막이",
}


@dataclass
class Scenario:
    name: str
    turns: list[str]
    occasion: str = ""
    season: str = ""
    no_colours: set[str] = field(default_factory=set)
    no_subs: set[str] = field(default_factory=set)
    max_price: int = 0
    gender: str = ""
    must_subs: set[str] = field(default_factory=set)  # the coordinator's outfit includes one
    must_colour_sub: tuple[str, str] | None = None  # (colour, sub): that piece in that colour
    must_colour_main: tuple[str, str] | None = None  # (colour, main category) in the outfit
    expect_nothing: bool = False
    mentions: dict[str, list[str]] = field(default_factory=dict)  # agent -> any of these words
    more_casual: bool = False  # the last turn is more casual than the first
    photo: str = ""  # name of a generated photo
    experts: list[str] = field(default_factory=list)


SCENARIOS: list[Scenario] = [
    Scenario("소개팅 기본", ["내일 소개팅 가는데 입을 옷 추천해줘"], occasion="소개팅"),
    Scenario(
        "면접 남성",
        ["다음 주에 면접이 있어요. 남자고 키 178이에요"],
        occasion="면접",
        gender="MEN",
        mentions={"style_analyst": ["178"]},
    ),
    Scenario(
        "면접 여름",
        ["한여름에 면접 보러 가요, 덥지 않게 입고 싶어요"],
        occasion="면접",
        season="여름",
    ),
    Scenario("면접 겨울", ["1월 면접 복장 추천해 주세요"], occasion="면접", season="겨울"),
    Scenario("첫 출근", ["첫 출근 때 뭐 입을까요? 회사 분위기는 아직 몰라요"], occasion="첫출근"),
    Scenario("비즈니스 캐주얼", ["비즈니스 캐주얼 출근룩 추천해줘"], occasion="출근"),
    Scenario(
        "데이트 봄", ["봄에 여자친구랑 벚꽃 데이트 가요"], occasion="", season="봄", gender="MEN"
    ),
    Scenario("결혼식 하객", ["친구 결혼식 하객룩 추천해줘"], occasion="결혼식"),
    Scenario(
        "결혼식 여름", ["8월 결혼식 하객으로 가요, 너무 더워요"], occasion="결혼식", season="여름"
    ),
    Scenario("장례식", ["갑자기 장례식 조문을 가야 해요"], occasion="장례식"),
    Scenario("여행 여름", ["여름에 제주도 여행 가는데 옷 추천"], season="여름"),
    Scenario("여행 겨울", ["12월에 강원도 여행 가요, 추울 것 같아요"], season="겨울"),
    Scenario("캠퍼스", ["개강 첫날 캠퍼스룩 추천해줘"]),
    Scenario("운동", ["헬스장 갈 때 입을 운동복 추천"], occasion="운동"),
    Scenario("파티", ["연말 파티룩 추천해줘"], season="겨울"),
    Scenario("상견례", ["다음 달 상견례가 있어요. 단정하게 입고 싶어요"], occasion="상견례"),
    Scenario("데일리 여름", ["요즘 너무 더운데 데일리룩 추천해줘"], season="여름"),
    Scenario("데일리 겨울", ["한파에 입을 따뜻한 데일리룩"], season="겨울"),
    Scenario(
        "마른 체형",
        ["키 172 마른 체형인데 소개팅 옷 추천해줘"],
        occasion="소개팅",
        mentions={"style_analyst": ["마른", "172"]},
    ),
    Scenario(
        "통통 체형",
        ["통통한 편이라 날씬해 보이는 출근룩 알려줘"],
        occasion="출근",
        mentions={"style_analyst": ["체격", "통통", "정핏", "세로"]},
    ),
    Scenario(
        "어깨 넓음", ["어깨가 넓은 편인데 데이트룩 추천해줘"], mentions={"style_analyst": ["어깨"]}
    ),
    Scenario(
        "하체 발달 여성",
        ["여자고 하체가 통통한 편이에요. 출근룩 추천해 주세요"],
        occasion="출근",
        gender="WOMEN",
        mentions={"style_analyst": ["하체", "허벅지"]},
    ),
    Scenario(
        "키 작은 남성",
        ["남자 키 165인데 비율 좋아 보이는 옷"],
        gender="MEN",
        mentions={"style_analyst": ["165", "키가 작은", "비율"]},
    ),
    Scenario(
        "키 큰 남성",
        ["키 188 남자예요 데일리룩 추천"],
        gender="MEN",
        mentions={"style_analyst": ["188", "키가 큰"]},
    ),
    Scenario(
        "봄 웜톤", ["봄 웜톤인데 데이트룩 색 조합 추천해줘"], mentions={"color_expert": ["봄 웜톤"]}
    ),
    Scenario(
        "여름 쿨톤",
        ["여름 쿨톤이에요 소개팅 코디 부탁해요"],
        occasion="소개팅",
        mentions={"color_expert": ["여름 쿨톤"]},
    ),
    Scenario(
        "가을 웜톤",
        ["가을 웜톤한테 어울리는 출근룩"],
        occasion="출근",
        mentions={"color_expert": ["가을 웜톤"]},
    ),
    Scenario("겨울 쿨톤", ["겨울 쿨톤 파티룩 추천"], mentions={"color_expert": ["겨울 쿨톤"]}),
    Scenario(
        "검정 싫음",
        ["검정색 옷은 싫어요. 데일리룩 추천해줘"],
        no_colours={"블랙"},
        mentions={"color_expert": ["블랙"]},
    ),
    Scenario(
        "네이비 셔츠",
        ["네이비 셔츠로 출근룩 짜줘"],
        occasion="출근",
        must_subs={"셔츠"},
        must_colour_sub=("네이비", "셔츠"),
    ),
    Scenario("청바지 요청", ["청바지에 어울리는 데일리룩 추천해줘"], must_subs={"청바지"}),
    Scenario("예산 5만원", ["5만원 이하로 캠퍼스룩 맞추고 싶어요"], max_price=50000),
    Scenario(
        "예산 없음",
        ["1만원 이하 코트 추천해줘"],
        expect_nothing=True,
        max_price=10000,
        must_subs={"코트"},
    ),
    Scenario(
        "카탈로그에 없는 색 아이템",
        ["민트색 구두 있어요?"],
        expect_nothing=True,
        must_subs={"구두"},
    ),
    Scenario("후드 제외", ["후드티 말고 캠퍼스룩 추천"], no_subs={"후드"}),
    Scenario("스트릿", ["힙한 스트릿 스타일로 주말 코디 추천"]),
    Scenario("미니멀", ["깔끔한 미니멀룩으로 데이트 코디"]),
    Scenario(
        "팔로업 검정 제외",
        ["장례식 말고 그냥 출근룩 추천해줘", "검정색은 빼줘"],
        occasion="출근",
        no_colours={"블랙"},
    ),
    Scenario(
        "팔로업 캐주얼",
        ["소개팅 코디 추천해줘", "좀 더 캐주얼하게"],
        occasion="소개팅",
        more_casual=True,
    ),
    Scenario(
        "팔로업 키 기억",
        ["키 160 여자예요 데이트룩 추천", "이번엔 출근룩도 알려줘"],
        gender="WOMEN",
        occasion="출근",
        mentions={"style_analyst": ["160", "키가 작은"]},
    ),
    Scenario(
        "팔로업 톤 기억",
        ["가을 웜톤이에요 데일리룩", "면접룩은요?"],
        occasion="면접",
        mentions={"color_expert": ["가을 웜톤"]},
    ),
    Scenario(
        "사진 네이비 상의",
        ["이 옷에 어울리는 바지 추천해줘"],
        photo="navy_top",
        mentions={"color_expert": ["사진"]},
    ),
    Scenario(
        "사진 밝은 웜",
        ["사진 속 옷이랑 어울리는 코디 알려줘"],
        photo="warm_beige",
        mentions={"color_expert": ["사진", "웜"]},
    ),
    Scenario(
        "사진 어두운",
        ["이 사진 보고 데이트룩 추천해줘"],
        photo="dark_outfit",
        mentions={"color_expert": ["사진", "어두운"]},
    ),
    Scenario(
        "전문가 선택",
        ["소개팅 코디"],
        occasion="소개팅",
        experts=["color_expert", "fitting_coordinator"],
    ),
    Scenario(
        "여성 블라우스", ["여자 출근룩 블라우스로 추천"], gender="WOMEN", must_subs={"블라우스"}
    ),
    Scenario(
        "면접 반바지",
        ["여름 면접인데 반바지 입어도 될까요?"],
        occasion="면접",
        season="여름",
        mentions={"fitting_coordinator": ["격식에 맞지 않"]},
    ),
    Scenario(
        "네이비 바지",
        ["네이비 바지에 어울리는 상의 추천해줘"],
        must_colour_main=("네이비", "BOTTOM"),
    ),
    Scenario(
        "두 아이템 색 지정",
        ["하늘색 셔츠랑 베이지 치노팬츠로 코디해줘"],
        must_subs={"셔츠", "치노팬츠"},
        must_colour_sub=("스카이블루", "셔츠"),
    ),
]

"""The HELD-OUT set of `bench/eval_experts.py`: requests the expert engine was never shown.

Written on 2026-12-01, before the request-understanding work, by someone who did not read or
run the engine's parser. Every expectation below comes from what a good Korean stylist would
do with the request and from the catalog's own facts (garments.GARMENTS, generator.BRANDS,
the colour palette), never from what the engine happens to answer today.

RULES FOR THIS FILE
  * It must never be tuned against. Do not change a case, an expectation or a check because
    the engine fails it, and do not write engine code that recognises these sentences.
    If a case is wrong as a stylist's expectation, fix it in a reviewed commit that says why,
    and never in the same change as the engine work it measures.
  * New engine behaviour is developed against the development set
    (`eval_experts_scenarios.py`, written by the engine's author) and the unit tests; this
    set only measures it afterwards.

Cases marked `# catalog addition` ask for garments the catalog does not carry yet and will
gain (원피스/DRESS, 수트자켓/OUTER, 수트팬츠/BOTTOM, 수트스커트/BOTTOM, 민소매/TOP,
카고팬츠/BOTTOM, 레깅스/BOTTOM, 넥타이/ACCESSORY); they fail until the catalog has them.
Everything that is neither in GARMENTS (plus those additions) nor in BRANDS is not carried.

The checks are computed from the turn's events and the facts of every cited product, fetched
from the real product-service. Each is True/False, or None where it does not apply.

    uv run python bench/eval_experts_heldout.py   # prints how many cases cover each kind
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from eval_experts_scenarios import (
    OCCASION_FORBIDDEN,
    OCCASION_FORBIDDEN_COLOURS,
    OCCASION_FORBIDDEN_COLOURS_WOMEN,
    SEASON_FORBIDDEN_MATERIALS,
    SEASON_FORBIDDEN_SUBS,
)

SPECIALISTS = ("style_analyst", "trend_expert", "color_expert")
EXPERTS = (*SPECIALISTS, "fitting_coordinator")

# Intents.
FULL_LOOK = "full_look"
ONE_ITEM = "one_item"
COMPLETE_LOOK = "complete_look"  # build around what the person already owns
COMPARE = "compare"
ADVICE = "advice"
OFF_TOPIC = "off_topic"
GREETING = "greeting"
INTENTS = (FULL_LOOK, ONE_ITEM, COMPLETE_LOOK, COMPARE, ADVICE, OFF_TOPIC, GREETING)

# The garments the catalog will gain (sub-category -> main category).
CATALOG_ADDITIONS = {
    "원피스": "DRESS",
    "수트자켓": "OUTER",
    "수트팬츠": "BOTTOM",
    "수트스커트": "BOTTOM",
    "민소매": "TOP",
    "카고팬츠": "BOTTOM",
    "레깅스": "BOTTOM",
    "넥타이": "ACCESSORY",
}
BAGS = frozenset({"토트백", "크로스백", "백팩"})
SUIT_BOTTOMS = frozenset({"수트팬츠", "수트스커트"})

# Formality of an outfit: formal pieces count +1, casual pieces -1, the rest 0.
FORMAL_PIECES = frozenset(
    {
        "셔츠",
        "블라우스",
        "슬랙스",
        "블레이저",
        "코트",
        "트렌치코트",
        "구두",
        "로퍼",
        "힐",
        "수트자켓",
        "수트팬츠",
        "수트스커트",
        "넥타이",
    }
)
CASUAL_PIECES = frozenset(
    {
        "티셔츠",
        "후드",
        "맨투맨",
        "민소매",
        "청바지",
        "조거팬츠",
        "반바지",
        "카고팬츠",
        "레깅스",
        "스니커즈",
        "러닝화",
        "샌들",
        "바람막이",
        "패딩",
        "볼캡",
        "비니",
        "백팩",
    }
)

# The development set's occasion and season tables (imported above) predate the catalog
# additions; what a stylist also rules out among the new garments:
EXTRA_OCCASION_FORBIDDEN = {
    "면접": {"카고팬츠", "레깅스", "민소매"},
    "결혼식": {"카고팬츠", "레깅스"},
    "장례식": {"카고팬츠", "레깅스", "민소매"},
    "상견례": {"카고팬츠", "레깅스", "민소매"},
    "소개팅": {"레깅스"},
    "첫출근": {"카고팬츠", "레깅스", "민소매"},
    "출근": {"레깅스"},
    "운동": {"수트자켓", "수트팬츠", "수트스커트", "넥타이", "원피스"},
}
EXTRA_SEASON_FORBIDDEN_SUBS = {"겨울": {"민소매"}}

# A plain "we do not have it", in Korean or English.
NEGATIVES = (
    "없어요",
    "없습니다",
    "없네요",
    "없어서",
    "없고",
    "없는데",
    "없는",
    "없답니다",
    "없음",
    "없으",
    "없다",
    "있지 않",
    "취급하지",
    "취급 안",
    "취급을 안",
    "취급하고 있지",
    "다루지 않",
    "다루고 있지",
    "판매하지 않",
    "판매하고 있지",
    "팔지 않",
    "팔고 있지",
    "준비돼 있지",
    "준비되어 있지",
    "준비된 게 없",
    "갖추고 있지",
    "들어와 있지",
    "찾을 수 없",
    "찾지 못",
    "don't carry",
    "do not carry",
    "doesn't carry",
    "not carry",
    "don't have",
    "do not have",
    "don't sell",
    "do not sell",
    "don't stock",
    "not stock",
    "not available",
    "unavailable",
    "not in our",
)


@dataclass
class Case:
    name: str
    turns: list[str]
    intent: str
    tags: set[str] = field(default_factory=set)  # coverage: occasion, season, kind of failure
    items: set[str] = field(default_factory=set)  # asked kinds: sub-categories or main categories
    must: list[set[str]] = field(default_factory=list)  # the outfit has one of each group
    owned: set[str] = field(default_factory=set)  # kinds the person has: none may be cited
    colours: set[str] = field(default_factory=set)  # catalog colours wanted for `colour_of`
    colour_of: set[str] = field(default_factory=set)  # default: items
    no_colours: set[str] = field(default_factory=set)
    no_items: set[str] = field(default_factory=set)
    occasion: str = ""  # a key of the development set's OCCASION_FORBIDDEN
    season: str = ""
    gender: str = ""
    item_budget: int = 0  # won, per product of `items` (every product when items is empty)
    total_budget: int = 0  # won, the coordinator's whole outfit
    brand: str = ""  # a carried brand asked for (products of `items` are of it)
    not_carried: tuple[str, ...] = ()  # the thing as written and its Korean name
    nearest: set[str] = field(default_factory=set)  # kinds fine to show instead; "*" any
    mentions: tuple[str, ...] = ()  # body facts or the advice's topic: some answer says one
    options: tuple[tuple[str, ...], ...] = ()  # compare: some answer names each option
    avoid: str = ""  # compare: the kind a stylist rules out; none of it cited
    follow: str = ""  # cheaper | formal | casual | another | colour | add
    changed: str = ""  # the main category the follow-up changes ("" = the whole outfit)


# fmt: off
CASES: list[Case] = [
    # ---------------------------------------------------------------- greetings
    Case("인사 안녕하세요", ["안녕하세요"], GREETING),
    Case("인사 반가워요", ["반가워요! 처음 써봐요 ㅎㅎ"], GREETING),
    Case("greeting hi", ["hi"], GREETING, tags={"english"}),
    Case("greeting hello", ["Hello there!"], GREETING, tags={"english"}),
    # ---------------------------------------------------------------- off-topic
    Case("주식", ["주식 뭐 사지?"], OFF_TOPIC),
    Case("날씨", ["오늘 날씨 어때"], OFF_TOPIC),
    Case("파이썬", ["파이썬 공부법 알려줘"], OFF_TOPIC),
    Case("점심 메뉴", ["점심 메뉴 추천해줘"], OFF_TOPIC),
    Case("math homework", ["Can you help me with my math homework?"], OFF_TOPIC,
         tags={"english"}),
    # ---------------------------------------------------------------- one item, Korean
    Case("네이비 니트 하나", ["네이비 니트 하나만 골라줘"], ONE_ITEM,
         items={"니트"}, colours={"네이비"}),
    Case("검정 로퍼", ["검정 로퍼 있어요?"], ONE_ITEM, items={"로퍼"}, colours={"블랙"}),
    Case("청바지 하나", ["청바지 하나 추천해줘"], ONE_ITEM, items={"청바지"}),
    Case("셔츠 5만원 이하", ["5만원 이하 셔츠 추천해줘"], ONE_ITEM, tags={"item_budget"},
         items={"셔츠"}, item_budget=50_000),
    Case("흰 스니커즈 10만원", ["흰 스니커즈 10만원 안쪽으로 하나 골라주세요"], ONE_ITEM,
         tags={"item_budget"}, items={"스니커즈"}, colours={"화이트", "아이보리"},
         item_budget=100_000),
    Case("반팔티 3만원", ["3만원 이하 반팔티 하나만"], ONE_ITEM, tags={"item_budget"},
         items={"티셔츠"}, item_budget=30_000),
    Case("겨울 코트 차콜 그레이", ["겨울에 입을 코트 하나 사려는데 차콜이나 그레이로요"],
         ONE_ITEM, tags={"season_said"}, items={"코트"}, colours={"차콜", "그레이"},
         season="겨울"),
    Case("블라우스 핑크 말고", ["여자 블라우스 하나만 추천해줘, 핑크는 말고"], ONE_ITEM,
         tags={"women"}, items={"블라우스"}, no_colours={"핑크"}, gender="WOMEN"),
    Case("출근 가방", ["출근할 때 들 가방 하나 추천해줘"], ONE_ITEM, tags={"office"},
         items=set(BAGS), occasion="출근"),
    Case("남자 바지 하나", ["남자 바지 하나만 추천해 주세요"], ONE_ITEM, tags={"men"},
         items={"BOTTOM"}, gender="MEN"),
    Case("비니 빨강 말고", ["비니 하나 골라줘, 빨간색은 싫어요"], ONE_ITEM,
         items={"비니"}, no_colours={"레드"}),
    Case("무드웨이브 니트", ["무드웨이브 니트 있어요?"], ONE_ITEM, tags={"brand_carried"},
         items={"니트"}, brand="무드웨이브"),
    # catalog addition
    Case("카고팬츠 하나", ["카고팬츠 하나 골라줘"], ONE_ITEM,
         tags={"catalog_addition"}, items={"카고팬츠"}),
    # catalog addition
    Case("봄 원피스 하나", ["봄에 입을 원피스 하나만 추천해줘"], ONE_ITEM,
         tags={"catalog_addition", "season_said"}, items={"원피스"}, season="봄"),
    # catalog addition
    Case("넥타이 하나", ["네이비 정장에 맬 넥타이 하나 골라줘"], ONE_ITEM,
         tags={"catalog_addition"}, items={"넥타이"}),
    # ---------------------------------------------------------------- one item, English/mixed
    Case("black loafers budget", ["black loafers under 100,000 won"], ONE_ITEM,
         tags={"english", "item_budget"}, items={"로퍼"}, colours={"블랙"},
         item_budget=100_000),
    Case("white shirt one", ["Can you pick one white shirt for me?"], ONE_ITEM,
         tags={"english"}, items={"셔츠"}, colours={"화이트", "아이보리"}),
    Case("navy 니트", ["navy 니트 하나만"], ONE_ITEM, tags={"mixed"},
         items={"니트"}, colours={"네이비"}),
    Case("beige 트렌치", ["beige 트렌치코트 있어요?"], ONE_ITEM, tags={"mixed"},
         items={"트렌치코트"}, colours={"베이지"}),
    # ---------------------------------------------------------------- complete my look
    Case("베이지 치노 보유", ["베이지 치노가 있는데 어울리는 상의랑 신발 골라줘"], COMPLETE_LOOK,
         owned={"BOTTOM"}, must=[{"TOP"}, {"SHOES"}]),
    Case("검정 슬랙스 보유 소개팅", ["검정 슬랙스 있는데 소개팅에 입을 상의 추천해줘"],
         COMPLETE_LOOK, tags={"date"}, owned={"BOTTOM"}, must=[{"TOP"}], occasion="소개팅"),
    Case("흰 셔츠 보유 면접", ["흰 셔츠는 있어요. 면접 때 같이 입을 바지랑 구두 골라주세요"],
         COMPLETE_LOOK, tags={"interview"}, owned={"TOP"}, must=[{"BOTTOM"}, {"SHOES"}],
         occasion="면접"),
    Case("갈색 로퍼 보유", ["갈색 로퍼 신을 건데 나머지 코디 짜줘"], COMPLETE_LOOK,
         owned={"SHOES"}, must=[{"TOP"}, {"BOTTOM"}]),
    Case("청바지 흰티 보유 아우터", ["청바지랑 흰 티는 있어요, 위에 걸칠 아우터만 골라줘"],
         COMPLETE_LOOK, owned={"TOP", "BOTTOM"}, must=[{"OUTER"}]),
    Case("navy blazer owned", ["I have a navy blazer, what pants and shoes go with it?"],
         COMPLETE_LOOK, tags={"english"}, owned={"OUTER"}, must=[{"BOTTOM"}, {"SHOES"}]),
    # Owning a dress: no top or bottom either (they would replace it, not complete it).
    Case("black 원피스 보유 하객", ["black 원피스 있는데 하객룩으로 신발이랑 가방 매칭해줘"],
         COMPLETE_LOOK, tags={"mixed", "wedding"}, owned={"DRESS", "TOP", "BOTTOM"},
         must=[{"SHOES"}, set(BAGS)], occasion="결혼식"),
    # ---------------------------------------------------------------- total budget
    Case("10만원 소개팅 전체", ["10만원으로 소개팅룩 전체 맞춰줘"], FULL_LOOK,
         tags={"total_budget", "date"}, occasion="소개팅", total_budget=100_000),
    Case("20만원 면접 전부", ["20만원으로 면접 복장 다 사고 싶어요"], FULL_LOOK,
         tags={"total_budget", "interview"}, occasion="면접", total_budget=200_000),
    Case("15만원 하객 여자", ["15만원 안에서 하객룩 한 벌 맞춰주세요, 여자예요"], FULL_LOOK,
         tags={"total_budget", "wedding", "women"}, occasion="결혼식", gender="WOMEN",
         total_budget=150_000),
    Case("30만원 겨울 출근 코트까지", ["30만원으로 겨울 출근룩 코트까지 전부 맞춰줘"], FULL_LOOK,
         tags={"total_budget", "office", "season_said"}, occasion="출근", season="겨울",
         must=[{"코트"}], total_budget=300_000),
    Case("campus total en", ["Full outfit for campus, 120,000 won total"], FULL_LOOK,
         tags={"english", "total_budget", "campus"}, total_budget=120_000),
    # One item's budget inside a look: only the shirt is bounded.
    Case("출근룩 셔츠만 5만원", ["출근룩 추천해줘, 셔츠는 5만원 이하로"], FULL_LOOK,
         tags={"item_budget", "office"}, occasion="출근", items={"셔츠"}, must=[{"셔츠"}],
         item_budget=50_000),
    # ---------------------------------------------------------------- not carried: brands
    Case("구찌 로퍼", ["구찌 로퍼 있어요?"], ONE_ITEM, tags={"brand_missing"},
         items={"로퍼"}, not_carried=("구찌",), nearest={"로퍼"}),
    Case("샤넬 가방", ["샤넬 가방 추천해줘"], ONE_ITEM, tags={"brand_missing"},
         items=set(BAGS), not_carried=("샤넬",), nearest=set(BAGS)),
    Case("루이비통 백팩", ["루이비통 백팩 찾고 있어요"], ONE_ITEM, tags={"brand_missing"},
         items={"백팩"}, not_carried=("루이비통", "루이 비통"), nearest={"백팩"}),
    # catalog addition (nearest)
    Case("프라다 원피스", ["프라다 원피스 있나요?"], ONE_ITEM,
         tags={"brand_missing"}, items={"원피스"}, not_carried=("프라다",), nearest={"원피스"}),
    Case("에르메스 벨트", ["에르메스 벨트 있어요?"], ONE_ITEM, tags={"brand_missing"},
         items={"벨트"}, not_carried=("에르메스",), nearest={"벨트"}),
    Case("버버리 트렌치", ["버버리 트렌치코트 추천해줘"], ONE_ITEM, tags={"brand_missing"},
         items={"트렌치코트"}, not_carried=("버버리",), nearest={"트렌치코트"}),
    Case("나이키 운동화", ["나이키 운동화 있어요?"], ONE_ITEM, tags={"brand_missing"},
         items={"스니커즈", "러닝화"}, not_carried=("나이키",), nearest={"스니커즈", "러닝화"}),
    Case("gucci loafers en", ["Do you carry Gucci loafers?"], ONE_ITEM,
         tags={"english", "brand_missing"}, items={"로퍼"}, not_carried=("Gucci", "구찌"),
         nearest={"로퍼"}),
    # ---------------------------------------------------------------- not carried: garments
    Case("수영복", ["수영복 추천해줘"], ONE_ITEM, tags={"garment_missing"},
         not_carried=("수영복",)),
    Case("비키니", ["비키니 있어요?"], ONE_ITEM, tags={"garment_missing"},
         not_carried=("비키니",)),
    Case("래시가드", ["래시가드 하나 골라줘"], ONE_ITEM, tags={"garment_missing"},
         not_carried=("래시가드",)),
    Case("등산스틱", ["등산스틱 추천해줘"], ONE_ITEM, tags={"garment_missing"},
         not_carried=("등산스틱", "등산 스틱")),
    Case("장마 우산", ["장마철에 쓸 우산 추천해줘"], ONE_ITEM, tags={"garment_missing"},
         not_carried=("우산",)),
    Case("남자 시계", ["남자 시계 추천해줘"], ONE_ITEM, tags={"garment_missing", "men"},
         not_carried=("시계",)),
    Case("선글라스", ["여름에 쓸 선글라스 있어요?"], ONE_ITEM, tags={"garment_missing"},
         not_carried=("선글라스",)),
    Case("설날 한복", ["설날에 입을 한복 있어요?"], ONE_ITEM, tags={"garment_missing"},
         not_carried=("한복",)),
    # Loungewear is the nearest carried thing to pyjamas.
    Case("잠옷", ["잠옷 추천해줘"], ONE_ITEM, tags={"garment_missing"},
         not_carried=("잠옷",), nearest={"티셔츠", "맨투맨", "조거팬츠", "반바지"}),
    Case("swimsuits en", ["Do you sell swimsuits?"], ONE_ITEM,
         tags={"english", "garment_missing"}, not_carried=("swimsuit", "수영복")),
    # The look is carried, the swimsuit is not: say so and still dress the person.
    Case("제주 수영복 + 코디", ["제주도 여행 가는데 수영복이랑 같이 입을 옷도 추천해줘"],
         FULL_LOOK, tags={"garment_missing", "travel", "season_implied"}, season="여름",
         not_carried=("수영복",), nearest={"*"}),
    # ---------------------------------------------------------------- not carried: budget, colour
    # The nearest carried thing is the cheapest of the kind, shown with its real price.
    Case("만원 코트", ["만원으로 코트 살 수 있어요?"], ONE_ITEM, tags={"budget_missing"},
         items={"코트"}, not_carried=("코트",), nearest={"코트"}),
    Case("5천원 운동화", ["5천원으로 운동화 사고 싶어요"], ONE_ITEM, tags={"budget_missing"},
         items={"스니커즈", "러닝화"}, not_carried=("운동화", "스니커즈"),
         nearest={"스니커즈", "러닝화"}),
    Case("2만원 패딩", ["2만원으로 겨울 패딩 하나 사고 싶어요"], ONE_ITEM,
         tags={"budget_missing", "season_said"}, items={"패딩"}, season="겨울",
         not_carried=("패딩",), nearest={"패딩"}),
    Case("금색 구두", ["금색 구두 있어요?"], ONE_ITEM, tags={"colour_missing"},
         items={"구두"}, not_carried=("금색", "골드"), nearest={"구두"}),
    Case("주황 패딩", ["주황색 패딩 있어요?"], ONE_ITEM, tags={"colour_missing"},
         items={"패딩"}, not_carried=("주황", "오렌지"), nearest={"패딩"}),
    Case("보라 슬랙스", ["보라색 슬랙스 찾아요"], ONE_ITEM, tags={"colour_missing"},
         items={"슬랙스"}, not_carried=("보라", "퍼플"), nearest={"슬랙스"}),
    # ---------------------------------------------------------------- advice only
    Case("키 작은 남자 핏", ["키 작은 남자는 어떤 핏이 좋아요?"], ADVICE, tags={"men", "body"},
         gender="MEN",
         mentions=("크롭", "기장", "하이웨이스트", "비율", "세로", "슬림", "스트레이트")),
    Case("하체 통통 여자 바지", ["하체 통통한 여자는 어떤 바지가 좋아요?"], ADVICE,
         tags={"women", "body"}, gender="WOMEN",
         mentions=("와이드", "일자", "스트레이트", "하이웨이스트", "A라인", "세미와이드")),
    Case("네이비 어울리는 색", ["네이비랑 어울리는 색이 뭐예요?"], ADVICE,
         mentions=("베이지", "화이트", "그레이", "아이보리", "카키", "브라운", "스카이블루")),
    Case("면접 넥타이 필요", ["면접 때 넥타이 꼭 매야 하나요?"], ADVICE, tags={"interview"},
         mentions=("넥타이",)),
    Case("tall skinny en", ["How should a tall skinny guy dress?"], ADVICE,
         tags={"english", "men", "body"}, gender="MEN",
         mentions=("layer", "레이어", "오버핏", "레귤러핏", "가로", "와이드")),
    # ---------------------------------------------------------------- compare
    Case("슬랙스 vs 청바지 소개팅", ["슬랙스랑 청바지 중에 소개팅엔 뭐가 나아요?"], COMPARE,
         tags={"date"}, occasion="소개팅",
         options=(("슬랙스",), ("청바지", "데님")), avoid="청바지"),
    Case("로퍼 vs 스니커즈 면접", ["면접에 로퍼랑 스니커즈 중 뭐 신을까요?"], COMPARE,
         tags={"interview"}, occasion="면접",
         options=(("로퍼",), ("스니커즈", "운동화")), avoid="스니커즈"),
    Case("원피스 vs 청바지 하객", ["하객룩으로 원피스랑 청바지 중에 뭐가 좋아요?"], COMPARE,
         tags={"wedding"}, occasion="결혼식",
         options=(("원피스",), ("청바지", "데님")), avoid="청바지"),
    Case("트렌치 vs 가디건 출근", ["가을 출근용으로 트렌치코트랑 가디건 중 뭐가 나아요?"],
         COMPARE, tags={"office", "season_said"}, occasion="출근", season="가을",
         options=(("트렌치",), ("가디건", "카디건"))),
    Case("hoodie or knit en", ["Hoodie or knit for a first date?"], COMPARE,
         tags={"english", "date"}, occasion="소개팅",
         options=(("니트", "knit", "sweater"), ("후드", "hoodie")), avoid="후드"),
    # ---------------------------------------------------------------- full looks by occasion
    # catalog addition
    Case("여자 면접 정장", ["다음 주 면접인데 여자예요, 정장 추천해 주세요"], FULL_LOOK,
         tags={"interview", "women", "catalog_addition"}, occasion="면접", gender="WOMEN",
         must=[{"수트자켓"}, set(SUIT_BOTTOMS)]),
    # catalog addition
    Case("남자 면접 정장 넥타이", ["남자 면접 정장 한 벌 추천해줘, 넥타이까지"], FULL_LOOK,
         tags={"interview", "men", "catalog_addition"}, occasion="면접", gender="MEN",
         must=[{"수트자켓"}, {"수트팬츠"}, {"넥타이"}]),
    # catalog addition
    Case("5월 하객 원피스", ["5월 결혼식 하객룩 원피스로 추천해줘"], FULL_LOOK,
         tags={"wedding", "catalog_addition", "season_implied"}, occasion="결혼식", season="봄",
         must=[{"원피스"}]),
    # catalog addition
    Case("상견례 원피스", ["상견례 때 입을 원피스 추천해주세요"], FULL_LOOK,
         tags={"sanggyeonrye", "catalog_addition"}, occasion="상견례", must=[{"원피스"}]),
    # catalog addition
    Case("상견례 남자 정장", ["상견례 자리에 남자 정장 입고 가려고요"], FULL_LOOK,
         tags={"sanggyeonrye", "men", "catalog_addition"}, occasion="상견례", gender="MEN",
         must=[{"수트자켓"}, {"수트팬츠"}]),
    Case("조문 여자", ["다음 주에 조문 가야 하는데 여자 옷 추천해주세요"], FULL_LOOK,
         tags={"funeral", "women"}, occasion="장례식", gender="WOMEN"),
    Case("한겨울 장례식", ["한겨울에 장례식장 갈 때 입을 옷"], FULL_LOOK,
         tags={"funeral", "season_said"}, occasion="장례식", season="겨울"),
    Case("크리스마스 데이트", ["크리스마스 데이트룩 추천해줘"], FULL_LOOK,
         tags={"date", "season_implied"}, season="겨울"),
    Case("벚꽃 여자 데이트", ["벚꽃 보러 가는 날 여자 데이트룩"], FULL_LOOK,
         tags={"date", "women", "season_implied"}, season="봄", gender="WOMEN"),
    Case("단풍놀이", ["단풍놀이 갈 때 입을 옷 추천"], FULL_LOOK,
         tags={"travel", "season_implied"}, season="가을"),
    Case("8월 바다 휴가", ["8월 휴가 때 바다 가는데 입을 옷"], FULL_LOOK,
         tags={"travel", "season_implied"}, season="여름"),
    # catalog addition
    Case("헬스 여자 레깅스", ["헬스장 갈 때 입을 여자 운동복, 레깅스로요"], FULL_LOOK,
         tags={"workout", "women", "catalog_addition"}, occasion="운동", gender="WOMEN",
         must=[{"레깅스"}]),
    Case("러닝 남자", ["아침에 러닝할 때 입을 남자 운동복 추천"], FULL_LOOK,
         tags={"workout", "men"}, occasion="운동", gender="MEN"),
    # catalog addition
    Case("여름 민소매 데일리", ["한여름 민소매로 시원한 데일리룩 짜줘"], FULL_LOOK,
         tags={"catalog_addition", "season_said"}, season="여름", must=[{"민소매"}]),
    Case("봄 여자 출근", ["봄에 입을 여자 출근룩 추천해주세요"], FULL_LOOK,
         tags={"office", "women", "season_said"}, occasion="출근", season="봄", gender="WOMEN"),
    Case("겨울 첫 출근 남자", ["1월에 첫 출근하는 신입 남자예요"], FULL_LOOK,
         tags={"office", "men", "season_implied"}, occasion="첫출근", season="겨울",
         gender="MEN"),
    Case("가을 캠퍼스 여자", ["여자 가을 캠퍼스룩 추천해줘"], FULL_LOOK,
         tags={"campus", "women", "season_said"}, season="가을", gender="WOMEN"),
    Case("네이비 니트 소개팅", ["네이비 니트로 소개팅룩 맞춰줘"], FULL_LOOK, tags={"date"},
         occasion="소개팅", items={"니트"}, must=[{"니트"}], colours={"네이비"}),
    Case("검정 빼고 하객 남자", ["검정색 빼고 결혼식 하객룩 추천해줘, 남자예요"], FULL_LOOK,
         tags={"wedding", "men"}, occasion="결혼식", gender="MEN", no_colours={"블랙"}),
    Case("키 185 마른 남자 출근", ["키 185에 마른 남자인데 출근룩 부탁해요"], FULL_LOOK,
         tags={"office", "men", "body"}, occasion="출근", gender="MEN",
         mentions=("185", "마른", "키가 큰", "슬림")),
    Case("어깨 좁은 여자 하객", ["어깨가 좁은 여자예요, 하객룩 추천해주세요"], FULL_LOOK,
         tags={"wedding", "women", "body"}, occasion="결혼식", gender="WOMEN",
         mentions=("어깨",)),
    # ---------------------------------------------------------------- full looks, English/mixed
    Case("first date en", ["what should I wear on a first date?"], FULL_LOOK,
         tags={"english", "date"}, occasion="소개팅"),
    Case("interview woman en", ["I need an outfit for a job interview, I'm a woman"],
         FULL_LOOK, tags={"english", "interview", "women"}, occasion="면접", gender="WOMEN"),
    Case("summer wedding man en", ["Summer wedding guest outfit for a man please"], FULL_LOOK,
         tags={"english", "wedding", "men", "season_said"}, occasion="결혼식", season="여름",
         gender="MEN"),
    Case("winter travel no black en", ["winter travel outfit, no black please"], FULL_LOOK,
         tags={"english", "travel", "season_said"}, season="겨울", no_colours={"블랙"}),
    Case("소개팅 outfit", ["소개팅 outfit 추천해줘"], FULL_LOOK, tags={"mixed", "date"},
         occasion="소개팅"),
    Case("여름 office look 남자", ["여름 office look 추천, 남자"], FULL_LOOK,
         tags={"mixed", "office", "men", "season_said"}, occasion="출근", season="여름",
         gender="MEN"),
    Case("캠퍼스 casual 후드 말고", ["캠퍼스룩 casual하게 골라줘, 후드 말고"], FULL_LOOK,
         tags={"mixed", "campus"}, no_items={"후드"}),
    # ---------------------------------------------------------------- follow-ups in one room
    Case("출근룩 → 더 저렴하게", ["출근룩 추천해줘", "더 저렴하게"], FULL_LOOK,
         tags={"office"}, occasion="출근", follow="cheaper"),
    Case("데이트 → 캐주얼 → 저렴", ["주말 데이트룩 골라줘", "좀 더 캐주얼하게", "더 저렴하게"],
         FULL_LOOK, tags={"date"}, follow="cheaper"),
    Case("office en → cheaper", ["what should I wear to the office?", "cheaper please"],
         FULL_LOOK, tags={"english", "office"}, occasion="출근", follow="cheaper"),
    Case("친구 약속 → 포멀", ["친구 만날 때 입을 옷 추천해줘", "좀 더 포멀하게"], FULL_LOOK,
         follow="formal"),
    Case("여자 데이트 → 포멀", ["여자 데이트룩 추천해줘", "좀 더 포멀하게"], FULL_LOOK,
         tags={"date", "women"}, gender="WOMEN", follow="formal"),
    # Still an office look after "more casual": the office rules hold in the last turn.
    Case("출근 → 캐주얼", ["출근룩 추천해줘", "좀 더 캐주얼하게"], FULL_LOOK,
         tags={"office"}, occasion="출근", follow="casual"),
    Case("소개팅 → 다른 거", ["소개팅룩 추천해줘", "이거 말고 다른 거"], FULL_LOOK,
         tags={"date"}, occasion="소개팅", follow="another"),
    Case("면접 → 신발 다른 거", ["면접룩 추천해줘", "신발은 이거 말고 다른 거"], FULL_LOOK,
         tags={"interview"}, occasion="면접", follow="another", changed="SHOES"),
    Case("니트 → 다른 색", ["네이비 니트 하나 골라줘", "다른 색으로"], ONE_ITEM,
         items={"니트"}, follow="colour", changed="TOP"),
    Case("가을 데이트 → 상의 다른 색", ["가을 데이트룩 추천해줘", "상의만 다른 색으로 바꿔줘"],
         FULL_LOOK, tags={"date", "season_said"}, season="가을", follow="colour",
         changed="TOP"),
    Case("하객 → 가방 추가", ["하객룩 추천해줘", "가방도 하나 골라줘"], FULL_LOOK,
         tags={"wedding"}, occasion="결혼식", items=set(BAGS), follow="add"),
    Case("캠퍼스 → 모자 추가", ["캠퍼스룩 추천해줘", "어울리는 모자도 추천해줘"], FULL_LOOK,
         tags={"campus"}, items={"볼캡", "비니"}, follow="add"),
]
# fmt: on


# ------------------------------------------------------------------------------- helpers


def answers_of(events) -> dict:
    return {e.completed.expert.agent_id: e.completed for e in events if e.HasField("completed")}


def bigram_similarity(a: str, b: str) -> float:
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    return len(grams_a & grams_b) / max(1, len(grams_a | grams_b))


def is_kind(product, kinds: set[str]) -> bool:
    return product.sub_category in kinds or product.main_category in kinds


def reason_of(ref) -> str:
    """ProductRef.reason (field 3): absent on older stubs, then it reads as empty."""
    return getattr(ref, "reason", "") or ""


def formality(pieces) -> int:
    return sum(p.sub_category in FORMAL_PIECES for p in pieces) - sum(
        p.sub_category in CASUAL_PIECES for p in pieces
    )


_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def says_not_carried(texts: list[str], words: tuple[str, ...]) -> bool:
    """A sentence names the thing and it, or the next sentence, says plainly it is not there."""
    lowered = [w.lower() for w in words]
    for text in texts:
        parts = [s.lower() for s in sentences(text)]
        for i, part in enumerate(parts):
            if any(w in part for w in lowered):
                window = " ".join(parts[i : i + 2])
                if any(n in window for n in NEGATIVES):
                    return True
    return False


def _mask_vocabulary() -> list[str]:
    """Product, colour, material, fit and brand words: masked before comparing opening shapes."""
    from product_service.garments import GARMENTS
    from product_service.generator import BRANDS
    from product_service.vocabulary import COLOURS

    words: set[str] = set(CATALOG_ADDITIONS) | set(BRANDS) | {"정장", "수트"}
    short: set[str] = set()  # one-character words that are always product words (울, 흰)
    for garment in GARMENTS:
        words |= {w for w in garment.words if len(w) >= 2} | {garment.name}
        short |= set(garment.materials)
        for fit in garment.fits:
            words |= {fit, fit.removesuffix("핏")}
    for colour in COLOURS:
        short |= {colour.name, *colour.words}
    words = {w for w in words | short | set(ENGLISH_PRODUCT_WORDS) if w}
    return sorted(words, key=len, reverse=True)


# Answers in English name products in English.
ENGLISH_PRODUCT_WORDS = (
    *("black", "white", "grey", "gray", "charcoal", "navy", "blue", "sky blue", "beige"),
    *("ivory", "brown", "khaki", "green", "red", "burgundy", "pink", "yellow", "purple"),
    *("orange", "mint", "wool", "cotton", "linen", "denim", "leather", "cashmere"),
    *("knit", "sweater", "shirt", "t-shirt", "tee", "hoodie", "sweatshirt", "blouse", "polo"),
    *("pants", "trousers", "slacks", "jeans", "chinos", "skirt", "shorts", "joggers", "dress"),
    *("jacket", "blazer", "coat", "trench coat", "cardigan", "padding", "puffer", "suit"),
    *("sneakers", "loafers", "shoes", "heels", "boots", "sandals", "bag", "belt", "tie"),
    *("cap", "beanie", "scarf", "muffler", "slim", "wide", "oversized", "regular", "fit"),
)
_MASK: re.Pattern | None = None


def opening_shape(message: str) -> str:
    """The first sentence with product, colour, brand words and numbers masked, runs of masks
    collapsed: "네이비 울 니트에 차콜 슬랙스가 좋아요." -> "X에 X가 좋아요." """
    global _MASK
    if _MASK is None:
        # English words whole (plurals too), Korean ones anywhere (particles follow them).
        _MASK = re.compile(
            "|".join(
                rf"\b{re.escape(w)}s?\b" if w.isascii() else re.escape(w)
                for w in _mask_vocabulary()
            ),
            flags=re.IGNORECASE,
        )
    first = sentences(message)[0] if message.strip() else ""
    masked = _MASK.sub("X", re.sub(r"\d[\d,.]*", "X", first))
    return re.sub(r"X(?:[\s·,/]*X)+", "X", masked)


def same_shape(a: str, b: str) -> bool:
    """Two openings of one shape: equal, bigram similarity >= 0.6, or the same first two words."""
    if a == b or bigram_similarity(a, b) >= 0.6:
        return True
    words_a, words_b = a.split(), b.split()
    return len(words_a) >= 2 and words_a[:2] == words_b[:2]


# ------------------------------------------------------------------------------- checks


def check(case: Case, turns: list[list], catalog: dict) -> dict[str, bool | None]:
    """Each held-out check: True/False, or None where it does not apply."""
    answers = answers_of(turns[-1])
    coordinator = answers.get("fitting_coordinator")
    refs = [r for a in answers.values() for r in a.products]
    known = [catalog[r.product_id] for r in refs if r.product_id in catalog]
    texts = [a.message for a in answers.values()]
    outfit = (
        [catalog[r.product_id] for r in coordinator.products if r.product_id in catalog]
        if coordinator is not None
        else []
    )
    chatty = case.intent in (OFF_TOPIC, GREETING)
    results: dict[str, bool | None] = {}

    failed = any(e.HasField("failed") for t in turns for e in t)
    if chatty:
        results["no_failures"] = not failed and bool(answers)
    else:
        results["no_failures"] = not failed and set(answers) == set(EXPERTS)
    results["ids_exist_with_image"] = all(
        r.product_id in catalog and r.product_url == catalog[r.product_id].image_url for r in refs
    )

    # --- intent
    results["no_products"] = (
        (
            bool(answers)
            and not any(a.products for t in turns for a in answers_of(t).values())
            and all(0 < len(a.message.strip()) < 400 for a in answers.values())
        )
        if chatty
        else None
    )
    if case.intent == ONE_ITEM and case.items:
        results["one_item"] = all(is_kind(p, case.items) for p in known) and (
            bool(known) or bool(case.not_carried)
        )
    else:
        results["one_item"] = None
    if case.intent == COMPLETE_LOOK:
        results["complete_look"] = (
            not any(is_kind(p, case.owned) for p in known)
            and bool(outfit)
            and all(any(is_kind(p, group) for p in outfit) for group in case.must)
        )
    else:
        results["complete_look"] = None
    whole_look = case.intent == FULL_LOOK and (not case.not_carried or "*" in case.nearest)
    if whole_look:
        mains = [p.main_category for p in outfit]
        clothes = [m for m in mains if m != "ACCESSORY"]
        two_piece = "TOP" in mains and "BOTTOM" in mains and "DRESS" not in mains
        dress = "DRESS" in mains and "TOP" not in mains and "BOTTOM" not in mains
        results["outfit_complete"] = (two_piece or dress) and len(clothes) == len(set(clothes))
    else:
        results["outfit_complete"] = None
    results["asked_kind_included"] = (
        all(any(is_kind(p, group) for p in outfit) for group in case.must)
        if case.intent == FULL_LOOK and case.must
        else None
    )
    if case.intent == ADVICE:
        results["question_answered"] = any(w in t for t in texts for w in case.mentions)
    elif case.intent == COMPARE:
        names_both = any(
            all(any(w.lower() in t.lower() for w in option) for option in case.options)
            for t in texts
        )
        results["question_answered"] = names_both and not any(
            p.sub_category == case.avoid for p in known
        )
    else:
        results["question_answered"] = None
    if case.not_carried:
        fine = "*" in case.nearest or all(is_kind(p, case.nearest) for p in known)
        results["not_carried_said"] = says_not_carried(texts, case.not_carried) and fine
    else:
        results["not_carried_said"] = None

    # --- facts of the cited products (None when nothing is cited: no facts to judge;
    # the intent checks above already fail an answer that should have shown something)
    colour_kinds = case.colour_of or case.items
    of_colour_kind = [p for p in known if is_kind(p, colour_kinds)]
    results["colour_asked"] = (
        bool(of_colour_kind) and all(p.color_name in case.colours for p in of_colour_kind)
        if case.colours and known
        else None
    )
    results["refused_respected"] = (
        all(p.color_name not in case.no_colours and not is_kind(p, case.no_items) for p in known)
        if (case.no_colours or case.no_items) and known
        else None
    )
    bounded = [p for p in known if not case.items or is_kind(p, case.items)]
    results["item_budget"] = (
        bool(bounded) and all(p.price <= case.item_budget for p in bounded)
        if case.item_budget and known
        else None
    )
    results["total_budget"] = (
        bool(outfit) and sum(p.price for p in outfit) <= case.total_budget
        if case.total_budget and known
        else None
    )
    if case.season and known:
        bad_subs = SEASON_FORBIDDEN_SUBS[case.season] | EXTRA_SEASON_FORBIDDEN_SUBS.get(
            case.season, set()
        )
        results["season_fit"] = all(
            p.sub_category not in bad_subs
            and p.material not in SEASON_FORBIDDEN_MATERIALS[case.season]
            and (not p.seasons or case.season in p.seasons)
            for p in known
        )
    else:
        results["season_fit"] = None
    results["gender_respected"] = (
        all(p.gender in (case.gender, "UNISEX") for p in known) if case.gender and known else None
    )
    if case.occasion and known:
        forbidden = OCCASION_FORBIDDEN.get(case.occasion, set()) | EXTRA_OCCASION_FORBIDDEN.get(
            case.occasion, set()
        )
        bad_colours = OCCASION_FORBIDDEN_COLOURS.get(case.occasion, set())
        bad_for_women = OCCASION_FORBIDDEN_COLOURS_WOMEN.get(case.occasion, set())
        results["occasion_fit"] = all(
            p.sub_category not in forbidden
            and p.color_name not in bad_colours
            and not (p.gender == "WOMEN" and p.color_name in bad_for_women)
            for p in known
        )
    else:
        results["occasion_fit"] = None
    of_brand_kind = [p for p in known if not case.items or is_kind(p, case.items)]
    results["brand_asked"] = (
        bool(of_brand_kind) and all(p.brand_name == case.brand for p in of_brand_kind)
        if case.brand
        else None
    )
    results["personal_facts_used"] = (
        any(w in t for t in texts for w in case.mentions)
        if case.mentions and case.intent != ADVICE
        else None
    )

    # --- follow-ups: the last turn against the one before
    if case.follow:
        results["follow_up_applied"] = _follow_up(case, turns, catalog)
    else:
        results["follow_up_applied"] = None

    # --- every turn: distinct voices; every cited product: a one-line reason
    if chatty:
        results["voices_distinct"] = None
    else:
        verdicts = []
        for turn in turns:
            openings = [opening_shape(a.message) for a in answers_of(turn).values()]
            if len(openings) < 2:
                continue
            verdicts.append(
                not any(
                    same_shape(openings[i], openings[j])
                    for i in range(len(openings))
                    for j in range(i + 1, len(openings))
                )
            )
        results["voices_distinct"] = all(verdicts) if verdicts else None
    all_refs = [r for t in turns for a in answers_of(t).values() for r in a.products]
    results["reasons_given"] = (
        all(0 < len(reason_of(r).strip()) < 120 and "\n" not in reason_of(r) for r in all_refs)
        if all_refs
        else None
    )
    return results


def _basket(turn, catalog: dict) -> list:
    """The coordinator's outfit, or every cited product when the coordinator cited none."""
    answers = answers_of(turn)
    coordinator = answers.get("fitting_coordinator")
    if coordinator is not None and coordinator.products:
        refs = list(coordinator.products)
    else:
        refs = [r for a in answers.values() for r in a.products]
    return [catalog[r.product_id] for r in refs if r.product_id in catalog]


def _follow_up(case: Case, turns: list[list], catalog: dict) -> bool:
    before, after = _basket(turns[-2], catalog), _basket(turns[-1], catalog)
    if case.follow == "add":
        return any(is_kind(p, case.items) for p in after)
    if not before or not after:
        return False
    if case.follow == "cheaper":
        return sum(p.price for p in after) < sum(p.price for p in before)
    if case.follow == "formal":
        return formality(after) > formality(before)
    if case.follow == "casual":
        return formality(after) < formality(before)
    if case.changed:
        before = [p for p in before if p.main_category == case.changed]
        after = [p for p in after if p.main_category == case.changed]
        if not before or not after:
            return False
    if case.follow == "another":
        return not {p.product_id for p in after} & {p.product_id for p in before}
    if case.follow == "colour":
        return not {p.color_name for p in after} & {p.color_name for p in before}
    raise ValueError(f"unknown follow-up {case.follow!r}")


def coverage() -> list[tuple[str, int]]:
    """(kind, cases) rows: intents, languages, follow-ups, occasions, seasons, failure kinds."""
    rows: Counter[str] = Counter()
    for case in CASES:
        rows[f"intent {case.intent}"] += 1
        text = " ".join(case.turns)
        hangul = bool(re.search("[가-힣]", text))
        latin = bool(re.search("[A-Za-z]{2,}", text))
        rows["language " + ("mixed" if hangul and latin else "english" if latin else "korean")] += 1
        if case.follow:
            rows[f"follow-up {case.follow}"] += 1
        if len(case.turns) > 1:
            rows[f"{len(case.turns)}-turn rooms"] += 1
        if case.season:
            rows[f"season {case.season}"] += 1
        if case.gender:
            rows[f"gender {case.gender}"] += 1
        if case.colours:
            rows["colour wanted"] += 1
        if case.no_colours or case.no_items:
            rows["colour or item refused"] += 1
        for tag in case.tags - {"english", "mixed", "women", "men"}:
            rows[f"tag {tag}"] += 1
    return sorted(rows.items())


if __name__ == "__main__":
    print(f"{len(CASES)} held-out cases")
    for name, count in coverage():
        print(f"  {name:32s} {count:3d}")

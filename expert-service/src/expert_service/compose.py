"""Korean text of the answers: the look in one line in each expert's own shape, a plain word on
what the catalog lacks, the reasons from one angle, and one line per product on why it was
chosen (every provider's products carry that line)."""

import random
import re

from expert_service.brief import Intent
from expert_service.knowledge import Passage
from expert_service.knowledge.store import short_title
from expert_service.products import NotCarried, Product
from expert_service.providers.base import ExpertContext
from expert_service.speech import CATEGORY_WORDS, josa
from expert_service.styling import NEUTRALS

_MATERIALS = (
    "린넨",
    "울",
    "코튼",
    "데님",
    "가죽",
    "레더",
    "캐시미어",
    "코듀로이",
    "트위드",
    "플리스",
    "나일론",
    "스웨이드",
    "시어서커",
    "저지",
    "옥스포드",
    "니트",
    "패딩",
    "스웨트",
)
_SHAPES = (  # "레귤러" is left out: it says nothing when spoken
    "와이드",
    "슬림",
    "오버핏",
    "세미오버",
    "크롭",
    "스트레이트",
    "테이퍼드",
    "반팔",
    "긴팔",
    "롱",
    "숏",
    "하프",
    "버뮤다",
    "부츠컷",
    "핀턱",
    "투턱",
    "더블",
    "싱글",
    "터틀넥",
)


def phrase(product: Product) -> str:
    """A short spoken name of a product: '브라운 린넨 반팔 셔츠'."""
    words: list[str] = []
    colour = product.colour
    if colour:
        words.append(colour)
    source = f"{product.name} {product.material} {product.fit}"
    material = next((m for m in _MATERIALS if m in source), "")
    shape = next((s for s in _SHAPES if s in source), "")
    noun = product.sub_category or product.name
    for extra in (material, shape):
        if extra and extra not in noun and extra not in words:
            words.append(extra)
    words.append(noun)
    return " ".join(words)


def look_line(products: list[Product], rng: random.Random) -> str:
    """The opening line: the whole look in one sentence."""
    by_cat = {p.main_category: p for p in products}
    top, bottom = by_cat.get("TOP"), by_cat.get("BOTTOM")
    outer, shoes = by_cat.get("OUTER"), by_cat.get("SHOES")
    if by_cat.get("DRESS") and not (top or bottom):
        top = by_cat["DRESS"]
    if top and bottom:
        b = phrase(bottom)
        line = f"{phrase(top)}에 {b}{josa(b, '이/가')} " + rng.choice(
            [
                "잘 어울려요",
                "딱 좋아요",
                "제일 잘 어울려요",
                "안정적으로 잘 맞아요",
                "깔끔하게 잘 어울려요",
                "무난하면서도 멋스러워요",
            ]
        )
    else:
        piece = top or bottom or outer or shoes or next(iter(by_cat.values()), None)
        if piece is None:
            return ""
        p = phrase(piece)
        line = f"{p}{josa(p, '을/를')} 중심으로 입는 걸 추천해요"
    if outer and top and (bottom or top.main_category == "DRESS"):
        o = phrase(outer)
        line += f". 여기에 {o}{josa(o, '을/를')} " + rng.choice(
            ["걸치면 완성이에요", "더하면 좋아요", "겹쳐 입으면 훨씬 갖춰 보여요"]
        )
    if shoes and top and (bottom or top.main_category == "DRESS"):
        s = phrase(shoes)
        line += f", 신발은 {s}{josa(s, '으로/로')} 맞춰 보세요"
    return line + "."


def first_sentence(passage: Passage) -> str:
    """The first sentence of a knowledge passage."""
    match = re.match(r"(.+?[.!?])(\s|$)", passage.text)
    return (match.group(1) if match else passage.text).strip()


def passages_of(context: ExpertContext, kinds: set[str], skip: int = 0) -> list[Passage]:
    """The retrieved passages of some kinds, best first."""
    return [p for p in context.passages if p.kind in kinds][skip:]


def missing_line(context: ExpertContext) -> str:
    """A plain statement of what the catalog lacks for this brief ('' when nothing)."""
    if not context.missing:
        return ""
    wanted = ", ".join(context.missing.values())
    return (
        f"솔직히 말씀드리면 지금 카탈로그에는 조건에 맞는 {wanted}{josa(wanted, '이/가')} 없어요. "
        "조건과 다른 상품을 억지로 추천하기보다는 "
        "예산이나 색, 아이템을 조금 바꿔 주시면 다시 찾아볼게요."
    )


def product_lines(products: list[Product]) -> str:
    """The cited products with brand and price."""
    if not products:
        return ""
    parts = [
        f"{p.brand} {p.name}({p.price:,}원)" if p.brand else f"{p.name}({p.price:,}원)"
        for p in products
    ]
    return "추천 상품: " + ", ".join(parts) + "."


def colour_pair_reason(products: list[Product], rng: random.Random) -> str:
    """Why the colours of the outfit work together."""
    colours = [p.colour for p in products if p.main_category != "SHOES"]
    colours = [c for c in colours if c]
    if len(colours) < 2:
        return ""
    a, b = colours[0], colours[1]
    if a == b:
        return f"{a} 톤온톤 조합이라 색은 하나로 모으고 소재 차이로 깊이를 주는 방식이에요."
    if a in NEUTRALS and b in NEUTRALS:
        return rng.choice(
            [
                f"{a}{josa(a, '과/와')} {b}{josa(b, '은/는')} "
                "둘 다 뉴트럴이라 실패가 없는 조합이에요.",
                f"{a}·{b}처럼 뉴트럴끼리 맞추면 차분하면서도 정돈돼 보여요.",
                f"{a}{josa(a, '과/와')} {b}, 두 가지 뉴트럴로 묶어서 어떤 자리에도 무리가 없어요.",
            ]
        )
    accent = b if a in NEUTRALS else a
    base = a if a in NEUTRALS else b
    return (
        f"{base}{josa(base, '이/가')} 바탕을 잡아 주니 {accent} 하나를 포인트로 써도 과하지 않아요."
    )


def look_phrase(products: list[Product]) -> str:
    """The pieces of a look as one noun phrase: '화이트 셔츠에 네이비 슬랙스'."""
    wearing = [p for p in products if p.main_category in ("TOP", "DRESS", "BOTTOM", "OUTER")]
    names = [phrase(p) for p in (wearing or products)[:3]]
    if len(names) == 3:
        return f"{names[0]}에 {names[1]}, 그리고 {names[2]}"
    return "에 ".join(names)


# Each expert opens a turn in its own shape; the variants keep turns from repeating.
_OPENINGS = {
    "style_analyst": (
        "핏부터 보면 {look}{i_ga} 가장 안정적이에요.",
        "체형과 실루엣으로 고르면 {look}{i_ga} 제일 무리가 없어요.",
        "비율을 먼저 생각하면 {look} 조합이 깔끔하게 떨어져요.",
    ),
    "trend_expert": (
        "요즘 분위기로는 {look}{i_ga} 딱이에요.",
        "이번 {season} 흐름을 타려면 {look}{eul_reul} 추천해요.",
        "지금 가장 세련돼 보이는 건 {look} 조합이에요.",
    ),
    "color_expert": (
        "색으로 풀면 {colours} 조합, {look}{eul_reul} 권해요.",
        "{colours}, 이 색 조합이 핵심이에요. {look}{eul_reul} 골랐어요.",
        "색의 균형으로 보면 {look}{i_ga} 제일 편안해요.",
    ),
}
_ITEM_OPENINGS = {
    "style_analyst": ("핏으로 고르자면 {piece}{i_ga} 가장 무난해요.",
                      "실루엣을 보면 {piece}{i_ga} 제일 잘 떨어져요."),
    "trend_expert": ("지금 분위기로는 {piece}{i_ga} 눈에 띄어요.",
                     "요즘 많이 찾는 건 {piece}{ieyo}."),
    "color_expert": ("색까지 생각하면 {piece}{eul_reul} 권해요.",
                     "톤으로 보면 {piece}{i_ga} 가장 쓰기 좋아요."),
    "fitting_coordinator": ("하나만 고른다면 {piece}{ieyo}.",
                            "세 전문가의 후보 중 딱 하나는 {piece}{ieyo}."),
}  # fmt: skip


def opening(context: ExpertContext, rng: random.Random) -> str:
    """The expert's first line: the picks in one sentence, in this expert's shape; a look
    around what the person owns names it too."""
    picks, agent = context.picks, context.expert.agent_id
    if not picks:
        return ""
    owned = context.brief.owned
    if owned and agent == "fitting_coordinator":
        have, look = ", ".join(o.said for o in owned), look_phrase(picks)
        return f"가지고 계신 {have}에 {look}{josa(look, '을/를')} 맞추면 한 벌이 완성돼요."
    line = _opening_of_picks(context, rng)
    if owned:
        have = ", ".join(o.said for o in owned)
        said = {
            "style_analyst": f"가지고 계신 {have}{josa(have, '과/와')} 길이와 품이 잘 맞아요.",
            "trend_expert": f"{have}에 더하면 요즘 분위기가 바로 나요.",
            "color_expert": f"{have}의 색과도 부딪히지 않아요.",
        }
        line = f"{line} {said[agent]}"
    return line


def _opening_of_picks(context: ExpertContext, rng: random.Random) -> str:
    picks, agent = context.picks, context.expert.agent_id
    if context.brief.intent == Intent.COMPARE and agent == "fitting_coordinator":
        chosen, sub = phrase(picks[0]), picks[0].sub_category
        occasion = short_title(context.rules.occasion) if context.rules.occasion else "이번 자리"
        return (
            f"둘 중에서는 {occasion}에 {sub}{josa(sub, '이/가')} 더 잘 맞아요. "
            f"고른다면 {chosen}{josa(chosen, '이에요/예요')}."
        )
    if context.brief.intent == Intent.COMPARE and len(picks) > 1:
        kinds = " vs ".join(phrase(p) for p in picks)
        template = {
            "style_analyst": "핏으로 두 후보를 견주면 {kinds}예요.",
            "trend_expert": "요즘 분위기로 비교하면 {kinds}, 이렇게 두 가지를 놓고 볼게요.",
            "color_expert": "색을 기준으로 {kinds}를 나란히 놓아 봤어요.",
        }[agent]
        return template.format(kinds=kinds)
    if context.brief.intent in (Intent.ONE_ITEM, Intent.COMPARE) or len(picks) == 1:
        p = phrase(picks[0])
        template = rng.choice(_ITEM_OPENINGS[agent])
        return template.format(
            piece=p, i_ga=josa(p, "이/가"), eul_reul=josa(p, "을/를"), ieyo=josa(p, "이에요/예요")
        )
    if agent == "fitting_coordinator":
        return look_line(picks, rng)
    look = look_phrase(picks)
    colours = "·".join(dict.fromkeys(p.colour for p in picks if p.colour)) or "뉴트럴"
    return rng.choice(_OPENINGS[agent]).format(
        look=look,
        i_ga=josa(look, "이/가"),
        eul_reul=josa(look, "을/를"),
        season=context.rules.season,
        colours=colours,
    )


_ABSENT = {
    "style_analyst": "말씀하신 {word}{eun_neun} 저희 카탈로그에 없어요.",
    "trend_expert": "아쉽게도 {word}{eun_neun} 저희가 취급하지 않아요.",
    "color_expert": "{word}{eun_neun} 지금 판매하지 않는 품목이에요.",
    "fitting_coordinator": "먼저 말씀드리면 {word}{eun_neun} 저희 카탈로그에 없어요.",
}


def absent_line(context: ExpertContext) -> str:
    """A plain word on what was asked for and is not carried, and what stands in for it."""
    lines = []
    for absent in context.brief.not_carried:
        word = f"{absent.word} 제품" if absent.kind == "brand" else absent.word
        said = _ABSENT[context.expert.agent_id].format(word=word, eun_neun=josa(word, "은/는"))
        lines.append(f"{said} {_instead(absent, context)}".strip())
    return " ".join(lines)


def _instead(absent: NotCarried, context: ExpertContext) -> str:
    if absent.kind == "colour" and absent.nearest_colour:
        c = absent.nearest_colour
        return f"가장 가까운 {c} 계열로 보여 드릴게요."
    if not context.picks:
        return "옷, 신발, 가방 코디라면 얼마든지 도와드릴게요."
    if absent.nearest_sub:
        n = absent.nearest_sub
        return f"대신 가장 가까운 {n}{josa(n, '으로/로')} 골라 봤어요."
    if absent.kind == "brand":
        return "대신 비슷한 분위기의 상품으로 골라 봤어요."
    return ""


def product_reason(product: Product, context: ExpertContext) -> str:
    """One line on why this expert chose this product."""
    agent, rules, brief = context.expert.agent_id, context.rules, context.brief
    parts: list[str] = []
    if agent == "style_analyst":
        if product.fit:
            parts.append(f"{product.fit}{josa(product.fit, '이라/라')} 실루엣이 깔끔해요")
        if rules.body and product.sub_category in rules.body.words("good_items"):
            parts.append(f"{short_title(rules.body)}에 잘 맞는 아이템이에요")
    elif agent == "trend_expert":
        tags = ", ".join(product.style_tags[:2])
        if tags:
            parts.append(f"{tags} 무드가 지금 {rules.season} 분위기와 맞아요")
        if rules.fabric and product.material in rules.fabric.words("good_materials"):
            parts.append(f"{product.material} 소재라 계절감이 살아요")
    elif agent == "color_expert":
        tone, colour = rules.tone, product.colour
        if tone and colour in tone.words("palette"):
            parts.append(f"{colour}{josa(colour, '은/는')} {tone.title}에 잘 받는 색이에요")
        elif colour in NEUTRALS:
            parts.append(f"{colour}{josa(colour, '은/는')} 어떤 색과도 부딪히지 않는 기본색이에요")
        elif colour:
            parts.append(f"{product.colour} 한 가지로 포인트를 줘요")
    else:
        owner = next(
            (
                peer.expert.agent_name
                for peer in context.peers
                if any(p.product_id == product.product_id for p in peer.products)
            ),
            "",
        )
        what = CATEGORY_WORDS.get(product.main_category, "")
        parts.append(
            f"{owner}의 제안 중 나머지와 가장 잘 어울리는 {what}{josa(what, '이에요/예요')}"
            if owner
            else f"한 벌을 완성하려고 더한 {what}{josa(what, '이에요/예요')}"
        )
    if brief.budget_max and product.price <= brief.budget_max:
        parts.append(f"{product.price:,}원으로 예산 안이에요")
    occasion = rules.occasion
    if not parts and occasion:
        sub = product.sub_category
        parts.append(f"{short_title(occasion)} 자리에 무리 없는 {sub}{josa(sub, '이에요/예요')}")
    line = ", ".join(parts[:2]) or f"{phrase(product)}, 조건에 맞는 상품이에요"
    return line[:118] + "."

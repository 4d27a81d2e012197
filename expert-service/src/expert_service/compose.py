"""Korean text of the offline engine: the look in one line, then reasons from one angle."""

import random
import re

from expert_service.knowledge import Passage
from expert_service.products import Product
from expert_service.providers.base import ExpertContext
from expert_service.styling import product_colour, product_item
from expert_service.vocabulary import NEUTRALS, josa

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
    colour = product.colour or product_colour(product) or ""
    if colour:
        words.append(colour)
    source = f"{product.name} {product.material} {product.fit}"
    material = next((m for m in _MATERIALS if m in source), "")
    shape = next((s for s in _SHAPES if s in source), "")
    noun = product.sub_category or product_item(product) or product.name
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
        piece = top or bottom or outer or shoes
        if piece is None:
            return ""
        p = phrase(piece)
        line = f"{p}{josa(p, '을/를')} 중심으로 입는 걸 추천해요"
    if outer and (top and bottom):
        o = phrase(outer)
        line += f". 여기에 {o}{josa(o, '을/를')} " + rng.choice(
            ["걸치면 완성이에요", "더하면 좋아요", "겹쳐 입으면 훨씬 갖춰 보여요"]
        )
    if shoes and (top and bottom):
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
    colours = [product_colour(p) or p.colour for p in products if p.main_category != "SHOES"]
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

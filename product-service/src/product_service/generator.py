"""The deterministic demo catalog: the same seed always gives the same products.

Every attribute is drawn from the garment's own vocabulary and the description is written
from the attributes, so names, tags and text never contradict each other. A suit is made as a
matching pair: the jacket, then its trousers or skirt, with consecutive product ids.
"""

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from product_service.garments import GARMENTS, Garment
from product_service.product import Product
from product_service.vocabulary import (
    BOLD_COLOURS,
    COLOUR_BY_NAME,
    DARK_COLOURS,
    FORMAL_COLOURS,
    MATERIAL_SEASONS,
    Colour,
)

FIRST_PRODUCT_ID = 100001
_SET_PIECES = frozenset(
    {g.name for g in GARMENTS if g.set_with} | {g.set_with for g in GARMENTS if g.set_with}
)

BRANDS = (
    "무드웨이브",
    "어반노트",
    "라이트하우스",
    "오르빗",
    "세븐데이즈",
    "모노랩",
    "하루웨어",
    "브리즈클로젯",
    "스테디핏",
    "데일리로그",
    "클로젯원",
    "포레스트앤코",
    "엘리움",
    "코지룸",
    "트랙원",
    "노스게이트",
    "베이스캠프",
    "소울메이트",
    "온더로드",
    "미드나잇블루",
    "그레이스케일",
    "써니사이드",
    "아틀리에 유",
    "서울테일러",
    "모먼트",
    "리버사이드",
    "퍼스트테이크 에센셜",
)

_FIT_PHRASES = {
    "슬림핏": "몸에 적당히 붙어 깔끔한 라인을 만들어 줍니다",
    "레귤러핏": "너무 붙지도 크지도 않아 누구에게나 편안합니다",
    "오버핏": "여유 있게 떨어져 편안하고 트렌디한 느낌을 줍니다",
    "와이드핏": "통이 넓게 떨어져 다리 라인을 자연스럽게 감춰 줍니다",
    "스트레이트핏": "일자로 곧게 떨어져 다리가 길어 보입니다",
    "세미와이드핏": "적당히 여유 있는 통이라 활동하기 편하고 단정합니다",
    "크롭핏": "짧은 기장이 허리선을 올려 비율을 좋아 보이게 합니다",
    "A라인": "밑단이 자연스럽게 퍼져 하체를 가볍게 보이게 합니다",
    "H라인": "일자로 떨어지는 라인이 단정하고 포멀합니다",
    "플리츠": "주름이 걸을 때마다 살랑거려 경쾌합니다",
    "정사이즈": "정사이즈로 제작되어 평소 사이즈 그대로 고르시면 됩니다",
    "프리사이즈": "프리사이즈라 누구나 편하게 쓸 수 있습니다",
}
_PATTERN_PHRASES = {
    "무지": "군더더기 없는 무지 디자인이라 어떤 아이템과도 잘 어울립니다",
    "스트라이프": "스트라이프 패턴이 산뜻한 포인트가 됩니다",
    "체크": "체크 패턴이 클래식한 분위기를 더합니다",
    "도트": "도트 패턴이 사랑스러운 포인트가 됩니다",
    "플로럴": "플로럴 패턴이 화사하고 여성스러운 분위기를 줍니다",
}
_MATERIAL_PRICE_FACTOR = {"캐시미어": 1.7, "레더": 1.4, "실크": 1.3, "울": 1.2, "덕다운": 1.2}
_GENDER_WORDS = {"MEN": "남성", "WOMEN": "여성", "UNISEX": "남녀 공용"}
# Main categories whose name and description say the fit (an A라인 원피스, a 슬림핏 셔츠).
_FITTED = ("TOP", "BOTTOM", "OUTER", "DRESS")
# The bride's colours: a wedding guest does not wear them head to toe (a dress, a whole suit).
_BRIDE_COLOURS = ("화이트", "아이보리")
# An interview suit is a dark classic, whoever wears it.
_INTERVIEW_SUIT_COLOURS = ("블랙", "차콜", "네이비", "그레이")
# Casual cloths that mourning wear avoids, whatever their colour.
_NOT_FOR_MOURNING = ("린넨", "데님", "코듀로이", "메쉬")


def generate_catalog(*, count: int, seed: int = 42) -> list[Product]:
    """`count` products; product ids are FIRST_PRODUCT_ID, +1, ... in order."""
    return list(iter_catalog(count=count, seed=seed))


def iter_catalog(*, count: int, seed: int = 42) -> Iterator[Product]:
    rng = random.Random(seed)
    units = _units()
    made = turn = 0
    while made < count:
        # Cycling garments keeps every sub-category present even in small catalogs.
        unit = units[turn % len(units)]
        turn += 1
        if len(unit) > count - made:
            continue  # half a set is no set: a single garment takes the last place instead
        ids = [str(FIRST_PRODUCT_ID + made + i) for i in range(len(unit))]
        yield from _make_unit(rng=rng, pieces=unit, product_ids=ids)
        made += len(unit)


def _units() -> list[tuple[Garment, ...]]:
    """GARMENTS in order, each set bottom as (top, bottom); a set top has no place of its own."""
    by_name = {g.name: g for g in GARMENTS}
    tops = {g.set_with for g in GARMENTS if g.set_with}
    return [
        (by_name[g.set_with], g) if g.set_with else (g,) for g in GARMENTS if g.name not in tops
    ]


@dataclass(frozen=True)
class _Cloth:
    """What a product is cut from and for whom; the pieces of a set share all of it."""

    brand: str
    colour: Colour
    pattern: str
    material: str
    gender: str
    styles: tuple[str, ...]


def _make_unit(
    *, rng: random.Random, pieces: tuple[Garment, ...], product_ids: list[str]
) -> Iterator[Product]:
    """One product, or the pieces of a set: one brand, colour, pattern, cloth and set name."""
    colour = COLOUR_BY_NAME[rng.choice(_shared(g.colours for g in pieces))]
    pattern = rng.choice(_shared(g.patterns for g in pieces))
    material = rng.choice(_shared(_materials_for(g) for g in pieces))
    # The bottom decides who a set is for: a skirt suit is a woman's.
    gender = rng.choice(_shared(g.genders for g in reversed(pieces)))
    styles = _shared(g.styles for g in pieces)
    styles = tuple(rng.sample(styles, k=min(len(styles), rng.choice((1, 2, 2)))))
    cloth = _Cloth(rng.choice(BRANDS), colour, pattern, material, gender, styles)
    if len(pieces) == 1:
        yield _make_product(rng=rng, garment=pieces[0], cloth=cloth, product_id=product_ids[0])
        return
    set_name = " ".join([colour.name, *([pattern] if pattern != "무지" else []), material, "셋업"])
    made = [
        _make_product(rng=rng, garment=g, cloth=cloth, product_id=pid, set_name=set_name)
        for g, pid in zip(pieces, product_ids, strict=True)
    ]
    # Each piece points to its other half, so a stylist can offer the whole suit.
    for product, other in zip(made, reversed(made), strict=True):
        note = (
            f" 같은 원단의 {with_wa(other.sub_category)} 한 벌로 입는 셋업으로, 짝이 되는 상품은 "
            f"{other.product_name}(상품번호 {other.product_id})입니다."
        )
        yield replace(product, comprehensive_description=product.comprehensive_description + note)


def _shared(options: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """The values every piece allows, in the first piece's order (and with its weights)."""
    first, *others = list(options)
    return tuple(v for v in first if all(v in o for o in others)) or first


def _make_product(
    *,
    rng: random.Random,
    garment: Garment,
    cloth: _Cloth,
    product_id: str,
    set_name: str = "",
) -> Product:
    colour, pattern, material = cloth.colour, cloth.pattern, cloth.material
    fit = rng.choice(garment.fits)
    seasons = _seasons(garment=garment, material=material)
    tpos = _tpos(
        garment=garment, colour=colour.name, pattern=pattern, material=material, styles=cloth.styles
    )
    original, price = _prices(rng=rng, garment=garment, material=material)
    if set_name:
        name = f"{set_name} {fit} {garment.name}"
    else:
        name = _name(
            garment=garment, colour=colour.name, pattern=pattern, material=material, fit=fit
        )
    description = _description(
        brand=cloth.brand,
        name=name,
        garment=garment,
        colour=colour.name,
        pattern=pattern,
        material=material,
        fit=fit,
        seasons=seasons,
        gender=cloth.gender,
        styles=cloth.styles,
        tpos=tpos,
    )
    return Product(
        product_id=product_id,
        product_name=name,
        brand_name=cloth.brand,
        main_category=garment.main,
        sub_category=garment.name,
        color_name=colour.name,
        color_hex=colour.hex,
        pattern=pattern,
        material=material,
        fit=fit,
        seasons=seasons,
        gender=cloth.gender,
        style_tags=cloth.styles,
        tpo_tags=tpos,
        original_price=original,
        price=price,
        comprehensive_description=description,
    )


def _materials_for(garment: Garment) -> tuple[str, ...]:
    """Materials that can be worn in at least one of the garment's seasons (no leather sandals)."""
    fitting = tuple(
        m
        for m in garment.materials
        if set(MATERIAL_SEASONS.get(m, garment.seasons)) & set(garment.seasons)
    )
    return fitting or garment.materials


def _seasons(*, garment: Garment, material: str) -> tuple[str, ...]:
    allowed = MATERIAL_SEASONS.get(material, garment.seasons)
    both = tuple(s for s in garment.seasons if s in allowed)
    return both or garment.seasons


def _tpos(
    *, garment: Garment, colour: str, pattern: str, material: str, styles: tuple[str, ...]
) -> tuple[str, ...]:
    """The garment's occasions, minus those its colour, pattern or cloth would not suit."""
    plain = pattern == "무지"
    sporty = "스포티" in styles or "스트릿" in styles
    whole_look = garment.main == "DRESS" or garment.name in _SET_PIECES
    keep: list[str] = []
    for tpo in garment.tpos:
        if tpo in ("면접", "상견례") and not (plain and colour in FORMAL_COLOURS and not sporty):
            continue
        if tpo == "장례식" and not (plain and colour in DARK_COLOURS):
            continue
        if tpo == "장례식" and material in _NOT_FOR_MOURNING:
            continue
        if tpo == "면접" and garment.name in _SET_PIECES and colour not in _INTERVIEW_SUIT_COLOURS:
            continue
        if tpo == "결혼식" and (colour == "화이트" or colour in BOLD_COLOURS):
            continue
        if tpo == "결혼식" and whole_look and colour in _BRIDE_COLOURS:
            continue
        # All black reads as mourning at a wedding: a black dress, a black tie (a man's black
        # suit is usual wedding wear, with a tie of another colour).
        if tpo == "결혼식" and colour == "블랙" and garment.shape in ("dress", "necktie"):
            continue
        if tpo == "출근" and (colour in BOLD_COLOURS or pattern in ("도트", "플로럴") or sporty):
            continue
        if tpo in ("소개팅", "데이트") and sporty and garment.main in ("TOP", "BOTTOM"):
            continue
        if tpo == "운동" and not (
            "스포티" in styles or garment.shape in ("runner", "joggers", "leggings")
        ):
            continue
        keep.append(tpo)
    return tuple(keep) or ("데일리",)


def _prices(*, rng: random.Random, garment: Garment, material: str) -> tuple[int, int]:
    low, high = garment.price
    factor = _MATERIAL_PRICE_FACTOR.get(material, 1.0)
    original = int(rng.uniform(low, high) * factor) // 1000 * 1000 + 900
    discount = rng.choice((0, 0, 0, 10, 15, 20, 30))
    price = original * (100 - discount) // 100 // 100 * 100
    return original, price


def _name(*, garment: Garment, colour: str, pattern: str, material: str, fit: str) -> str:
    parts = [colour]
    if pattern != "무지":
        parts.append(pattern)
    parts.append(material)
    if garment.main in _FITTED:
        parts.append(fit)
    parts.append(garment.name)
    return " ".join(parts)


def _description(
    *,
    brand: str,
    name: str,
    garment: Garment,
    colour: str,
    pattern: str,
    material: str,
    fit: str,
    seasons: tuple[str, ...],
    gender: str,
    styles: tuple[str, ...],
    tpos: tuple[str, ...],
) -> str:
    season_text = "·".join(seasons)
    if garment.main in _FITTED:
        fit_text = f"{fit} 실루엣이라 {_FIT_PHRASES[fit]}."
    else:
        fit_text = f"{_FIT_PHRASES[fit]}."
    return (
        f"{brand}의 {name}입니다. {_GENDER_WORDS[gender]} {with_ro(garment.name)}, "
        f"{material} 소재라 {season_text}에 착용하기 좋습니다. {fit_text} "
        f"{colour} 컬러에 {_PATTERN_PHRASES[pattern]}. "
        f"{'·'.join(styles)} 무드로 {', '.join(tpos)} 룩에 추천합니다."
    )


def with_wa(word: str) -> str:
    """`word` + the particle 과 (after a 받침) or 와."""
    last = ord(word[-1]) - 0xAC00
    if 0 <= last < 11172 and last % 28:
        return f"{word}과"
    return f"{word}와"


def with_ro(word: str) -> str:
    """`word` + the particle 로/으로 that its last syllable takes (받침 other than ㄹ → 으로)."""
    last = ord(word[-1]) - 0xAC00
    if 0 <= last < 11172 and last % 28 not in (0, 8):
        return f"{word}으로"
    return f"{word}로"

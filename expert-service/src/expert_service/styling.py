"""Stylist judgement over catalog products: what the brief allows, how well a piece fits an
expert's angle, and which pieces make one outfit.

The rules come from the knowledge base front matter (occasion items to avoid, palettes, fits,
trends), so the offline engine and the prompts of the LLM providers share one source.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from expert_service.brief import Brief, Intent
from expert_service.knowledge import Document, KnowledgeBase
from expert_service.products import Product
from expert_service.speech import josa
from expert_service.understanding import default_season

# Colour theory in the catalog's colour names: neutrals go with anything; two accents fight.
NEUTRALS = ("블랙", "화이트", "아이보리", "그레이", "차콜", "네이비", "베이지", "브라운", "카키")
ACCENTS = ("레드", "옐로우", "오렌지", "퍼플", "핑크", "그린", "민트", "블루", "버건디")

# Pieces that are wrong in a season whatever the catalog's season tags say.
_OUT_OF_SEASON: dict[str, tuple[str, ...]] = {
    "여름": (
        "패딩",
        "무스탕",
        "코트",
        "부츠",
        "머플러",
        "플리스",
        "기모",
        "울 ",
        "캐시미어",
    ),
    "겨울": ("반바지", "샌들", "린넨", "민소매", "나시", "시어서커"),
    "봄": ("패딩", "무스탕", "기모"),
    "가을": ("민소매", "나시", "샌들"),
}
# Where pieces sit on the casual-formal scale (catalog sub-categories).
CASUAL_ITEMS = frozenset(
    {
        "티셔츠", "맨투맨", "후드", "청바지", "조거팬츠", "스니커즈", "카고팬츠", "반바지",
        "치노팬츠", "가디건", "자켓", "바람막이", "폴로셔츠", "민소매", "레깅스", "러닝화",
        "샌들", "볼캡", "백팩",
    }
)  # fmt: skip
FORMAL_ITEMS = frozenset(
    {
        "블레이저", "슬랙스", "셔츠", "구두", "로퍼", "코트", "블라우스", "수트자켓", "수트팬츠",
        "수트스커트", "넥타이", "힐", "트렌치코트",
    }
)  # fmt: skip

# What a tone shift and a plain fit look for in a product's words.
_CASUAL_WORDS = ("캐주얼", "스트릿", "데일리")
_FORMAL_WORDS = ("클래식", "오피스", "포멀")
_PLAIN_FIT_WORDS = ("레귤러", "스탠다드", "세미")


@dataclass(frozen=True)
class Rules:
    """The knowledge documents that apply to one brief."""

    season: str
    occasion: Document | None
    body: Document | None
    tone: Document | None
    trend: Document | None
    fabric: Document | None
    formality: int

    @cached_property  # read for every product `allowed` judges
    def avoid_items(self) -> frozenset[str]:
        return frozenset(self.occasion.terms("avoid_items")) if self.occasion else frozenset()


def rules_for(*, brief: Brief, kb: KnowledgeBase) -> Rules:
    """The occasion, body, tone and trend documents for the brief (any may be absent)."""
    season = brief.season or default_season()
    occasion = kb.get(brief.occasion) if brief.occasion else None
    trends = kb.of_kind("trend")
    # An occasion with its own trend note (운동, 장례식) beats the season's general one.
    trend = next((d for d in trends if brief.occasion in d.words("occasion_ids")), None) or next(
        (d for d in trends if season in d.words("seasons")), None
    )
    fabric = next((d for d in kb.of_kind("fabric") if season in d.words("seasons")), None)
    formality = int(occasion.meta.get("formality", 1)) if occasion else 1
    body_id = brief.body_type or _height_body(brief)
    return Rules(
        season=season,
        occasion=occasion,
        body=kb.get(body_id) if body_id else None,
        tone=kb.get(brief.skin_tone) if brief.skin_tone else None,
        trend=trend,
        fabric=fabric,
        formality=max(0, min(3, formality + brief.formality_shift)),
    )


def drop_improper_items(*, brief: Brief, rules: Rules) -> tuple[Brief, str]:
    """Items asked for that a formal occasion rules out (반바지 to an interview) are set
    aside, with a sentence that says why; the rest of the brief stands."""
    occasion = rules.occasion
    if occasion is None or int(occasion.meta.get("formality", 1)) < 3:
        return brief, ""
    improper = [i for i in brief.items if i in rules.avoid_items]
    if not improper:
        return brief, ""
    kept = [i for i in brief.items if i not in improper]
    colours = {k: v for k, v in brief.item_colours.items() if k not in improper}
    # "면접에 반바지 입어도 될까요?": no, and here is what to wear there instead.
    intent = Intent.FULL_LOOK if brief.intent == Intent.ONE_ITEM and not kept else brief.intent
    named = ", ".join(improper)
    title = occasion.title.split(" / ")[0]
    note = (
        f"{title}에는 {named}{josa(named, '이/가')} 격식에 맞지 않아서, "
        "대신 자리에 어울리는 단정한 아이템으로 골랐어요."
    )
    return replace(brief, items=kept, item_colours=colours, intent=intent), note


def _height_body(brief: Brief) -> str | None:
    """A height alone says petite or tall (thresholds differ for men and women)."""
    if not brief.height_cm:
        return None
    short, tall = (160, 172) if brief.gender == "WOMEN" else (170, 183)
    if brief.height_cm < short:
        return "body-petite"
    if brief.height_cm >= tall:
        return "body-tall"
    return None


def in_season(
    product: Product, season: str, *, strict: bool, fabric: Document | None = None
) -> bool:
    """False for pieces plainly wrong in the season; strict also requires the season tag and
    a material the season's fabric guide does not rule out."""
    text = f"{product.name} {product.sub_category} {product.material} "
    if any(word in text for word in _OUT_OF_SEASON.get(season, ())):
        return False
    if not strict:
        return True
    if fabric and product.material in fabric.terms("avoid_materials"):
        return False
    seasons = set(product.seasons)
    return not seasons or season in seasons


def allowed(product: Product, *, brief: Brief, rules: Rules, strict_season: bool = True) -> bool:
    """Whether the product respects every hard constraint of the brief."""
    if brief.gender and product.gender in ("MEN", "WOMEN") and product.gender != brief.gender:
        return False
    if product.product_id in brief.avoid_ids:
        return False
    colour = product.colour
    if colour and colour in brief.disliked_colours:
        return False
    if brief.avoid_colours.get(product.main_category) == colour:
        return False
    item = product.sub_category
    if any(item == piece.sub for piece in brief.owned):
        return False  # they have one: the look is built around it, not over it
    # What the person asks for by name overrides the occasion's list of pieces to avoid.
    avoided = item in brief.excluded_items or item in rules.avoid_items
    if item and avoided and item not in brief.items:
        return False
    if rules.occasion and colour and colour not in brief.item_colours.values():
        occasion = rules.occasion
        avoided_colour = colour in occasion.terms("avoid_colours") or (
            "WOMEN" in (product.gender, brief.gender)
            and colour in occasion.terms("avoid_colours_women")
        )
        if product.pattern in occasion.terms("avoid_patterns"):
            return False
        if product.material in occasion.terms("avoid_materials"):
            return False
        only = occasion.terms("only_colours")
        if avoided_colour or (only and colour not in only):
            return False
    if brief.budget_max and product.price > brief.budget_max:
        return False
    if brief.budget_total and product.price > brief.budget_total:
        return False
    asked = [i for i in brief.items if brief.main_of(i) == product.main_category]
    if asked and item not in asked:
        return False
    if item in brief.item_colours and colour != brief.item_colours[item]:
        return False
    wanted = brief.item_colours.get(product.main_category)
    if wanted and colour != wanted:
        return False
    if item in brief.items:
        return True  # named outright ("패딩 미리 사려고요"): the person's call, not the season's
    return in_season(product, rules.season, strict=strict_season, fabric=rules.fabric)


def _has(product: Product, words: Sequence[str]) -> int:
    text = product.tagged_text
    return sum(1 for word in words if word and word in text)


def score(product: Product, *, brief: Brief, rules: Rules, angle: str, seed: str = "") -> float:
    """How well a product serves the brief from one expert's angle (higher is better)."""
    shared = _shared_score(product, brief=brief, rules=rules)
    return _angle_score(product, shared, brief=brief, rules=rules, angle=angle, seed=seed)


def _shared_score(product: Product, *, brief: Brief, rules: Rules) -> float:
    """The part of `score` every angle shares (the occasion, season, brief and tone shift)."""
    item = product.sub_category
    colour = product.colour
    total = 0.0
    if rules.occasion:
        occasion_tags = rules.occasion.terms("tpo_tags")
        total += 3 if not set(product.tpo_tags).isdisjoint(occasion_tags) else 0
        total += 2 if item in rules.occasion.terms("wear") else 0
        total += 0.5 * _has(product, rules.occasion.terms("styles"))
    total += 1.5 if rules.season in product.seasons else 0
    if rules.fabric:
        total += 1 if product.material in rules.fabric.terms("good_materials") else 0
    total += 2 * _has(product, brief.styles)
    total += 4 if brief.materials and product.material in brief.materials else 0
    # Not told who will wear it: pieces anyone can wear are the safer guess.
    total += 1.0 if not brief.gender and product.gender == "UNISEX" else 0
    total += 2.5 if colour in brief.liked_colours else 0
    shift = rules.formality - (
        int(rules.occasion.meta.get("formality", 1)) if rules.occasion else 1
    )
    # A follow-up like "좀 더 캐주얼하게" must visibly move the picks, so it outweighs the
    # occasion's own preferences.
    if shift < 0:
        total += 5.0 if item in CASUAL_ITEMS else -2.0 if item in FORMAL_ITEMS else 0
        total += 1.5 * _has(product, _CASUAL_WORDS)
    elif shift > 0:
        total += 5.0 if item in FORMAL_ITEMS else -2.0 if item in CASUAL_ITEMS else 0
        total += 1.5 * _has(product, _FORMAL_WORDS)
    return total


def _angle_score(
    product: Product, shared: float, *, brief: Brief, rules: Rules, angle: str, seed: str
) -> float:
    """`score` from the shared part: what one expert's angle adds, and the jitter. The sum
    runs in the order it always did, so the scores are the same to the last bit."""
    item = product.sub_category
    colour = product.colour
    total = shared
    if angle == "style_analyst" and rules.body:
        total += 2 * _has(product, rules.body.terms("good_fits"))
        total -= 2.5 * _has(product, rules.body.terms("avoid_fits"))
        total += 1.5 if item in rules.body.terms("good_items") else 0
    elif angle == "style_analyst":
        total += 1 * _has(product, _PLAIN_FIT_WORDS)
    if angle == "trend_expert" and rules.trend:
        total += 1.5 * _has(product, rules.trend.terms("keywords"))
        total += 1.5 if item in rules.trend.terms("items") else 0
    if angle == "color_expert":
        palette = rules.tone.terms("palette") if rules.tone else ()
        avoid = rules.tone.terms("avoid_colours") if rules.tone else ()
        occasion_colours = rules.occasion.terms("colours") if rules.occasion else NEUTRALS
        total += 3 if colour in palette else 0
        total -= 3 if colour in avoid else 0
        total += 1.5 if colour in occasion_colours else 0
        owned_colours = [piece.colour for piece in brief.owned if piece.colour]
        if brief.photo_colours or owned_colours:
            # The photo's garment (or the piece they own) is already in the outfit: go with
            # it, not against it.
            main = (owned_colours or brief.photo_colours)[0]
            total += 1.5 if colour in NEUTRALS and colour != main else 0
            total -= 1.5 if colour == main and main not in NEUTRALS else 0
            total += 0.5 * harmony([main, colour])
    elif rules.occasion:
        total += 0.8 if colour in rules.occasion.terms("colours") else 0
        total -= 2 if colour in rules.occasion.terms("avoid_colours") else 0
    # A stable per-turn jitter so equal scores do not always pick the same product.
    digest = hashlib.blake2b(f"{seed}:{angle}:{product.product_id}".encode(), digest_size=4)
    return total + int.from_bytes(digest.digest(), "big") / 2**32 * 0.6


class Scorer:
    """`score` for one brief, rules and seed, each (product, angle) worked out once.

    A turn ranks the same pool again and again: each specialist's picks, the shortlists the
    experts see, and the coordinator's outfit, which weighs every candidate from all three
    angles; the scores never change within the turn."""

    def __init__(self, *, brief: Brief, rules: Rules, seed: str) -> None:
        self.brief = brief
        self.rules = rules
        self.seed = seed
        # Keyed by product id, holding the product scored: a hit must be that very product
        # (or an equal copy), so a product changed since is scored afresh. Ids key faster than
        # the products' own hashes, which run over every field.
        self._shared: dict[str, tuple[Product, float]] = {}
        self._memo: dict[tuple[str, str], tuple[Product, float]] = {}

    def serves(self, *, brief: Brief, rules: Rules, seed: str) -> bool:
        """Whether this scorer was made for exactly these (a changed brief needs its own)."""
        return brief is self.brief and rules is self.rules and seed == self.seed

    def __call__(self, product: Product, angle: str) -> float:
        key = (product.product_id, angle)
        hit = self._memo.get(key)
        if hit is not None and (hit[0] is product or hit[0] == product):
            return hit[1]
        value = _angle_score(
            product,
            self._shared_score(product),
            brief=self.brief,
            rules=self.rules,
            angle=angle,
            seed=self.seed,
        )
        self._memo[key] = (product, value)
        return value

    def _shared_score(self, product: Product) -> float:
        hit = self._shared.get(product.product_id)
        if hit is not None and (hit[0] is product or hit[0] == product):
            return hit[1]
        value = _shared_score(product, brief=self.brief, rules=self.rules)
        self._shared[product.product_id] = (product, value)
        return value


def harmony(colours: list[str]) -> float:
    """Colour-combination score of one outfit (knowledge base colour rules, in short)."""
    accents = [c for c in colours if c in ACCENTS]
    value = 0.0
    value -= 3.0 * max(0, len(set(accents)) - 1)  # two loud colours fight
    value += 1.0 if all(c in NEUTRALS for c in colours) else 0
    value += 0.5 if len(set(colours)) == len(colours) else -0.5
    value -= 1.5 if {"네이비", "블랙"} <= set(colours) else 0  # side by side, one looks faded
    return value


def outfit_categories(*, brief: Brief, rules: Rules) -> list[str]:
    """The main categories this answer shows, in wearing order: the pieces asked for alone, or
    one outfit (a dress or a top and a bottom, and what the season or the request adds) less
    what the person already owns."""
    asked = _unique([*(brief.main_of(i) for i in brief.items), *brief.categories])
    asked = [main for main in asked if main]
    if brief.intent in (Intent.ONE_ITEM, Intent.COMPARE):
        return asked
    if not brief.intent.shows_products:
        return []
    owned = {piece.main for piece in brief.owned}
    if brief.intent == Intent.COMPLETE_LOOK and brief.categories:
        return [main for main in brief.categories if main not in owned]
    base = ["DRESS"] if "DRESS" in asked or "DRESS" in owned else ["TOP", "BOTTOM"]
    wants_outer = rules.season == "겨울" or (rules.season == "가을" and rules.formality >= 2)
    if rules.formality >= 3 and rules.season != "여름":
        wants_outer = True
    needed = list(base)
    if wants_outer or "OUTER" in asked:
        needed.append("OUTER")
    needed += [extra for extra in ("SHOES", "ACCESSORY") if extra in asked]
    return [main for main in needed if main not in owned]


def _unique(values) -> list:
    return list(dict.fromkeys(values))

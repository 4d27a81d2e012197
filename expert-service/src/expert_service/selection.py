"""Chooses catalog products: the candidate pool of a turn, each specialist's picks, and the
coordinator's single outfit."""

import asyncio
import itertools
from dataclasses import dataclass, field, replace

from expert_service.brief import Brief, Intent
from expert_service.products import Catalog, Product, SearchFilter
from expert_service.speech import CATEGORY_WORDS
from expert_service.styling import (
    Rules,
    Scorer,
    allowed,
    harmony,
    outfit_categories,
)


@dataclass
class Pool:
    """Products that respect the brief, per main category, and what the catalog lacks."""

    categories: list[str]
    by_category: dict[str, list[Product]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # category -> what was asked

    def all(self) -> list[Product]:
        return [p for products in self.by_category.values() for p in products]


def _describe_request(category: str, brief: Brief) -> str:
    items = [i for i in brief.items if brief.main_of(i) == category]
    what = "/".join(items) if items else CATEGORY_WORDS[category]
    colour = next((brief.item_colours[i] for i in items if i in brief.item_colours), None)
    colour = colour or brief.item_colours.get(category)
    budget = brief.budget_max or brief.budget_total
    parts = [f"{budget:,}원 이하의" if budget else "", colour or "", what]
    return " ".join(part for part in parts if part)


def _filter(brief: Brief, rules: Rules, category: str, **changes) -> SearchFilter:
    """The catalog search for one category of the brief, in the catalog's own values."""
    items = tuple(i for i in brief.items if brief.main_of(i) == category)
    # A colour the person bound to this piece ("네이비 바지") is a filter, so the pool has
    # enough of it for three experts.
    bound = {brief.item_colours[i] for i in items if i in brief.item_colours}
    bound |= {brief.item_colours[category]} if category in brief.item_colours else set()
    excluded = set(brief.disliked_colours)
    if category in brief.avoid_colours:
        excluded.add(brief.avoid_colours[category])
    # The catalog's occasion tags are hard filters; a tone shift must leave the occasion's
    # dress code behind, or the pool never holds the casual (or dressier) pieces now wanted.
    tpo = () if brief.formality_shift or not brief.tpo else (brief.tpo,)
    styles = list(brief.styles)
    if brief.formality_shift < 0:
        styles += ["캐주얼", "스트릿"]
    elif brief.formality_shift > 0:
        styles += ["클래식", "오피스", "미니멀"]
    base = SearchFilter(
        main_categories=(category,),
        sub_categories=items,
        colors=tuple(bound) if len(bound) == 1 else (),
        exclude_colors=tuple(sorted(excluded)),
        exclude_sub_categories=tuple(p.sub for p in brief.owned if p.main == category),
        tpo_tags=tpo,
        genders=(brief.gender, "UNISEX") if brief.gender else (),
        max_price=brief.budget_max or brief.budget_total or 0,
        exclude_ids=tuple(brief.avoid_ids),
        prefer_styles=tuple(dict.fromkeys(styles)),
        prefer_materials=tuple(brief.materials),
        limit=60,
    )
    return replace(base, **changes)


async def _search_category(
    *, catalog: Catalog, brief: Brief, rules: Rules, category: str
) -> list[Product]:
    found = await catalog.search(search=_filter(brief, rules, category))
    if sum(allowed(p, brief=brief, rules=rules, strict_season=False) for p in found) < 3:
        # Few pieces carry the occasion's tag (or strict occasions such as 조문 leave little):
        # ask again without it, with the occasion's own colours when it has a strict palette,
        # and more rows; the stylist rules below still judge every piece.
        only = tuple(rules.occasion.words("only_colours")) if rules.occasion else ()
        first = _filter(brief, rules, category)
        wide = replace(first, tpo_tags=(), colors=first.colors or only, limit=100)
        found = found + await catalog.search(search=wide)
    return list({p.product_id: p for p in found}.values())


async def gather_pool(*, catalog: Catalog, brief: Brief, rules: Rules) -> Pool:
    """Searches every category the outfit needs and keeps what respects the brief."""
    if brief.intent == Intent.COMPARE and len(brief.items) >= 2:
        return await _compare_pool(catalog=catalog, brief=brief, rules=rules)
    categories = outfit_categories(brief=brief, rules=rules)
    found = await asyncio.gather(
        *(
            _search_category(catalog=catalog, brief=brief, rules=rules, category=c)
            for c in categories
        )
    )
    pool = Pool(categories=categories)
    for category, products in zip(categories, found, strict=True):
        fitting = [p for p in products if p.main_category == category]
        strict = [p for p in fitting if allowed(p, brief=brief, rules=rules)]
        # Catalog season tags can be sparse: fall back to "not plainly out of season".
        kept = strict or [
            p for p in fitting if allowed(p, brief=brief, rules=rules, strict_season=False)
        ]
        if kept:
            pool.by_category[category] = kept
        elif category in ("TOP", "BOTTOM", "DRESS") or any(
            brief.main_of(i) == category for i in brief.items
        ):
            pool.missing[category] = _describe_request(category, brief)
    if "DRESS" in pool.missing:
        pool.by_category.clear()  # a look built on a dress has no body without one
    if brief.budget_total:
        _fit_budget(pool, brief)
    return pool


async def _compare_pool(*, catalog: Catalog, brief: Brief, rules: Rules) -> Pool:
    """One group per kind compared ("슬랙스랑 청바지 중에"), each searched on its own so a
    kind the occasion rarely tags still shows and the stylists can weigh both."""
    kinds = [replace(brief, items=[item]) for item in brief.items]
    found = await asyncio.gather(
        *(
            _search_category(catalog=catalog, brief=kind, rules=rules, category=brief.main_of(item))
            for kind, item in zip(kinds, brief.items, strict=True)
        )
    )
    pool = Pool(categories=list(brief.items))
    for kind, item, products in zip(kinds, brief.items, found, strict=True):
        kept = [p for p in products if p.sub_category == item]
        kept = [p for p in kept if allowed(p, brief=kind, rules=rules, strict_season=False)]
        if kept:
            pool.by_category[item] = kept
        else:
            pool.missing[item] = _describe_request(brief.main_of(item), kind)
    return pool


def _cheapest_look(pool: Pool) -> int:
    return sum(min(p.price for p in products) for products in pool.by_category.values())


def _fit_budget(pool: Pool, brief: Brief) -> None:
    """Under a budget for the whole look, the pieces the season merely suggests (an outer, say)
    go first; when even the essential pieces cannot fit, nothing is offered and the answer says
    so."""
    asked = {brief.main_of(i) for i in brief.items} | set(brief.categories)
    optional = [c for c in pool.categories if c not in asked | {"TOP", "BOTTOM", "DRESS"}]
    while optional and _cheapest_look(pool) > (brief.budget_total or 0):
        dropped = optional.pop()
        pool.categories.remove(dropped)
        pool.by_category.pop(dropped, None)
    if pool.by_category and _cheapest_look(pool) > (brief.budget_total or 0):
        pool.by_category.clear()
        pool.missing["LOOK"] = f"전체 {brief.budget_total:,}원 안에 맞는 한 벌"


def _scorer(scorer: Scorer | None, *, brief: Brief, rules: Rules, seed: str) -> Scorer:
    """The turn's scorer when it was made for this brief, rules and seed; else a new one."""
    if scorer is not None and scorer.serves(brief=brief, rules=rules, seed=seed):
        return scorer
    return Scorer(brief=brief, rules=rules, seed=seed)


def assign_picks(
    *,
    pool: Pool,
    brief: Brief,
    rules: Rules,
    angles: list[str],
    seed: str,
    scorer: Scorer | None = None,
) -> dict[str, list[Product]]:
    """Each specialist's pieces (one per category), distinct across experts while stock allows."""
    scorer = _scorer(scorer, brief=brief, rules=rules, seed=seed)
    taken: set[str] = set()
    picks: dict[str, list[Product]] = {angle: [] for angle in angles}
    for category in pool.categories:
        products = pool.by_category.get(category, [])
        for angle in angles:
            # One outfit is for one person: keep to the gender of the pieces already chosen.
            worn = {p.gender for p in picks[angle]} - {"UNISEX", ""}
            suitable = (
                [p for p in products if p.gender in ("UNISEX", "", *worn)] if worn else products
            )
            ranked = sorted(suitable, key=lambda p: scorer(p, angle), reverse=True)
            fresh = [p for p in ranked if p.product_id not in taken] or ranked
            allowance = _allowance(pool, brief, picks[angle], category)
            fresh = [p for p in fresh if p.price <= allowance]
            if fresh:
                picks[angle].append(fresh[0])
                taken.add(fresh[0].product_id)
    for angle, chosen in picks.items():
        others = {p.product_id for a, ps in picks.items() if a != angle for p in ps}
        picks[angle] = _with_suit_partner(chosen, pool, others)
    return picks


_SUIT_BOTTOMS = ("수트팬츠", "수트스커트")


def _pairs(jacket: Product, bottom: Product) -> bool:
    """A suit's two halves: the same cloth, colour and maker."""
    return bottom.sub_category in _SUIT_BOTTOMS and (
        bottom.brand,
        bottom.colour,
        bottom.material,
    ) == (jacket.brand, jacket.colour, jacket.material)


def _with_suit_partner(chosen: list[Product], pool: Pool, others: set[str]) -> list[Product]:
    """A suit jacket is worn with its own trousers or skirt when the pool has them (and no
    other expert shows that very piece)."""
    jacket = next((p for p in chosen if p.sub_category == "수트자켓"), None)
    if jacket is None or any(_pairs(jacket, p) for p in chosen):
        return chosen
    bottoms = pool.by_category.get("BOTTOM", [])
    partner = next((p for p in bottoms if _pairs(jacket, p) and p.product_id not in others), None)
    if partner is None:
        return chosen
    return [partner if p.main_category == "BOTTOM" else p for p in chosen]


def suit_bonus(combo: tuple[Product, ...]) -> float:
    """How an outfit treats suits: a jacket with its own bottom is a set, half a suit is not."""
    jackets = [p for p in combo if p.sub_category == "수트자켓"]
    bottoms = [p for p in combo if p.sub_category in _SUIT_BOTTOMS]
    if not jackets and not bottoms:
        return 0.0
    if jackets and bottoms and _pairs(jackets[0], bottoms[0]):
        return 4.0
    return -3.0


def _allowance(pool: Pool, brief: Brief, chosen: list[Product], category: str) -> float:
    """What one more piece may cost under a budget for the whole look: the total less what is
    chosen and the cheapest of each category still to choose."""
    if not brief.budget_total:
        return float("inf")
    later = pool.categories[pool.categories.index(category) + 1 :]
    reserve = sum(min((p.price for p in pool.by_category.get(c, [])), default=0) for c in later)
    return brief.budget_total - sum(p.price for p in chosen) - reserve


def shortlist(
    *,
    pool: Pool,
    brief: Brief,
    rules: Rules,
    angle: str,
    seed: str,
    per_category: int = 8,
    scorer: Scorer | None = None,
) -> list[Product]:
    """The best products of each category from one angle (the candidates an LLM sees)."""
    scorer = _scorer(scorer, brief=brief, rules=rules, seed=seed)
    out: list[Product] = []
    for category in pool.categories:
        ranked = sorted(
            pool.by_category.get(category, []), key=lambda p: scorer(p, angle), reverse=True
        )
        out.extend(ranked[:per_category])
    return out


def choose_outfit(
    *,
    candidates: list[Product],
    brief: Brief,
    rules: Rules,
    seed: str,
    scorer: Scorer | None = None,
) -> list[Product]:
    """One outfit (a piece per needed category) from the candidates, with the best consensus."""
    scorer = _scorer(scorer, brief=brief, rules=rules, seed=seed)
    angles = ("style_analyst", "trend_expert", "color_expert")
    by_category: dict[str, list[Product]] = {}
    for product in candidates:
        by_category.setdefault(product.main_category, []).append(product)
    categories = [c for c in outfit_categories(brief=brief, rules=rules) if c in by_category]
    if not categories:
        return []

    def consensus(product: Product) -> float:
        return sum(scorer(product, a) for a in angles)

    # Under a budget for the whole look, cheaper pieces must stay in reach.
    width = 8 if brief.budget_total else 4

    def best_of(products: list[Product]) -> list[tuple[float, Product]]:
        # Each option carries its consensus: the combinations below add up the same few pieces.
        ranked = sorted(((consensus(p), p) for p in products), key=lambda o: o[0], reverse=True)
        return ranked[:width]

    options = [best_of(by_category[c]) for c in categories]
    best: tuple[float, tuple[Product, ...]] | None = None
    for scored in itertools.product(*options):
        combo = tuple(p for _, p in scored)
        if brief.budget_total and sum(p.price for p in combo) > brief.budget_total:
            continue
        colours = [p.colour for p in combo]
        genders = {p.gender for p in combo} - {"UNISEX", ""}
        value = sum(v for v, _ in scored) + 2 * harmony(colours) - 10 * (len(genders) > 1)
        value += suit_bonus(combo)
        if best is None or value > best[0]:
            best = (value, combo)
    return list(best[1]) if best else []

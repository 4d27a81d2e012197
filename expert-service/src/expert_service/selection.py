"""Chooses catalog products: the candidate pool of a turn, each specialist's picks, and the
coordinator's single outfit."""

import asyncio
import itertools
from dataclasses import dataclass, field

from expert_service.brief import Brief
from expert_service.products import Catalog, Product, SearchFilter
from expert_service.styling import (
    Rules,
    allowed,
    harmony,
    outfit_categories,
    product_colour,
    score,
)
from expert_service.vocabulary import CATEGORY_KO, ITEMS, colour_words


@dataclass
class Pool:
    """Products that respect the brief, per main category, and what the catalog lacks."""

    categories: list[str]
    by_category: dict[str, list[Product]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # category -> what was asked

    def all(self) -> list[Product]:
        return [p for products in self.by_category.values() for p in products]


def _describe_request(category: str, brief: Brief) -> str:
    items = [i for i in brief.items if ITEMS[i][0] == category]
    what = "/".join(items) if items else CATEGORY_KO[category]
    colour = next((brief.item_colours[i] for i in items if i in brief.item_colours), None)
    colour = colour or brief.item_colours.get(category)
    parts = [f"{brief.budget_max:,}원 이하의" if brief.budget_max else "", colour or "", what]
    return " ".join(part for part in parts if part)


async def _search_category(
    *, catalog: Catalog, brief: Brief, rules: Rules, category: str
) -> list[Product]:
    items = [i for i in brief.items if ITEMS[i][0] == category]
    occasion = rules.occasion.title if rules.occasion else ""
    # The catalog ranks by occasion tags: a tone shift must change the words searched too,
    # or the pool never holds the casual (or dressier) pieces the person now wants.
    if brief.formality_shift < 0:
        occasion = "캐주얼 데일리"
    elif brief.formality_shift > 0:
        occasion = f"{occasion} 클래식 오피스"
    words = [occasion, rules.season, *brief.styles, *brief.materials, *items]
    genders = (brief.gender, "UNISEX") if brief.gender else ()
    excluded = tuple(w for c in brief.disliked_colours for w in colour_words(c))
    # A colour the person bound to this piece ("네이비 바지") is a filter, so the pool has
    # enough of it for three experts.
    bound = {brief.item_colours[i] for i in items if i in brief.item_colours}
    bound |= {brief.item_colours[category]} if category in brief.item_colours else set()
    colours = tuple(bound) if len(bound) == 1 else ()
    base = SearchFilter(
        query=" ".join(w for w in words if w),
        main_categories=(category,),
        colors=colours,
        exclude_colors=excluded,
        genders=genders,
        max_price=brief.budget_max or 0,
        limit=60,
    )
    found = await catalog.search(search=base)
    if items and sum(allowed(p, brief=brief, rules=rules) for p in found) < 3:
        # The ranked query may bury the asked item: ask for it by name alone.
        narrow = SearchFilter(
            query=" ".join(items),
            main_categories=(category,),
            colors=colours,
            exclude_colors=excluded,
            genders=genders,
            max_price=brief.budget_max or 0,
            limit=60,
        )
        found = found + await catalog.search(search=narrow)
    if sum(allowed(p, brief=brief, rules=rules, strict_season=False) for p in found) < 3:
        # Strict occasions (조문: dark colours only, no patterns) can leave the ranked page
        # nearly empty: ask again with the occasion's colours as the filter and more rows.
        only = tuple(rules.occasion.words("only_colours")) if rules.occasion else ()
        wide = SearchFilter(
            query=" ".join(items or [rules.season]),
            main_categories=(category,),
            colors=colours or only,
            exclude_colors=excluded,
            genders=genders,
            max_price=brief.budget_max or 0,
            limit=100,
        )
        found = found + await catalog.search(search=wide)
    return list({p.product_id: p for p in found}.values())


async def gather_pool(*, catalog: Catalog, brief: Brief, rules: Rules) -> Pool:
    """Searches every category the outfit needs and keeps what respects the brief."""
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
        elif category in ("TOP", "BOTTOM") or any(ITEMS[i][0] == category for i in brief.items):
            pool.missing[category] = _describe_request(category, brief)
    return pool


def assign_picks(
    *, pool: Pool, brief: Brief, rules: Rules, angles: list[str], seed: str
) -> dict[str, list[Product]]:
    """Each specialist's pieces (one per category), distinct across experts while stock allows."""
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
            ranked = sorted(
                suitable,
                key=lambda p: score(p, brief=brief, rules=rules, angle=angle, seed=seed),
                reverse=True,
            )
            fresh = [p for p in ranked if p.product_id not in taken] or ranked
            if fresh:
                picks[angle].append(fresh[0])
                taken.add(fresh[0].product_id)
    return picks


def shortlist(
    *, pool: Pool, brief: Brief, rules: Rules, angle: str, seed: str, per_category: int = 8
) -> list[Product]:
    """The best products of each category from one angle (the candidates an LLM sees)."""
    out: list[Product] = []
    for category in pool.categories:
        ranked = sorted(
            pool.by_category.get(category, []),
            key=lambda p: score(p, brief=brief, rules=rules, angle=angle, seed=seed),
            reverse=True,
        )
        out.extend(ranked[:per_category])
    return out


def choose_outfit(
    *, candidates: list[Product], brief: Brief, rules: Rules, seed: str
) -> list[Product]:
    """One outfit (a piece per needed category) from the candidates, with the best consensus."""
    angles = ("style_analyst", "trend_expert", "color_expert")
    by_category: dict[str, list[Product]] = {}
    for product in candidates:
        by_category.setdefault(product.main_category, []).append(product)
    categories = [c for c in outfit_categories(brief=brief, rules=rules) if c in by_category]
    if not categories:
        return []

    def consensus(product: Product) -> float:
        return sum(score(product, brief=brief, rules=rules, angle=a, seed=seed) for a in angles)

    options = [sorted(by_category[c], key=consensus, reverse=True)[:4] for c in categories]
    best: tuple[float, tuple[Product, ...]] | None = None
    for combo in itertools.product(*options):
        colours = [product_colour(p) or "" for p in combo]
        genders = {p.gender for p in combo} - {"UNISEX", ""}
        value = sum(consensus(p) for p in combo) + 2 * harmony(colours) - 10 * (len(genders) > 1)
        if best is None or value > best[0]:
            best = (value, combo)
    return list(best[1]) if best else []

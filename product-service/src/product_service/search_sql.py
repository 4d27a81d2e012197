"""The SQL of one search: filters and intent → WHERE clause and score over `product_facets f`.

Explicit request filters are hard. From the free text, what a person names as the item
(sub-category or category), its colour, gender, budget and exclusions are hard too: someone
asking for 흰색 운동화 5만원 이하 does not want a green one or a white t-shirt, and when the
catalog has none, an empty answer lets the expert say so plainly. A named occasion or season
is a dress code, so it is hard as well: no shorts for 면접, no padding for 여름. Style, pattern,
material and fit rank; when they are all a query names ("미니멀 룩"), a product must match
one of them. Free words only rank.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from product_service.facets import SEASON_BITS, STYLE_BITS, TPO_BITS, bits_for
from product_service.garments import GARMENT_BY_NAME, SUIT_PIECES
from product_service.query_understanding import ParsedQuery

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

# Ranking weights of the details a query names (occasion and season are filters).
_W_PATTERN, _W_STYLE, _W_MATERIAL, _W_FIT = 2.0, 1.5, 1.5, 1.5
# Full-text rank (ts_rank, normalised by length, ~0-0.1 per match) × this.
TEXT_WEIGHT = 10.0

_TAGS = {
    "tpo": ("f.tpo_mask", "f.tpo_tags", TPO_BITS),
    "season": ("f.season_mask", "f.seasons", SEASON_BITS),
    "style": ("f.style_mask", "f.style_tags", STYLE_BITS),
}


@dataclass(frozen=True)
class SearchFilters:
    main_categories: tuple[str, ...] = ()
    sub_categories: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    exclude_colours: tuple[str, ...] = ()
    tpo_tags: tuple[str, ...] = ()
    seasons: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    style_tags: tuple[str, ...] = ()
    min_price: int = 0
    max_price: int = 0
    exclude_ids: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT
    exclude_sub_categories: tuple[str, ...] = ()
    # Rank only: a caller's typed preferences (styles, materials ...) never filter.
    prefer_styles: tuple[str, ...] = ()
    prefer_materials: tuple[str, ...] = ()
    prefer_fits: tuple[str, ...] = ()
    prefer_patterns: tuple[str, ...] = ()


@dataclass
class SearchSql:
    """A WHERE clause and a score expression built up with numbered parameters."""

    where: list[str] = field(default_factory=list)
    score: list[str] = field(default_factory=lambda: ["0"])
    params: list[object] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    # The tsquery of the free words; ranked on the wide table, see search.py.
    text_query: str | None = None

    def param(self, value: object) -> str:
        self.params.append(value)
        return f"${len(self.params)}"

    def require(self, condition: str) -> None:
        self.where.append(condition)

    def boost(self, weight: float, condition: str) -> None:
        self.score.append(f"CASE WHEN {condition} THEN {weight}::float8 ELSE 0 END")
        self.signals.append(condition)

    def require_any_signal(self) -> None:
        """Products that match none of the ranking signals are off-brief: leave them out."""
        if self.signals:
            self.require(f"({' OR '.join(self.signals)})")

    def overlap(self, kind: str, values: Sequence[str]) -> str:
        """'Has one of these tags', as a bit test when every value is in the vocabulary."""
        mask_column, array_column, vocabulary = _TAGS[kind]
        bits = bits_for(values, vocabulary)
        if bits is not None:
            return f"({mask_column} & {self.param(bits)}::int) <> 0"
        return f"{array_column} && {self.param(list(values))}::text[]"


def with_unisex(genders: Sequence[str]) -> list[str]:
    """Unisex products suit anyone: a filter on MEN or WOMEN admits them."""
    return list(dict.fromkeys([*genders, "UNISEX"])) if genders else []


def validate_filters(filters: SearchFilters) -> None:
    """Raises ValueError with a message naming the bad field."""
    if not 0 <= filters.limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    if filters.min_price < 0 or filters.max_price < 0:
        raise ValueError("min_price and max_price must not be negative")
    if filters.max_price and filters.min_price > filters.max_price:
        raise ValueError("min_price must not exceed max_price")


def build_search_sql(filters: SearchFilters, intent: ParsedQuery) -> SearchSql:
    sql = SearchSql()
    _apply_filters(sql, filters)
    _apply_intent(sql, intent)
    # After the intent: preferences rank even when the text named nothing.
    _apply_ranking(
        sql,
        ParsedQuery(
            styles=filters.prefer_styles,
            materials=filters.prefer_materials,
            fits=filters.prefer_fits,
            patterns=filters.prefer_patterns,
        ),
    )
    return sql


def _apply_filters(sql: SearchSql, filters: SearchFilters) -> None:
    if filters.main_categories:
        sql.require(f"f.main_category = ANY({sql.param(list(filters.main_categories))})")
    if filters.sub_categories:
        sql.require(f"f.sub_category = ANY({sql.param(list(filters.sub_categories))})")
    if filters.colours:
        sql.require(f"f.color_name = ANY({sql.param(list(filters.colours))})")
    if filters.exclude_colours:
        sql.require(f"NOT f.color_name = ANY({sql.param(list(filters.exclude_colours))})")
    if filters.tpo_tags:
        sql.require(sql.overlap("tpo", filters.tpo_tags))
    if filters.seasons:
        sql.require(sql.overlap("season", filters.seasons))
    if filters.genders:
        sql.require(f"f.gender = ANY({sql.param(with_unisex(filters.genders))})")
    if filters.style_tags:
        sql.require(sql.overlap("style", filters.style_tags))
    if filters.min_price:
        sql.require(f"f.price >= {sql.param(filters.min_price)}")
    if filters.max_price:
        sql.require(f"f.price <= {sql.param(filters.max_price)}")
    if filters.exclude_sub_categories:
        subs = list(filters.exclude_sub_categories)
        sql.require(f"NOT f.sub_category = ANY({sql.param(subs)})")
    if filters.exclude_ids:
        sql.require(f"NOT f.product_id = ANY({sql.param(list(filters.exclude_ids))})")


def _apply_intent(sql: SearchSql, intent: ParsedQuery) -> None:
    subs, mains = _suit_pieces(list(intent.sub_categories), list(intent.main_categories))
    # "츄리닝 바지" names the jogger and its category: the category adds nothing. "셔츠랑
    # 바지" names a top and another category: then both are wanted.
    named = {GARMENT_BY_NAME[s].main for s in subs if s in GARMENT_BY_NAME}
    mains = [m for m in mains if m not in named]
    if subs or mains:
        sql.require(
            f"(f.sub_category = ANY({sql.param(subs)})"
            f" OR f.main_category = ANY({sql.param(mains)}))"
        )
    if intent.colours:
        sql.require(f"f.color_name = ANY({sql.param(list(intent.colours))})")
    if intent.tpos:
        sql.require(sql.overlap("tpo", intent.tpos))
    if intent.seasons:
        sql.require(sql.overlap("season", intent.seasons))
    # A partner named in a search is who it is for ("여친 선물 가방").
    genders = intent.genders or intent.partner_genders
    if genders:
        sql.require(f"f.gender = ANY({sql.param(with_unisex(genders))})")
    if intent.exclude_colours:
        sql.require(f"NOT f.color_name = ANY({sql.param(list(intent.exclude_colours))})")
    if intent.exclude_sub_categories:
        sql.require(f"NOT f.sub_category = ANY({sql.param(list(intent.exclude_sub_categories))})")
    if intent.min_price:
        sql.require(f"f.price >= {sql.param(intent.min_price)}")
    if intent.max_price:
        sql.require(f"f.price <= {sql.param(intent.max_price)}")
    _apply_ranking(sql, intent)
    named = subs or mains or intent.colours or intent.tpos or intent.seasons
    if not named:
        sql.require_any_signal()


def _is_skirt(name: str) -> bool:
    return GARMENT_BY_NAME[name].shape in ("skirt", "pencil_skirt")


def _suit_pieces(subs: list[str], mains: list[str]) -> tuple[list[str], list[str]]:
    """A suit word (정장, 셋업) names every suit piece; another garment or category in the same
    query says which piece is meant. 정장 자켓 is a suit jacket and 셋업 치마 a suit skirt (the
    plain 자켓 and 스커트 give way); 정장 바지 is a suit bottom. With a garment no suit has
    (정장 셔츠, 정장 구두), 정장 was the 클래식 style word, which still ranks: the suit goes."""
    if not set(SUIT_PIECES) <= set(subs):
        return subs, mains
    others = [s for s in subs if s not in SUIT_PIECES and s in GARMENT_BY_NAME]
    if not others and not mains:
        return subs, mains

    def stands_for(piece: str, other: str) -> bool:
        mine, theirs = GARMENT_BY_NAME[piece], GARMENT_BY_NAME[other]
        return mine.main == theirs.main and _is_skirt(piece) == _is_skirt(other)

    pieces = [
        p
        for p in SUIT_PIECES
        if GARMENT_BY_NAME[p].main in mains or any(stands_for(p, o) for o in others)
    ]
    if not pieces:
        return others, mains
    rest = [o for o in others if not any(stands_for(p, o) for p in pieces)]
    covered = {GARMENT_BY_NAME[p].main for p in pieces}
    return [*pieces, *rest], [m for m in mains if m not in covered]


def _apply_ranking(sql: SearchSql, intent: ParsedQuery) -> None:
    if intent.styles:
        sql.boost(_W_STYLE, sql.overlap("style", intent.styles))
    if intent.patterns:
        sql.boost(_W_PATTERN, f"f.pattern = ANY({sql.param(list(intent.patterns))})")
    if intent.materials:
        sql.boost(_W_MATERIAL, f"f.material = ANY({sql.param(list(intent.materials))})")
    if intent.fits:
        sql.boost(_W_FIT, f"f.fit = ANY({sql.param(list(intent.fits))})")
    if intent.terms:
        # Terms are normalised to [0-9a-z가-힣], so joining them cannot inject tsquery syntax.
        sql.text_query = f"to_tsquery('simple', {sql.param(' | '.join(intent.terms))})"

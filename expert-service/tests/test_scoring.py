"""The per-turn memo of product scores, the cached knowledge fields and product texts, and
the retriever's cache of query vectors: each must answer exactly what the uncached code did."""

from dataclasses import replace

import numpy as np
import pytest
from expert_test_catalog import build_products

from expert_service.brief import Brief, Piece
from expert_service.knowledge import KnowledgeBase, Retriever, load_knowledge
from expert_service.products import from_proto
from expert_service.selection import Pool, assign_picks, choose_outfit, shortlist
from expert_service.styling import Scorer, allowed, rules_for, score

KB = load_knowledge()
PRODUCTS = [from_proto(m) for m in build_products()]
ANGLES = ("style_analyst", "trend_expert", "color_expert", "fitting_coordinator")
BRIEFS = {
    "blind date": Brief(text="소개팅 코디", occasion="occasion-blind-date", season="봄"),
    "pear, autumn tone": Brief(
        text="하체 통통 가을웜",
        occasion="occasion-blind-date",
        season="가을",
        body_type="body-pear",
        skin_tone="tone-autumn-warm",
        styles=["미니멀"],
    ),
    "more casual, owned piece": Brief(
        text="좀 더 캐주얼하게",
        occasion="occasion-blind-date",
        season="겨울",
        formality_shift=-1,
        owned=[Piece("청바지", "BOTTOM", "블루")],
        liked_colours=["네이비"],
    ),
    "no occasion": Brief(text="데일리룩", season="여름", photo_colours=["레드"]),
}


def _pool(brief: Brief) -> Pool:
    rules = rules_for(brief=brief, kb=KB)
    pool = Pool(categories=["TOP", "BOTTOM", "OUTER", "SHOES"])
    for category in pool.categories:
        kept = [
            p
            for p in PRODUCTS
            if p.main_category == category
            and allowed(p, brief=brief, rules=rules, strict_season=False)
        ]
        if kept:
            pool.by_category[category] = kept
    return pool


@pytest.mark.parametrize("name", list(BRIEFS))
def test_the_scorer_gives_exactly_the_scores_of_score(name):
    brief = BRIEFS[name]
    rules = rules_for(brief=brief, kb=KB)
    scorer = Scorer(brief=brief, rules=rules, seed="turn-seed")
    for product in PRODUCTS:
        for angle in ANGLES:
            expected = score(product, brief=brief, rules=rules, angle=angle, seed="turn-seed")
            assert scorer(product, angle) == expected
            assert scorer(product, angle) == expected  # the memo answers the same


def test_the_scorer_works_out_each_product_once_and_each_angle_once(monkeypatch):
    import expert_service.styling as styling

    brief = BRIEFS["blind date"]
    rules = rules_for(brief=brief, kb=KB)
    shared: list[str] = []
    angled: list[tuple[str, str]] = []
    real_shared, real_angle = styling._shared_score, styling._angle_score

    def counting_shared(product, **kwargs):
        shared.append(product.product_id)
        return real_shared(product, **kwargs)

    def counting_angle(product, value, **kwargs):
        angled.append((product.product_id, kwargs["angle"]))
        return real_angle(product, value, **kwargs)

    monkeypatch.setattr(styling, "_shared_score", counting_shared)
    monkeypatch.setattr(styling, "_angle_score", counting_angle)
    scorer = Scorer(brief=brief, rules=rules, seed="s")
    product = PRODUCTS[0]
    for _ in range(3):
        scorer(product, "style_analyst")
        scorer(replace(product), "color_expert")  # an equal copy is the same product
    pid = product.product_id
    assert shared == [pid]
    assert angled == [(pid, "style_analyst"), (pid, "color_expert")]
    # A product of the same id with other fields is another product: scored afresh.
    changed = replace(product, colour="레드" if product.colour != "레드" else "블루")
    value = scorer(changed, "style_analyst")
    assert shared == [pid, pid] and len(angled) == 3
    assert value == score(changed, brief=brief, rules=rules, angle="style_analyst", seed="s")


def test_a_scorer_serves_only_the_brief_rules_and_seed_it_was_made_for():
    brief = BRIEFS["blind date"]
    rules = rules_for(brief=brief, kb=KB)
    scorer = Scorer(brief=brief, rules=rules, seed="s")
    assert scorer.serves(brief=brief, rules=rules, seed="s")
    assert not scorer.serves(brief=replace(brief, budget_total=90000), rules=rules, seed="s")
    assert not scorer.serves(brief=brief, rules=rules_for(brief=brief, kb=KB), seed="s")
    assert not scorer.serves(brief=brief, rules=rules, seed="other")


@pytest.mark.parametrize("name", list(BRIEFS))
def test_rankings_with_the_turns_scorer_are_those_without(name):
    brief = BRIEFS[name]
    rules = rules_for(brief=brief, kb=KB)
    pool = _pool(brief)
    scorer = Scorer(brief=brief, rules=rules, seed="s")
    angles = ["style_analyst", "trend_expert", "color_expert"]
    common = {"brief": brief, "rules": rules, "seed": "s"}
    assert assign_picks(pool=pool, angles=angles, scorer=scorer, **common) == assign_picks(
        pool=pool, angles=angles, **common
    )
    for angle in ANGLES:
        assert shortlist(pool=pool, angle=angle, scorer=scorer, **common) == shortlist(
            pool=pool, angle=angle, **common
        )
    outfit = choose_outfit(candidates=pool.all(), scorer=scorer, **common)
    assert outfit == choose_outfit(candidates=pool.all(), **common)
    assert outfit == _choose_outfit_by_brute_force(pool.all(), brief, rules, "s")


def _choose_outfit_by_brute_force(candidates, brief, rules, seed):
    """choose_outfit as it was, scoring every piece of every combination afresh."""
    import itertools

    from expert_service.selection import suit_bonus
    from expert_service.styling import harmony, outfit_categories

    angles = ("style_analyst", "trend_expert", "color_expert")

    def consensus(p):
        return sum(score(p, brief=brief, rules=rules, angle=a, seed=seed) for a in angles)

    by_category: dict = {}
    for p in candidates:
        by_category.setdefault(p.main_category, []).append(p)
    categories = [c for c in outfit_categories(brief=brief, rules=rules) if c in by_category]
    width = 8 if brief.budget_total else 4
    options = [sorted(by_category[c], key=consensus, reverse=True)[:width] for c in categories]
    best = None
    for combo in itertools.product(*options):
        genders = {p.gender for p in combo} - {"UNISEX", ""}
        value = sum(consensus(p) for p in combo) + 2 * harmony([p.colour for p in combo])
        value += -10 * (len(genders) > 1) + suit_bonus(combo)
        if best is None or value > best[0]:
            best = (value, combo)
    return list(best[1]) if best else []


def test_knowledge_fields_are_read_once_and_handed_out_safely():
    doc = KB.get("occasion-blind-date")
    terms = doc.terms("wear")
    assert isinstance(terms, tuple) and list(terms) == doc.words("wear")
    assert doc.terms("wear") is terms  # built once
    words = doc.words("wear")
    words.append("반바지")  # a caller's list is its own
    assert "반바지" not in doc.terms("wear") and "반바지" not in doc.words("wear")
    assert doc.terms("no-such-field") == ()
    assert doc.terms("formality") == ("2",)  # a scalar reads as one word, as before


def test_product_texts_are_built_once():
    product = PRODUCTS[0]
    assert product.text is product.text
    assert product.tagged_text == (
        f"{product.text} {' '.join(product.style_tags)} {' '.join(product.tpo_tags)}"
    )


class CountingEmbedder:
    """Deterministic unit vectors, counting the queries it embeds."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return self._vector(text)

    def passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts])

    @staticmethod
    def _vector(text: str) -> np.ndarray:
        rng = np.random.default_rng(sum(text.encode()))
        vector = rng.standard_normal(16).astype(np.float32)
        return vector / np.linalg.norm(vector)


def _small_retriever(**kwargs) -> Retriever:
    ids = ("occasion-funeral", "occasion-wedding-guest", "occasion-workout", "occasion-travel")
    return Retriever(KnowledgeBase(documents=[KB.get(i) for i in ids]), **kwargs)


async def test_a_repeated_query_is_embedded_once_with_the_same_hits():
    embedder = CountingEmbedder()
    retriever = _small_retriever()
    retriever.enable_semantic(embedder)
    first = await retriever.search("결혼식 하객룩", limit=5)
    again = await retriever.search("결혼식 하객룩", limit=5)
    assert first == again
    assert embedder.queries == ["결혼식 하객룩"]
    await retriever.search("운동할 때", limit=5)
    assert embedder.queries == ["결혼식 하객룩", "운동할 때"]


async def test_the_query_cache_is_bounded_and_starts_afresh_with_a_new_embedder():
    embedder = CountingEmbedder()
    retriever = _small_retriever(query_cache_size=2)
    retriever.enable_semantic(embedder)
    for text in ("하나", "둘", "셋", "하나"):
        await retriever.search(text)
    # "하나" left when "셋" came in (two at most), so it was embedded again.
    assert embedder.queries == ["하나", "둘", "셋", "하나"]
    other = CountingEmbedder()
    retriever.enable_semantic(other)
    await retriever.search("셋")
    assert other.queries == ["셋"]


def test_cached_query_vectors_are_read_only_copies():
    from expert_service.knowledge.retrieval import VectorLru

    cache = VectorLru(4)
    original = np.ones(3, dtype=np.float32)
    stored = cache.put("q", original)
    assert cache.get("q") is stored and len(cache) == 1
    with pytest.raises(ValueError):
        stored[0] = 2.0
    original[0] = 5.0  # the caller's own array stays writable, and apart
    assert stored[0] == 1.0
    assert VectorLru(0).put("q", original) is not None and len(VectorLru(0)) == 0


def test_products_are_remembered_by_their_wire_bytes():
    from expert_service.products import product_of
    from thefirsttake.product.v1 import product_pb2

    messages = build_products()
    for message in messages:
        assert product_of(message) == from_proto(message)
    copy = product_pb2.Product.FromString(messages[0].SerializeToString())
    assert product_of(copy) is product_of(messages[0])  # the same bytes: the same product
    copy.price += 1000
    assert product_of(copy).price == from_proto(copy).price != product_of(messages[0]).price

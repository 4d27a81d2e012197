"""The fashion knowledge base (files in expert-service/knowledge/) and its retrieval."""

from expert_service.knowledge.embedding import load_embedder
from expert_service.knowledge.retrieval import Retriever
from expert_service.knowledge.store import Document, KnowledgeBase, Passage, load_knowledge

__all__ = [
    "Document",
    "KnowledgeBase",
    "Passage",
    "Retriever",
    "load_embedder",
    "load_knowledge",
]

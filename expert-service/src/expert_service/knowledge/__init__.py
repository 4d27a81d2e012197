"""The fashion knowledge base (files in expert-service/knowledge/) and its retrieval."""

from expert_service.knowledge.retrieval import Retriever, build_retriever
from expert_service.knowledge.store import Document, KnowledgeBase, Passage, load_knowledge

__all__ = ["Document", "KnowledgeBase", "Passage", "Retriever", "build_retriever", "load_knowledge"]

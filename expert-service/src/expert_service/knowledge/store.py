"""Loads the knowledge files: Markdown with YAML front matter, one document per file.

The front matter holds the structured rules the offline engine applies (items to avoid, palette
colours, fits); the body's paragraphs are the passages retrieval returns to every provider.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_DIR = Path(__file__).resolve().parents[3] / "knowledge"


@dataclass(frozen=True)
class Passage:
    """One paragraph of a document, the unit retrieval ranks."""

    doc_id: str
    kind: str
    title: str
    text: str


@dataclass(frozen=True)
class Document:
    """One knowledge file: its front matter and its paragraphs."""

    id: str
    kind: str
    title: str
    meta: dict[str, Any]
    passages: tuple[Passage, ...]
    # Front-matter fields as read by `terms`, filled on first use.
    _terms: dict[str, tuple[str, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def words(self, key: str) -> list[str]:
        """A list-valued front-matter field (empty when absent)."""
        return list(self.terms(key))

    def terms(self, key: str) -> tuple[str, ...]:
        """`words`, read-only and built once: the stylist's rules read the same few fields
        for every product of every turn, and the front matter does not change once loaded."""
        terms = self._terms.get(key)
        if terms is None:
            value = self.meta.get(key) or []
            terms = tuple(str(item) for item in value) if isinstance(value, list) else (str(value),)
            self._terms[key] = terms
        return terms


@dataclass
class KnowledgeBase:
    """Every document, with lookups by kind and by id."""

    documents: list[Document] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Document]:
        return [doc for doc in self.documents if doc.kind == kind]

    def get(self, doc_id: str) -> Document | None:
        return next((doc for doc in self.documents if doc.id == doc_id), None)

    def passages(self) -> list[Passage]:
        return [passage for doc in self.documents for passage in doc.passages]

    def match_keywords(self, kind: str, text: str) -> list[Document]:
        """Documents of a kind whose keywords appear in the text, best (longest) match first."""
        scored = []
        lowered = text.lower()  # English keywords match whatever the person's capitals
        for doc in self.of_kind(kind):
            hits = [word for word in doc.words("keywords") if word and word.lower() in lowered]
            if hits:
                scored.append((max(len(word) for word in hits), len(hits), doc))
        scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [doc for _, _, doc in scored]


def short_title(doc: Document) -> str:
    """The title as said in a sentence: '상견례 / 어른 뵙는 자리' -> '상견례'."""
    return doc.title.split(" / ")[0]


def parse_document(text: str, *, source: str) -> Document:
    """One Markdown file with front matter between `---` lines."""
    if not text.startswith("---"):
        raise ValueError(f"{source}: no front matter")
    _, front, body = text.split("---", 2)
    meta = yaml.safe_load(front) or {}
    for key in ("id", "kind", "title"):
        if not meta.get(key):
            raise ValueError(f"{source}: front matter lacks {key}")
    paragraphs = [part.strip() for part in body.strip().split("\n\n") if part.strip()]
    passages = tuple(
        Passage(doc_id=meta["id"], kind=meta["kind"], title=meta["title"], text=paragraph)
        for paragraph in paragraphs
    )
    return Document(
        id=meta["id"], kind=meta["kind"], title=meta["title"], meta=meta, passages=passages
    )


def load_knowledge(directory: str | Path | None = None) -> KnowledgeBase:
    """Every `*.md` under the directory (the bundled knowledge base by default)."""
    root = Path(directory) if directory else DEFAULT_DIR
    files = sorted(root.rglob("*.md"))
    if not files:
        raise FileNotFoundError(f"no knowledge files under {root}")
    documents = [parse_document(path.read_text("utf-8"), source=str(path)) for path in files]
    ids = [doc.id for doc in documents]
    duplicates = {doc_id for doc_id in ids if ids.count(doc_id) > 1}
    if duplicates:
        raise ValueError(f"duplicate knowledge ids: {sorted(duplicates)}")
    return KnowledgeBase(documents=documents)

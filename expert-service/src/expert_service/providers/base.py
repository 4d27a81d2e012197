"""What every provider receives and yields."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from expert_service.brief import Brief
from expert_service.experts import Expert
from expert_service.image_analysis import ImageFacts
from expert_service.knowledge import Passage
from expert_service.products import Product
from expert_service.styling import Rules


@dataclass(frozen=True)
class PeerAnswer:
    """A specialist's finished answer, read by the coordinator."""

    expert: Expert
    text: str
    products: list[Product]


@dataclass(frozen=True)
class Photo:
    """An uploaded image as bytes, for providers with vision."""

    data: bytes
    media_type: str


@dataclass
class ExpertContext:
    """Everything one expert needs to answer one turn."""

    expert: Expert
    brief: Brief
    rules: Rules
    passages: list[Passage]
    # Products this expert may cite (validated later); picks are the engine's own choice.
    candidates: list[Product]
    picks: list[Product]
    missing: dict[str, str]
    history: list[dict[str, str]]
    seed: str
    image: ImageFacts | None = None
    photo: Photo | None = None
    peers: list[PeerAnswer] = field(default_factory=list)
    # Things the answer must say whatever the angle ("면접에는 반바지가 격식에 맞지 않아서 ...").
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer's text."""

    text: str


@dataclass(frozen=True)
class ProductChoice:
    """The product ids the answer cites (validated against the catalog by the panel)."""

    product_ids: list[str]
    # product id -> one line on why (the panel writes one where a provider gave none)
    reasons: dict[str, str] = field(default_factory=dict)


ProviderEvent = TextDelta | ProductChoice


class ProviderError(RuntimeError):
    """A provider failed; `message` is the Korean text shown to the person."""

    def __init__(self, message: str, *, kind: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


class Provider(Protocol):
    """An engine that streams one expert's answer."""

    name: str

    def answer(self, *, context: ExpertContext) -> AsyncIterator[ProviderEvent]: ...

"""The brief: what the person wants this turn, typed, in the catalog's values.

`understanding.py` builds it from a message; the room's earlier facts and the person's style
profile lie under it (`merged_over`). Every engine (offline, Claude, OpenAI-compatible) works
from the same brief.
"""

from dataclasses import dataclass, field, replace
from enum import StrEnum

from expert_service.products import NotCarried
from expert_service.speech import CATEGORY_WORDS


class Intent(StrEnum):
    FULL_LOOK = "full_look"  # a whole outfit for a situation
    ONE_ITEM = "one_item"  # one kind of piece ("네이비 니트 하나만")
    COMPLETE_LOOK = "complete_look"  # the rest of a look around pieces the person owns
    COMPARE = "compare"  # which of two kinds ("슬랙스랑 청바지 중에")
    ADVICE = "advice"  # a question about fit or colour, no shopping
    OFF_TOPIC = "off_topic"
    GREETING = "greeting"

    @property
    def shows_products(self) -> bool:
        return self not in (Intent.ADVICE, Intent.OFF_TOPIC, Intent.GREETING)


class FollowUp(StrEnum):
    CHEAPER = "cheaper"
    MORE_FORMAL = "more_formal"
    MORE_CASUAL = "more_casual"
    OTHER_COLOUR = "other_colour"
    OTHER_PIECES = "other_pieces"


@dataclass(frozen=True)
class Piece:
    """A garment in the catalog's words, with its colour when one was said or seen."""

    sub: str
    main: str
    colour: str = ""
    product_id: str = ""
    price: int = 0

    @property
    def said(self) -> str:
        """How an answer names it: '베이지 치노팬츠', or '네이비 하의' when only the kind is
        known."""
        return f"{self.colour} {self.sub or CATEGORY_WORDS.get(self.main, '')}".strip()


@dataclass
class Brief:
    """What the person wants, merged with what they told us earlier in the room."""

    text: str = ""
    intent: Intent = Intent.FULL_LOOK
    language: str = "ko"  # ko, en or mixed
    occasion: str | None = None  # knowledge document id of the occasion
    tpo: str | None = None  # the catalog's occasion tag
    season: str | None = None
    season_said: bool = False
    liked_colours: list[str] = field(default_factory=list)
    disliked_colours: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # sub-categories asked for
    item_mains: dict[str, str] = field(default_factory=dict)  # sub-category -> main
    categories: list[str] = field(default_factory=list)  # main categories asked for
    excluded_items: list[str] = field(default_factory=list)
    # An item named with a colour in one phrase ("네이비 셔츠") must come in that colour; a
    # category is keyed by its code ("파란색 바지" -> {BOTTOM: 블루}).
    item_colours: dict[str, str] = field(default_factory=dict)
    owned: list[Piece] = field(default_factory=list)  # what the person already has
    body_type: str | None = None  # knowledge document id
    height_cm: int | None = None
    skin_tone: str | None = None  # knowledge document id of a personal colour
    styles: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)  # asked for in this message
    budget_max: int | None = None  # for each piece
    budget_total: int | None = None  # for the whole look
    gender: str | None = None  # MEN / WOMEN
    formality_shift: int = 0  # below 0 more casual, above 0 more formal
    # Dominant colours of the room's latest photo (offline pixel analysis), kept for later turns.
    photo_colours: list[str] = field(default_factory=list)
    not_carried: list[NotCarried] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    # Products of the previous answer this turn must not repeat ("이거 말고 다른 거").
    avoid_ids: list[str] = field(default_factory=list)
    # Colours of the previous answer to move away from ("다른 색으로"), by main category.
    avoid_colours: dict[str, str] = field(default_factory=dict)
    # The coordinator's look of the previous turn (kept in the room for follow-ups).
    last_look: list[Piece] = field(default_factory=list)
    last_cited: list[str] = field(default_factory=list)  # every product id the last turn cited
    # What this message changes, in words the answer can repeat back ("블랙은 빼고").
    changes: list[str] = field(default_factory=list)

    def main_of(self, item: str) -> str:
        return self.item_mains.get(item, "")

    def merged_over(self, profile: "Brief") -> "Brief":
        """This turn's brief on top of the room's profile (this turn wins; lists accumulate)."""
        disliked = _unique([*profile.disliked_colours, *self.disliked_colours])
        disliked = [c for c in disliked if c not in self.liked_colours]
        liked = [
            c for c in _unique([*profile.liked_colours, *self.liked_colours]) if c not in disliked
        ]
        excluded = _unique([*profile.excluded_items, *self.excluded_items])
        return replace(
            self,
            occasion=self.occasion or profile.occasion,
            tpo=self.tpo or profile.tpo,
            season=self.season or profile.season,
            liked_colours=liked,
            disliked_colours=disliked,
            excluded_items=[i for i in excluded if i not in self.items],
            body_type=self.body_type or profile.body_type,
            height_cm=self.height_cm or profile.height_cm,
            skin_tone=self.skin_tone or profile.skin_tone,
            styles=_unique([*self.styles, *[s for s in profile.styles if s not in self.styles]]),
            budget_max=self.budget_max or profile.budget_max,
            budget_total=self.budget_total or profile.budget_total,
            gender=self.gender or profile.gender,
            formality_shift=max(-2, min(2, profile.formality_shift + self.formality_shift)),
            photo_colours=self.photo_colours or profile.photo_colours,
            last_look=self.last_look or profile.last_look,
            last_cited=self.last_cited or profile.last_cited,
        )


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))

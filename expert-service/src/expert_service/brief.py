"""Reads a person's message into a styling brief: occasion, season, colours, items, body, budget."""

import re
from dataclasses import dataclass, field, replace
from datetime import date

from expert_service.knowledge import KnowledgeBase
from expert_service.vocabulary import (
    CASUAL_SHIFT_WORDS,
    CATEGORY_WORDS,
    COLOURS,
    FORMAL_SHIFT_WORDS,
    ITEM_WORDS,
    ITEMS,
    MATERIALS,
    SEASONS,
    STYLES,
    find_terms,
    josa,
)

_NEGATION = (
    "빼",
    "말고",
    "싫",
    "제외",
    "없이",
    "안 어울",
    "피하",
    "별로",
    "안 입",
    "못 입",
    "노노",
)
_HEIGHT = re.compile(r"(?:키\s*(?:가|는)?\s*)?(1[3-9]\d|2[0-2]\d)\s*(?:cm|센치|센티|㎝)?", re.I)
_TONE_WORDS = re.compile(r"(봄|여름|가을|겨울)\s*(웜|쿨|라이트|브라이트|뮤트|딥)")
_BUDGET = re.compile(r"(\d+(?:\.\d+)?)\s*(만\s*원|만원|만|천\s*원|천원|원)")


@dataclass
class Brief:
    """What the person wants, merged with what they told us earlier in the room."""

    text: str = ""
    occasion: str | None = None  # knowledge document id of the occasion
    season: str | None = None
    season_said: bool = False
    liked_colours: list[str] = field(default_factory=list)
    disliked_colours: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # canonical item names asked for
    categories: list[str] = field(default_factory=list)  # main categories asked for
    excluded_items: list[str] = field(default_factory=list)
    # An item named with a colour in one clause ("네이비 셔츠") must come in that colour.
    item_colours: dict[str, str] = field(default_factory=dict)
    body_type: str | None = None  # knowledge document id
    height_cm: int | None = None
    skin_tone: str | None = None  # knowledge document id of a personal colour
    styles: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)  # asked for in this message
    budget_max: int | None = None
    gender: str | None = None  # MEN / WOMEN
    formality_shift: int = 0  # -1 more casual, +1 more formal
    # Dominant colours of the room's latest photo (offline pixel analysis), kept for later turns.
    photo_colours: list[str] = field(default_factory=list)
    # What this message changes, in words the answer can repeat back ("블랙은 빼고").
    changes: list[str] = field(default_factory=list)

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
            season=self.season or profile.season,
            liked_colours=liked,
            disliked_colours=disliked,
            excluded_items=[i for i in excluded if i not in self.items],
            body_type=self.body_type or profile.body_type,
            height_cm=self.height_cm or profile.height_cm,
            skin_tone=self.skin_tone or profile.skin_tone,
            styles=_unique([*self.styles, *[s for s in profile.styles if s not in self.styles]]),
            budget_max=self.budget_max or profile.budget_max,
            gender=self.gender or profile.gender,
            formality_shift=max(-2, min(2, profile.formality_shift + self.formality_shift)),
            photo_colours=self.photo_colours or profile.photo_colours,
        )


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _clauses(text: str) -> list[str]:
    # Negation binds to its own clause: "검정은 빼고 네이비로" dislikes 블랙, likes 네이비.
    # Split after the joint so the joint's own negation ("말고 ") stays in its clause.
    parts = re.split(r"(?<=[,.!?\n])|(?<=고\s)|(?<=는데\s)|(?<=지만\s)|(?<=로\s)", text)
    return [part for part in parts if part.strip()]


def _negative(clause: str) -> bool:
    return any(word in clause for word in _NEGATION)


def _positive_text(text: str) -> str:
    return " ".join(clause for clause in _clauses(text) if not _negative(clause))


def _colours(text: str) -> tuple[list[str], list[str]]:
    liked: list[str] = []
    disliked: list[str] = []
    for clause in _clauses(text):
        negative = _negative(clause)
        (disliked if negative else liked).extend(find_terms(clause, COLOURS))
    return _unique(liked), _unique(disliked)


def _items(text: str) -> tuple[list[str], list[str], list[str]]:
    items: list[str] = []
    excluded: list[str] = []
    categories: list[str] = []
    for clause in _clauses(text):
        negative = _negative(clause)
        (excluded if negative else items).extend(find_terms(clause, ITEM_WORDS))
        for main, words in CATEGORY_WORDS.items():
            if not negative and any(word in clause for word in words):
                categories.append(main)
    # "바지" inside 청바지/반바지 is an item, not the whole category.
    for item in items:
        main = ITEMS[item][0]
        if main in categories:
            categories.remove(main)
    return _unique(items), _unique(excluded), _unique(categories)


def _season(text: str, today: date) -> tuple[str, bool]:
    for season, words in SEASONS.items():
        if any(word in text for word in words):
            return season, True
    month = today.month
    season = {12: "겨울", 1: "겨울", 2: "겨울", 3: "봄", 4: "봄", 5: "봄", 6: "여름", 7: "여름"}
    return season.get(month, "가을" if month in (9, 10, 11) else "여름"), False


def _budget(text: str) -> int | None:
    match = _BUDGET.search(text)
    if not match or not any(
        w in text for w in ("원", "만", "예산", "이하", "이내", "까지", "안쪽")
    ):
        return None
    amount = float(match.group(1))
    unit = match.group(2).replace(" ", "")
    won = amount * (10_000 if unit.startswith("만") else 1_000 if unit.startswith("천") else 1)
    if any(word in text for word in ("총", "전체", "합쳐", "다 해서", "세트")):
        won /= 2  # a total for the outfit: about half for each main piece
    return int(won) if won >= 1000 else None


def _height(text: str) -> int | None:
    for match in _HEIGHT.finditer(text):
        around = text[max(0, match.start() - 3) : match.end() + 4]
        if "키" in around or "cm" in around.lower() or "센" in around or "㎝" in around:
            return int(match.group(1))
    return None


def _gender(text: str) -> str | None:
    # A partner named first tells who is dressing: "여자친구랑 데이트" is a man asking.
    if any(w in text for w in ("여자친구", "여친")):
        return "MEN"
    if any(w in text for w in ("남자친구", "남친")):
        return "WOMEN"
    if any(w in text for w in ("남자", "남성", "남자라", "아빠", "남편")):
        return "MEN"
    if any(w in text for w in ("여자", "여성", "엄마", "아내", "원피스", "스커트", "블라우스")):
        return "WOMEN"
    return None


def _item_colours(text: str) -> dict[str, str]:
    """Pieces named right after a colour: "네이비 셔츠" -> {셔츠: 네이비}, "파란색 바지" ->
    {BOTTOM: 블루} (a category is keyed by its code)."""
    bound: dict[str, str] = {}
    for clause in _clauses(text):
        if _negative(clause):
            continue
        lowered = clause.lower()
        for canon, words in COLOURS.items():
            for word in words:
                for match in re.finditer(re.escape(word.lower()), lowered):
                    rest = re.sub(r"^(색깔|색상|색|톤)?(의)?\s*", "", lowered[match.end() :])
                    head = rest.split(" ")[0] if rest else ""
                    found = find_terms(head, ITEM_WORDS)
                    if found:
                        bound[found[0]] = canon
                        continue
                    for main, category_words in CATEGORY_WORDS.items():
                        if any(head.startswith(w) for w in category_words):
                            bound[main] = canon
    return bound


def read_brief(*, text: str, kb: KnowledgeBase, today: date | None = None) -> Brief:
    """The brief one message states (profile facts are merged separately)."""
    liked, disliked = _colours(text)
    items, excluded, categories = _items(text)
    # "봄 웜톤" names a personal colour, not the season of the outing.
    season, said = _season(_TONE_WORDS.sub(" ", text), today or date.today())
    # "장례식 말고 출근룩" is about the office, not a funeral.
    occasion = kb.match_keywords("occasion", _positive_text(text))
    body = kb.match_keywords("body_type", text)
    tone = kb.match_keywords("personal_colour", text)
    styles = [s for s, words in STYLES.items() if any(w in text.lower() for w in words)]
    shift = 0
    if any(w in text for w in CASUAL_SHIFT_WORDS):
        shift = -1
    elif any(w in text for w in FORMAL_SHIFT_WORDS):
        shift = 1
    changes = []
    if disliked:
        changes.append(f"{', '.join(disliked)}{josa(disliked[-1], '은/는')} 빼고")
    if excluded:
        changes.append(f"{', '.join(excluded)}{josa(excluded[-1], '은/는')} 빼고")
    if shift < 0:
        changes.append("좀 더 캐주얼하게")
    elif shift > 0:
        changes.append("좀 더 단정하게")
    return Brief(
        text=text,
        changes=changes,
        occasion=occasion[0].id if occasion else None,
        season=season if said else None,
        season_said=said,
        liked_colours=liked,
        disliked_colours=disliked,
        items=items,
        categories=categories,
        excluded_items=excluded,
        item_colours=_item_colours(text),
        body_type=body[0].id if body else None,
        height_cm=_height(text),
        skin_tone=tone[0].id if tone else None,
        styles=styles,
        materials=[
            m
            for m in find_terms(_positive_text(text), MATERIALS, canonical_too=False)
            if m != "데님"
        ],
        budget_max=_budget(text),
        gender=_gender(text),
        formality_shift=shift,
    )


def default_season(today: date | None = None) -> str:
    """The season of the date (the brief's fallback when the person names none)."""
    return _season("", today or date.today())[0]

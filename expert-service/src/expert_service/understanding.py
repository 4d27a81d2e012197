# ruff: noqa: E501  (phrase tables: one line of words reads better than one word a line)
"""Request understanding: one message (Korean, English or both) → a typed Brief.

Words become catalog values in product-service, which owns the fashion vocabulary: one
ParseQueries call reads the message, its clauses and its phrases. This module reads what a
vocabulary cannot: what the person wants done (the intent), what they already own, which clause
is negative, whether a budget is for one piece or the whole look, follow-ups against the room's
last answer, and the body and colour facts the knowledge base knows.
"""

import re
from dataclasses import dataclass, replace
from datetime import date

from expert_service.brief import Brief, FollowUp, Intent, Piece
from expert_service.knowledge import Document, KnowledgeBase
from expert_service.products import Catalog, Reading
from expert_service.speech import josa

# A clause with one of these is about what the person does not want.
_NEGATIVE = (
    "빼", "말고", "싫", "제외", "없이", "안 어울", "피하", "별로", "안 입", "못 입", "노노",
    "don't", "dont ", "do not", "hate", "avoid", "no more",
)  # fmt: skip
# A clause with one of these names what the person already has ("베이지 치노가 있는데").
_OWNED = (
    "있는데", "있어서", "있으니", "갖고 있", "가지고 있", "샀는데", "입을 건데", "입을건데",
    "입고 갈 건데", "입고 갈건데", "i have", "i own", "i already", "i bought", "i've got",
    "ive got",
)  # fmt: skip
_OUTFIT = (
    "코디", "룩", "착장", "전체", "풀코", "세트", "한 벌", "한벌", "맞춰", "조합", "뭐 입", "뭘 입",
    "입을 옷", "옷 추천", "스타일링", "outfit", "look", "what to wear", "what should i wear",
    "whole", "head to toe",
)  # fmt: skip
_TOTAL = (
    "전체", "총", "다 해서", "다해서", "합쳐", "합해서", "통틀어", "올코", "풀코", "한 벌", "한벌",
    "세트", "in total", "total", "whole", "everything", "all together", "altogether",
)  # fmt: skip
_COMPARE = ("중에", "중 뭐", "vs", "아니면", "뭐가 나", "뭐가 더", "어느 게", "어느게", "어떤 게 나",
            "which is better", "or ", "better for")  # fmt: skip
_ADVICE = (
    "어떤 핏", "어떤 색", "무슨 색", "어떤 컬러", "어떻게 입", "어떻게 코디", "팁", "방법", "원칙",
    "주의할", "how do i", "how to", "what fits", "which colour", "which color", "what colour",
    "what color", "어울리는 색", "어울리는 핏", "좋은 핏", "피해야",
)  # fmt: skip
_SHOPPING = (
    "추천", "골라", "찾아", "보여", "사고", "살래", "사려", "구매", "있어요?", "있나요", "있을까",
    "파나요", "recommend", "pick", "find", "show", "buy", "suggest", "do you have", "want",
)  # fmt: skip
_GREETING = (
    "안녕", "하이", "반가", "헬로", "ㅎㅇ", "고마워", "고맙", "감사", "hello", "hi", "hey",
    "thanks", "thank you", "good morning",
)  # fmt: skip
_FASHION = (
    "옷", "코디", "룩", "입", "스타일", "패션", "착장", "신발", "추천", "핏", "체형", "피부톤", "퍼스널",
    "wear", "outfit", "style", "clothes", "fashion", "dress", "look",
)  # fmt: skip
_GIFT = ("선물", "사주", "사줄", "gift", "present for")
_CHEAPER = ("저렴", "더 싼", "더 싸", "싼 걸", "싼걸", "가격 낮", "가격대 낮", "부담 없", "cheaper",
            "less expensive", "more affordable", "lower price")  # fmt: skip
_FORMAL = ("좀 더 포멀", "더 포멀", "포멀하게", "격식 있게", "단정하게", "차려입", "더 갖춰",
           "more formal", "dressier", "dress up", "smarter")  # fmt: skip
_CASUAL = ("좀 더 캐주얼", "더 캐주얼", "캐주얼하게", "편하게", "덜 포멀", "힘 빼", "more casual",
           "dress down", "less formal", "relaxed")  # fmt: skip
_OTHER_COLOUR = ("다른 색", "다른 컬러", "색 바꿔", "색만 바꿔", "색깔 바꿔", "다른 색깔",
                 "another colour", "another color", "different colour", "different color")  # fmt: skip
_OTHER_PIECES = ("다른 거", "다른 걸", "다른거", "다른걸", "다른 상품", "다른 제품", "이거 말고",
                 "이건 말고", "그거 말고", "새로", "something else", "another one", "different one",
                 "other options", "not this")  # fmt: skip
# "X에 어울리는 Y", "Y that goes with X": X is owned, Y is asked for.
_GOES_WITH = re.compile(
    r"(?:에|랑|이랑|와|과|하고)\s*(?=어울리는|어울릴|맞는|매치할)|\b(?:goes? with|to match|to go with)\b"
)
_TONE_WORDS = re.compile(r"(봄|여름|가을|겨울)\s*(웜|쿨|라이트|브라이트|뮤트|딥)")
_HEIGHT = re.compile(r"(?:키\s*(?:가|는)?\s*)?(1[3-9]\d|2[0-2]\d)\s*(?:cm|센치|센티|㎝)?", re.I)
# Negation and ownership bind to their own clause; colour binds to its own phrase.
# A comma or point inside a number ("50,000원", "1.5만") ends nothing; 파랑 and 노랑 are colours,
# not the particle 랑.
_CLAUSE_END = re.compile(
    r"(?<=[!?\n])|(?<=[,.])(?!\d)|(?<=고\s)|(?<=는데\s)|(?<=지만\s)|(?<=로\s)|(?<=but\s)|(?<=and\s)"
)
_PHRASE_END = re.compile(r"(?<=에\s)|(?<=랑\s)(?<![파노]랑\s)|(?<=하고\s)|(?<=with\s)|(?<=\s&\s)")
_MAX_TEXTS = 32
_CHEAPER_SHARE = 0.8  # "더 저렴하게": at most this share of the last answer's price
_SEASON_OF_MONTH = {12: "겨울", 1: "겨울", 2: "겨울", 3: "봄", 4: "봄", 5: "봄", 6: "여름", 7: "여름",
                    8: "여름", 9: "가을", 10: "가을", 11: "가을"}  # fmt: skip


@dataclass(frozen=True)
class _Clause:
    text: str
    reading: Reading
    negative: bool
    owned: bool


def _goes_with(clause: str) -> list[tuple[str, bool]]:
    """A clause split where "어울리는" turns from what they have to what they want: (text,
    whether it names what they already own)."""
    match = _GOES_WITH.search(clause)
    if not match:
        return [(clause, False)]
    before, after = clause[: match.start()].strip(), clause[match.end() :].strip()
    if match.group(0).startswith(("go", "to")):  # "a top that goes with my navy slacks"
        return [(p, owned) for p, owned in ((before, False), (after, True)) if p]
    return [(p, owned) for p, owned in ((before, True), (after, False)) if p]


def _has(text: str, words: tuple[str, ...]) -> bool:
    lowered = f" {text.lower()} "
    return any(word in lowered for word in words)


def _has_word(text: str, words: tuple[str, ...]) -> bool:
    """Like _has, but an English word must stand alone ("hi" is not inside "this")."""
    lowered = text.lower()
    for word in words:
        if word.isascii():
            if re.search(rf"\b{re.escape(word)}\b", lowered):
                return True
        elif word in lowered:
            return True
    return False


def _split(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [part.strip() for part in pattern.split(text) if part.strip()]


def _unique(values) -> list:
    return list(dict.fromkeys(values))


def default_season(today: date | None = None) -> str:
    """The season of the date (the brief's fallback when the person names none)."""
    return _SEASON_OF_MONTH[(today or date.today()).month]


class Understanding:
    """Reads messages with the catalog's vocabulary (over product-service's contract) and the
    knowledge base's documents."""

    def __init__(self, *, catalog: Catalog, kb: KnowledgeBase) -> None:
        self._catalog = catalog
        self._kb = kb

    async def read(self, *, text: str, room: Brief | None = None) -> Brief:
        """The brief of one message; `room` (the room's earlier facts and last answer) lets a
        follow-up ("더 저렴하게") change that answer as the person meant."""
        room = room or Brief()
        # "네이비 바지에 어울리는 상의": what comes before "어울리는" is theirs already.
        parts = [part for c in _split(text, _CLAUSE_END) or [text] for part in _goes_with(c)]
        clauses = [clause for clause, _ in parts]
        phrases = [p for c in clauses for p in _split(c, _PHRASE_END)]
        texts = _unique([text, *clauses, *phrases])[:_MAX_TEXTS]
        readings = dict(zip(texts, await self._catalog.read(texts=texts), strict=True))
        whole = readings[text]
        parsed = [
            _Clause(
                text=c,
                reading=readings.get(c, Reading()),
                negative=_has(c, _NEGATIVE),
                owned=theirs or _has(c, _OWNED),
            )
            for c, theirs in parts
        ]
        brief = self._facts(text, whole, parsed, readings, phrases)
        brief = _with_follow_ups(brief, text=text, room=room)
        brief = replace(brief, intent=_intent(text, whole, brief, room))
        # What this message changes is said back; a lacking piece's nearest kin stands in.
        return _with_nearest(_with_changes(brief))

    def _facts(
        self,
        text: str,
        whole: Reading,
        clauses: list[_Clause],
        readings: dict[str, Reading],
        phrases: list[str],
    ) -> Brief:
        liked: list[str] = []
        disliked: list[str] = []
        items: list[str] = []
        mains: dict[str, str] = {}
        categories: list[str] = []
        excluded: list[str] = []
        owned: list[Piece] = []
        styles: list[str] = []
        materials: list[str] = []
        for clause in clauses:
            r = clause.reading
            named = {g.sub for g in r.garments}
            if clause.owned:
                colour = r.colours[0] if len(r.colours) == 1 else ""
                owned += [Piece(g.sub, g.main, colour) for g in r.garments]
                named_mains = {g.main for g in r.garments}
                owned += [Piece("", m, colour) for m in r.main_categories if m not in named_mains]
                continue
            if clause.negative:
                disliked += [*r.colours, *r.exclude_colours]
                excluded += [g.sub for g in (*r.garments, *r.exclude_garments)]
                continue
            liked += r.colours
            disliked += r.exclude_colours
            excluded += [g.sub for g in r.exclude_garments]
            items += [g.sub for g in r.garments]
            mains |= {g.sub: g.main for g in (*r.garments, *r.exclude_garments)}
            named_mains = {g.main for g in r.garments}
            categories += [m for m in r.main_categories if m not in named_mains]
            styles += r.styles
            # 청바지 says denim already; a material matters when asked for on its own.
            materials += [m for m in r.materials if not named or m != "데님"]
        item_colours: dict[str, str] = {}
        for phrase in phrases:
            r = readings.get(phrase)
            if r is None or len(r.colours) != 1 or _has(phrase, _NEGATIVE) or _has(phrase, _OWNED):
                continue
            for garment in r.garments:
                item_colours[garment.sub] = r.colours[0]
            if not r.garments:
                for main in r.main_categories:
                    item_colours[main] = r.colours[0]
        positive = " ".join(c.text for c in clauses if not c.negative)
        occasion = self._occasion(positive, whole)
        tone = self._kb.match_keywords("personal_colour", text)
        body = self._kb.match_keywords("body_type", text)
        # "봄 웜톤" names a personal colour, not the season of the outing.
        seasons = _unique(
            s for c in clauses for s in readings.get(c.text, Reading()).seasons if not c.negative
        )
        if _TONE_WORDS.search(text):
            seasons = [
                s for s in seasons if not re.search(rf"{s}\s*(웜|쿨|라이트|브라이트|뮤트|딥)", text)
            ]
        budget_max, budget_total = _budget(clauses, whole, text)
        disliked = _unique(disliked)
        return Brief(
            text=text,
            language=whole.language,
            occasion=occasion.id if occasion else None,
            tpo=(whole.tpos[0] if whole.tpos else _first_tag(occasion)),
            season=seasons[0] if seasons else None,
            season_said=bool(seasons),
            liked_colours=[c for c in _unique(liked) if c not in disliked],
            disliked_colours=disliked,
            items=[i for i in _unique(items) if i not in excluded],
            item_mains=mains | {o.sub: o.main for o in owned},
            categories=_unique(categories),
            excluded_items=_unique(excluded),
            item_colours=item_colours,
            owned=owned,
            body_type=body[0].id if body else None,
            height_cm=_height(text),
            skin_tone=tone[0].id if tone else None,
            styles=_unique(styles),
            materials=_unique(materials),
            budget_max=budget_max,
            budget_total=budget_total,
            gender=_gender(text, whole),
            not_carried=list(whole.not_carried),
        )

    def _occasion(self, positive: str, whole: Reading) -> Document | None:
        # The knowledge base knows its occasions' own words ("장례식 말고 출근룩" is about the
        # office); an occasion only the vocabulary recognised (English) maps by its tag.
        found = self._kb.match_keywords("occasion", positive)
        if found:
            return found[0]
        for tpo in whole.tpos:
            for doc in self._kb.of_kind("occasion"):
                if doc.words("tpo_tags")[:1] == [tpo]:
                    return doc
        return None


def _first_tag(doc: Document | None) -> str | None:
    tags = doc.words("tpo_tags") if doc else []
    return tags[0] if tags else None


def _budget(clauses: list[_Clause], whole: Reading, text: str) -> tuple[int | None, int | None]:
    """(per piece, for the whole look): "N만원 이하 셔츠" bounds a piece, "N만원으로 전체" the
    total; a price said with no piece in its clause is for the look."""
    for clause in clauses:
        r = clause.reading
        if not r.max_price or clause.owned:
            continue
        if _has(clause.text, _TOTAL) or _has(text, _TOTAL):
            return None, r.max_price
        if r.garments or r.main_categories:
            return r.max_price, None
        names_piece = whole.garments or whole.main_categories
        return (
            (r.max_price, None) if names_piece and not _has(text, _OUTFIT) else (None, r.max_price)
        )
    return None, None


def _height(text: str) -> int | None:
    for match in _HEIGHT.finditer(text):
        around = text[max(0, match.start() - 3) : match.end() + 4]
        if "키" in around or "cm" in around.lower() or "센" in around or "㎝" in around:
            return int(match.group(1))
    return None


def _gender(text: str, whole: Reading) -> str | None:
    if whole.genders and whole.genders[0] in ("MEN", "WOMEN"):
        return whole.genders[0]
    if whole.partner_genders:
        partner = whole.partner_genders[0]
        # A present is for the partner; a date with the partner dresses the other one.
        if _has(text, _GIFT):
            return partner
        return {"MEN": "WOMEN", "WOMEN": "MEN"}.get(partner)
    # Pieces only women wear in this catalog say who is asking.
    if any(
        g.main == "DRESS" or g.sub in ("스커트", "블라우스", "수트스커트") for g in whole.garments
    ):
        return "WOMEN"
    return None


def _with_follow_ups(brief: Brief, *, text: str, room: Brief) -> Brief:
    """What a follow-up changes, against the room's last answer."""
    kinds: list[FollowUp] = []
    if _has(text, _CHEAPER):
        kinds.append(FollowUp.CHEAPER)
    if _has(text, _FORMAL):
        kinds.append(FollowUp.MORE_FORMAL)
    elif _has(text, _CASUAL):
        kinds.append(FollowUp.MORE_CASUAL)
    if _has(text, _OTHER_COLOUR):
        kinds.append(FollowUp.OTHER_COLOUR)
    elif _has(text, _OTHER_PIECES):
        kinds.append(FollowUp.OTHER_PIECES)
    if not kinds:
        return brief
    shift = {FollowUp.MORE_FORMAL: 1, FollowUp.MORE_CASUAL: -1}
    brief = replace(
        brief,
        follow_ups=kinds,
        formality_shift=sum(shift.get(k, 0) for k in kinds),
        # A follow-up about colour or price is not a new dislike of the pieces it names.
        excluded_items=[] if FollowUp.OTHER_PIECES in kinds else brief.excluded_items,
    )
    last = room.last_look
    asked_now = bool(brief.items or brief.categories)
    if not asked_now and room.intent in (Intent.ONE_ITEM, Intent.COMPLETE_LOOK, Intent.COMPARE):
        # "더 저렴하게" after "네이비 니트 하나만" is still about one navy knit.
        brief = replace(
            brief,
            items=room.items,
            item_mains=room.item_mains | brief.item_mains,
            categories=room.categories,
            item_colours=room.item_colours | brief.item_colours,
            owned=brief.owned or room.owned,
        )
    if FollowUp.CHEAPER in kinds and last and not (brief.budget_max or brief.budget_total):
        if room.intent in (Intent.ONE_ITEM, Intent.COMPARE):
            same = [p.price for p in last if p.price and p.sub in brief.items]
            cheapest = min(same or [p.price for p in last if p.price])
            brief = replace(brief, budget_max=int(cheapest * _CHEAPER_SHARE))
        else:
            total = sum(p.price for p in last)
            brief = replace(brief, budget_total=int(total * _CHEAPER_SHARE))
    if FollowUp.OTHER_PIECES in kinds:
        seen = [*room.last_cited, *(p.product_id for p in last)]
        brief = replace(brief, avoid_ids=_unique(pid for pid in seen if pid))
    if FollowUp.OTHER_COLOUR in kinds:
        wanted = {brief.main_of(i) for i in brief.items} | set(brief.categories)
        moved = {
            p.main: p.colour
            for p in last
            if p.colour
            and (p.main in wanted or not wanted)
            and p.main in ("TOP", "BOTTOM", "DRESS")
        }
        brief = replace(
            brief,
            avoid_colours=moved,
            # The colour said before is the one to move away from.
            item_colours={k: v for k, v in brief.item_colours.items() if v not in moved.values()},
        )
    return brief


def _intent(text: str, whole: Reading, brief: Brief, room: Brief) -> Intent:
    asked = bool(brief.items or brief.categories)
    absent_only = bool(brief.not_carried) and not asked
    fashion = (
        whole.names_fashion()
        or _has_word(text, _FASHION)
        or bool(brief.follow_ups or brief.owned or brief.body_type or brief.skin_tone)
        or bool(brief.height_cm)
    )
    if not fashion:
        return Intent.GREETING if _has_word(text, _GREETING) else Intent.OFF_TOPIC
    if brief.owned:
        return Intent.COMPLETE_LOOK
    if brief.follow_ups and not asked and room.intent.shows_products:
        return room.intent if room.intent != Intent.COMPARE else Intent.ONE_ITEM
    kinds = {brief.main_of(i) or i for i in brief.items} | set(brief.categories)
    if len(brief.items) + len(brief.categories) >= 2 and _has(text, _COMPARE):
        return Intent.COMPARE
    if not asked and _has(text, _ADVICE) and not _has(text, _SHOPPING):
        return Intent.ADVICE
    if absent_only:
        # Only something we lack was asked for: a piece near it when there is one, else words.
        nearest = [n for n in brief.not_carried if n.nearest_sub]
        if nearest or _has(text, _OUTFIT):
            return Intent.ONE_ITEM if nearest and not _has(text, _OUTFIT) else Intent.FULL_LOOK
        return Intent.ADVICE
    if asked and not _has(text, _OUTFIT) and len(kinds) <= 2:
        return Intent.ONE_ITEM
    return Intent.FULL_LOOK


def _with_nearest(brief: Brief) -> Brief:
    """A piece we lack asked for alone ("수영복"): its nearest carried kind stands in."""
    if brief.items or brief.intent != Intent.ONE_ITEM:
        return brief
    nearest = [n for n in brief.not_carried if n.nearest_sub]
    return replace(
        brief,
        items=_unique(n.nearest_sub for n in nearest),
        item_mains=brief.item_mains | {n.nearest_sub: n.nearest_main for n in nearest},
    )


def _with_changes(brief: Brief) -> Brief:
    changes = []
    if brief.disliked_colours:
        d = brief.disliked_colours
        changes.append(f"{', '.join(d)}{josa(d[-1], '은/는')} 빼고")
    if brief.excluded_items:
        e = brief.excluded_items
        changes.append(f"{', '.join(e)}{josa(e[-1], '은/는')} 빼고")
    words = {
        FollowUp.CHEAPER: "가격을 낮춰서",
        FollowUp.MORE_FORMAL: "좀 더 단정하게",
        FollowUp.MORE_CASUAL: "좀 더 캐주얼하게",
        FollowUp.OTHER_COLOUR: "다른 색으로",
        FollowUp.OTHER_PIECES: "다른 상품으로",
    }
    changes += [words[k] for k in brief.follow_ups]
    return replace(brief, changes=changes)

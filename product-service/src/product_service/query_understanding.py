"""Korean free text → structured intent: "네이비 슬랙스 5만원 이하" → colour 네이비,
sub-category 슬랙스, max price 50,000.

Words are looked up in the lexicon (synonyms, compounds such as 네이비슬랙스, typos such as
슬렉스); what the lexicon does not know is split into morphemes by the tokenizer (kiwi when
loaded) and kept as free terms for full-text ranking.
"""

import re
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Protocol

from product_service.lexicon import Lexicon, Term, normalise

_PARTICLES = (
    "에서는",
    "에서",
    "으로",
    "에게",
    "이랑",
    "하고",
    "처럼",
    "까지",
    "부터",
    "이나",
    "한테",
    "랑",
    "과",
    "와",
    "을",
    "를",
    "이",
    "가",
    "은",
    "는",
    "에",
    "도",
    "의",
    "로",
    "만",
    "용",
)
_NEGATIONS = (
    "말고",
    "빼고",
    "빼줘",
    "빼주세요",
    "제외",
    "제외하고",
    "제외해줘",
    "없는",
    "없이",
    "싫어",
    "싫어요",
    "아닌",
    "말구",
)
_PRICE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(만|천|k)?\s*(?:원|won|krw)?\s*(대|이하|미만|아래|까지|안쪽|이내|이상|넘는|초과|부터)?"
)
# English puts the bound before the amount: "under 50,000 won", "over 100k".
_PRICE_BEFORE = re.compile(r"\b(under|below|less than|max|within|up to|over|above|from)\s+(?=\d)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# English negation comes before the word it negates: "no black", "without a coat".
_NEGATIONS_BEFORE = frozenset({"no", "not", "without", "except", "avoid", "hate", "nothing"})
# Lexicon phrases of several words ("first date", "louis vuitton") are looked up joined.
_LONGEST_PHRASE = 3
_HANGUL = re.compile(r"[가-힣]")
_LATIN_WORD = re.compile(r"[a-z]{2,}")
_CACHE_SIZE = 2048
# Words of any request ("추천해줘", "입을 옷") that say nothing about which product fits.
# fmt: off
STOPWORDS = frozenset(
    {"추천", "추천해줘", "추천해", "해줘", "입을", "입다", "입", "옷", "옷차림", "코디", "스타일링",
     "어울리", "어울리는", "좋은", "예쁜", "이쁜", "괜찮은", "가는데", "가다",
     "내일", "오늘", "이번",
     "주말", "뭐", "무엇", "어떤", "알려줘", "찾아줘", "보여줘", "필요해", "사고",
     "싶어", "때", "하다",
     "주다", "싶다", "있다", "없다", "되다", "같은", "느낌", "아이템", "제품", "상품", "룩",
     "컬러", "색", "색상", "색깔", "톤", "계열", "으로", "전체",
     # English request words
     "what", "which", "should", "would", "could", "can", "wear", "wearing", "need", "want",
     "outfit", "outfits", "look", "looks", "clothes", "recommend", "suggest", "show", "find",
     "for", "the", "an", "and", "or", "with", "to", "on", "in", "at", "of", "my", "me", "im",
     "is", "are", "do", "does", "some", "something", "please", "good", "nice", "tomorrow",
     "today", "going", "go", "pick", "one", "just", "only", "any", "have", "you"}
)
# fmt: on


class Tokenizer(Protocol):
    def tokens(self, text: str) -> list[str]:
        """Content morphemes (nouns, stems, foreign words) of `text`."""
        ...


class WhitespaceTokenizer:
    """Fallback while kiwi loads (or when it is unavailable): words minus trailing particles."""

    def tokens(self, text: str) -> list[str]:
        return [strip_particle(word) for word in normalise(text).split()]


@dataclass(frozen=True)
class ParsedQuery:
    colours: tuple[str, ...] = ()
    sub_categories: tuple[str, ...] = ()
    main_categories: tuple[str, ...] = ()
    tpos: tuple[str, ...] = ()
    seasons: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()
    fits: tuple[str, ...] = ()
    exclude_colours: tuple[str, ...] = ()
    exclude_sub_categories: tuple[str, ...] = ()
    min_price: int = 0
    max_price: int = 0
    terms: tuple[str, ...] = field(default=())
    # The gender of a partner the text names (여자친구, boyfriend).
    partner_genders: tuple[str, ...] = ()
    # Words of things the catalog does not carry (keys of vocabulary.NOT_CARRIED).
    not_carried: tuple[str, ...] = ()
    language: str = "ko"  # ko, en or mixed

    def is_empty(self) -> bool:
        return replace(self, language="ko") == ParsedQuery()

    def is_understood(self) -> bool:
        """True when the lexicon recognised anything beyond free words."""
        return replace(self, terms=(), language="ko") != ParsedQuery()


def strip_particle(word: str) -> str:
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word


def language_of(text: str) -> str:
    """ko, en or mixed, by the letters the text is written in."""
    hangul = bool(_HANGUL.search(text))
    latin = bool(_LATIN_WORD.search(text.lower().replace("won", "")))
    return "mixed" if hangul and latin else "en" if latin else "ko"


def parse_price(text: str) -> tuple[int, int, str]:
    """(min, max, text without the price phrase); 0 means no bound."""
    low = high = 0
    text = _PRICE_BEFORE.sub(
        lambda m: "이상 " if m.group(1) in ("over", "above", "from") else "이하 ", text
    )
    for match in _PRICE.finditer(text):
        number, unit, bound = match.groups()
        said = match.group(0)
        if not unit and not any(w in said for w in ("원", "won", "krw")):
            continue  # a bare number (a size, a year) is not a price
        before = text[max(0, match.start() - 3) : match.start()]
        if not bound and "이상" in before:
            bound = "이상"
        value = int(float(number) * {"만": 10_000, "천": 1_000, "k": 1_000}.get(unit or "", 1))
        if bound == "대":
            # 3만원대 is 30,000-39,999; 10만원대 is 100,000-199,999.
            digits = number.split(".")[0]
            step = 10 ** (len(digits) - len(digits.rstrip("0"))) * (value // int(float(number)))
            low, high = value, value + step - 1
        elif bound in ("이상", "넘는", "초과", "부터"):
            low = value
        else:  # "5만원", "5만원 이하", "까지": a budget is an upper bound
            high = value
        text = text.replace(match.group(0), " ")
    return low, high, text.replace("이상 ", " ").replace("이하 ", " ")


class QueryUnderstanding:
    """Parses queries with one lexicon and a swappable tokenizer; remembers recent queries."""

    def __init__(self, *, lexicon: Lexicon, tokenizer: Tokenizer | None = None) -> None:
        self._lexicon = lexicon
        self._tokenizer: Tokenizer = tokenizer or WhitespaceTokenizer()
        self._recent: OrderedDict[str, ParsedQuery] = OrderedDict()

    def use_tokenizer(self, tokenizer: Tokenizer) -> None:
        """Swaps in a better tokenizer (kiwi, once loaded in the background)."""
        self._tokenizer = tokenizer
        self._recent.clear()

    def parse(self, query: str) -> ParsedQuery:
        text = normalise(_THOUSANDS.sub("", query))
        if text in self._recent:
            self._recent.move_to_end(text)
            return self._recent[text]
        parsed = self._parse(text)
        self._recent[text] = parsed
        if len(self._recent) > _CACHE_SIZE:
            self._recent.popitem(last=False)
        return parsed

    def _parse(self, text: str) -> ParsedQuery:
        language = language_of(text)
        low, high, text = parse_price(text)
        wanted: list[Term] = []
        unwanted: list[Term] = []
        leftovers: list[str] = []
        words = self._phrases(text.split())
        negate_next = False
        for index, word in enumerate(words):
            if word in _NEGATIONS_BEFORE:
                negate_next = True
                continue
            if word in _NEGATIONS:
                continue
            negated = negate_next or (index + 1 < len(words) and words[index + 1] in _NEGATIONS)
            for negation in _NEGATIONS:
                if word.endswith(negation) and len(word) > len(negation):
                    word, negated = word[: -len(negation)], True
            terms, rest = self._terms_of(word)
            if terms:
                negate_next = False
            (unwanted if negated else wanted).extend(terms)
            if rest:
                leftovers.append(rest)
        known, free_terms = self._morphemes(" ".join(leftovers))
        wanted.extend(known)
        return _assemble(
            wanted=wanted,
            unwanted=unwanted,
            terms=free_terms,
            low=low,
            high=high,
            language=language,
        )

    def _phrases(self, words: list[str]) -> list[str]:
        """Words, with the lexicon's phrases of several words joined into one ("first date")."""
        out: list[str] = []
        index = 0
        while index < len(words):
            for size in range(min(_LONGEST_PHRASE, len(words) - index), 1, -1):
                joined = "".join(words[index : index + size])
                if self._lexicon.exact(joined):
                    out.append(joined)
                    index += size
                    break
            else:
                out.append(words[index])
                index += 1
        return out

    def _terms_of(self, word: str) -> tuple[list[Term], str]:
        stripped = strip_particle(word)
        for candidate in dict.fromkeys((word, stripped)):
            exact = self._lexicon.exact(candidate)
            if exact:
                return exact, ""
        if not _HANGUL.search(stripped):
            # English: a plural names the same garment ("loafers"); typos are matched on
            # Hangul letters only, where "what" is not one edit away from "white".
            singular = stripped[:-1] if stripped.endswith("s") and len(stripped) > 3 else ""
            return (
                (self._lexicon.exact(singular), "")
                if singular and self._lexicon.exact(singular)
                else ([], stripped)
            )
        terms, rest = self._lexicon.segment(stripped)
        if terms:
            return terms, rest if len(rest) >= 2 else ""
        fuzzy = self._lexicon.fuzzy(stripped)
        if fuzzy:
            return fuzzy, ""
        return [], stripped

    def _morphemes(self, text: str) -> tuple[list[Term], tuple[str, ...]]:
        """Lexicon terms among the morphemes of what is left (시원하게 → 시원 → 여름), and
        the remaining content words as free terms for full-text ranking."""
        if not text.strip():
            return [], ()
        known: list[Term] = []
        free: list[str] = []
        for token in self._tokenizer.tokens(text):
            terms = self._lexicon.exact(token)
            if terms:
                known.extend(terms)
            elif len(token) >= 2 and token not in STOPWORDS:
                free.append(token)
        return known, tuple(dict.fromkeys(free))


def _assemble(
    *,
    wanted: list[Term],
    unwanted: list[Term],
    terms: tuple[str, ...],
    low: int,
    high: int,
    language: str,
) -> ParsedQuery:
    def values(terms_: list[Term], slot: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.value for t in terms_ if t.slot == slot))

    return ParsedQuery(
        colours=values(wanted, "colour"),
        sub_categories=values(wanted, "sub"),
        main_categories=values(wanted, "main"),
        tpos=values(wanted, "tpo"),
        seasons=values(wanted, "season"),
        genders=values(wanted, "gender"),
        styles=values(wanted, "style"),
        patterns=values(wanted, "pattern"),
        materials=values(wanted, "material"),
        fits=values(wanted, "fit"),
        exclude_colours=values(unwanted, "colour"),
        exclude_sub_categories=values(unwanted, "sub"),
        min_price=low,
        max_price=high,
        terms=terms,
        partner_genders=values(wanted, "partner"),
        not_carried=values([*wanted, *unwanted], "absent"),
        language=language,
    )

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
    r"(\d+(?:\.\d+)?)\s*(만|천)?\s*원?\s*(대|이하|미만|아래|까지|안쪽|이내|이상|넘는|초과|부터)?"
)
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
     "컬러", "색", "색상", "색깔", "톤", "계열"}
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

    def is_empty(self) -> bool:
        return self == ParsedQuery()

    def is_understood(self) -> bool:
        """True when the lexicon recognised anything beyond free words."""
        return replace(self, terms=()) != ParsedQuery()


def strip_particle(word: str) -> str:
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word


def parse_price(text: str) -> tuple[int, int, str]:
    """(min, max, text without the price phrase); 0 means no bound."""
    low = high = 0
    for match in _PRICE.finditer(text):
        number, unit, bound = match.groups()
        if not unit and "원" not in match.group(0):
            continue  # a bare number (a size, a year) is not a price
        value = int(float(number) * {"만": 10_000, "천": 1_000}.get(unit or "", 1))
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
    return low, high, text


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
        text = normalise(query)
        if text in self._recent:
            self._recent.move_to_end(text)
            return self._recent[text]
        parsed = self._parse(text)
        self._recent[text] = parsed
        if len(self._recent) > _CACHE_SIZE:
            self._recent.popitem(last=False)
        return parsed

    def _parse(self, text: str) -> ParsedQuery:
        low, high, text = parse_price(text)
        wanted: list[Term] = []
        unwanted: list[Term] = []
        leftovers: list[str] = []
        words = text.split()
        for index, word in enumerate(words):
            if word in _NEGATIONS or any(word == n for n in _NEGATIONS):
                continue
            negated = index + 1 < len(words) and words[index + 1] in _NEGATIONS
            for negation in _NEGATIONS:
                if word.endswith(negation) and len(word) > len(negation):
                    word, negated = word[: -len(negation)], True
            terms, rest = self._terms_of(word)
            (unwanted if negated else wanted).extend(terms)
            if rest:
                leftovers.append(rest)
        known, free_terms = self._morphemes(" ".join(leftovers))
        wanted.extend(known)
        return _assemble(wanted=wanted, unwanted=unwanted, terms=free_terms, low=low, high=high)

    def _terms_of(self, word: str) -> tuple[list[Term], str]:
        stripped = strip_particle(word)
        for candidate in dict.fromkeys((word, stripped)):
            exact = self._lexicon.exact(candidate)
            if exact:
                return exact, ""
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
    *, wanted: list[Term], unwanted: list[Term], terms: tuple[str, ...], low: int, high: int
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
    )

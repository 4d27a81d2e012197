"""Surface words → catalog values, with Hangul-aware typo tolerance.

Every word a person may type for a colour, garment, occasion, season, gender, style,
pattern, material or fit maps to the canonical value stored in the catalog. Typos are
matched on jamo (initial/medial/final letters), where 슬렉스 and 슬랙스 differ by one letter.
"""

import re
import unicodedata
from dataclasses import dataclass

from product_service.garments import GARMENTS
from product_service.vocabulary import (
    COLOUR_FAMILIES,
    COLOURS,
    COMPOUNDS,
    FITS,
    GENDER_WORDS,
    MAIN_CATEGORY_WORDS,
    MATERIALS,
    NOT_CARRIED,
    PARTNER_WORDS,
    PATTERNS,
    SEASON_WORDS,
    STYLES,
    TPOS,
)

_HANGUL_BASE, _HANGUL_END = 0xAC00, 0xD7A3
_NON_WORD = re.compile(r"[^0-9a-z가-힣\s]+")


@dataclass(frozen=True)
class Term:
    # colour, sub, main, tpo, season, gender, partner, style, pattern, material, fit, or
    # absent (something the catalog does not carry; the value is the word itself)
    slot: str
    value: str


def normalise(text: str) -> str:
    """Lower case, NFC, punctuation to spaces, single spaces."""
    text = unicodedata.normalize("NFC", text).lower()
    return " ".join(_NON_WORD.sub(" ", text).split())


def to_jamo(text: str) -> str:
    """Each Hangul syllable as its letters (NFD does exactly this for modern syllables)."""
    return unicodedata.normalize("NFD", text)


def _bounded_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _entries() -> list[tuple[str, Term]]:
    pairs: list[tuple[str, Term]] = []
    for colour in COLOURS:
        pairs += [(w, Term("colour", colour.name)) for w in colour.words]
    for word, colours in COLOUR_FAMILIES.items():
        pairs += [(word, Term("colour", c)) for c in colours]
    for garment in GARMENTS:
        pairs += [(w, Term("sub", garment.name)) for w in (garment.name, *garment.words)]
    tables = (
        ("main", MAIN_CATEGORY_WORDS),
        ("tpo", TPOS),
        ("season", SEASON_WORDS),
        ("gender", GENDER_WORDS),
        ("partner", PARTNER_WORDS),
        ("style", STYLES),
        ("pattern", PATTERNS),
        ("material", MATERIALS),
        ("fit", FITS),
    )
    for slot, table in tables:
        for value, words in table.items():
            pairs += [(w, Term(slot, value)) for w in (value, *words)]
    for word, terms in COMPOUNDS.items():
        pairs += [(word, Term(slot, value)) for slot, value in terms]
    pairs += [(word, Term("absent", word)) for word in NOT_CARRIED]
    return pairs


class Lexicon:
    """Exact, substring and fuzzy lookup of surface words."""

    def __init__(self) -> None:
        self._exact: dict[str, list[Term]] = {}
        for word, term in _entries():
            key = normalise(word).replace(" ", "")
            terms = self._exact.setdefault(key, [])
            if term not in terms:
                terms.append(term)
        # Longest first, so 폴로셔츠 wins over 셔츠 and 청바지 over 바지.
        self._by_length = sorted(self._exact, key=len, reverse=True)
        self._jamo = {word: to_jamo(word) for word in self._exact}

    def surface_words(self) -> list[str]:
        return list(self._exact)

    def exact(self, word: str) -> list[Term]:
        return self._exact.get(word, [])

    def words_for(self, slot: str, value: str) -> list[str]:
        """Every surface word of one catalog value (used to index synonyms)."""
        return [w for w, terms in self._exact.items() if Term(slot, value) in terms]

    def segment(self, token: str) -> tuple[list[Term], str]:
        """Terms found inside one token (longest first) and what is left of it.

        Words of one syllable only count as a whole token: 진 is jeans, 진한 is not.
        """
        terms: list[Term] = list(self.exact(token))
        if terms:
            return terms, ""
        rest = token
        for word in self._by_length:
            if len(word) < 2 or len(word) > len(rest):
                continue
            # A short name of something we lack hides inside ordinary words (자라 in 자라고).
            if len(word) < 3 and self._exact[word][0].slot == "absent":
                continue
            if word in rest:
                terms.extend(t for t in self._exact[word] if t not in terms)
                rest = rest.replace(word, " ")
        return terms, " ".join(rest.split())

    def fuzzy(self, token: str) -> list[Term]:
        """Terms of the closest word within one jamo edit (two for long words)."""
        # Two syllables are too short to guess from: 나이 is one letter from 나시, 정상 from 정장.
        if len(token) < 3:
            return []
        limit = 1 if len(token) < 4 else 2
        token_jamo = to_jamo(token)
        best, best_distance = [], limit + 1
        for word, word_jamo in self._jamo.items():
            # Typos rarely hit the first letter; checking it first skips most of the table.
            if len(word) < 2 or word_jamo[0] != token_jamo[0]:
                continue
            if self._exact[word][0].slot == "absent":
                continue  # "did you mean 구찌" is never a guess worth making
            distance = _bounded_distance(token_jamo, word_jamo, limit)
            if distance < best_distance:
                best, best_distance = list(self._exact[word]), distance
        return best if best_distance <= limit else []


def is_hangul(char: str) -> bool:
    return _HANGUL_BASE <= ord(char) <= _HANGUL_END

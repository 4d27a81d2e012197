"""Korean morphological analysis with kiwi (kiwipiepy; its model ships as a pip package).

Kiwi takes about 2 s and 520 MB to load, so a process loads it once, in a thread, while it
already serves with the whitespace tokenizer. The catalog's own words are added to kiwi's
dictionary first, or it would read 코튼 as 코트 + ㄴ.
"""

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

# Content morphemes: nouns, roots (깔끔, 단정), verb/adjective stems, foreign words, numbers.
_CONTENT_TAGS = ("NNG", "NNP", "XR", "VA", "VV", "SL", "SN", "MAG")


class KiwiTokenizer:
    """Content morphemes of a text, as kiwi analyses it."""

    def __init__(self, *, user_words: Iterable[str] = ()) -> None:
        from kiwipiepy import Kiwi

        self._kiwi = Kiwi()
        for word in user_words:
            if len(word) >= 2 and word.isalnum():
                self._kiwi.add_user_word(word, "NNP")

    def tokens(self, text: str) -> list[str]:
        return [
            token.form.lower()
            for token in self._kiwi.tokenize(text)
            if token.tag.split("-")[0] in _CONTENT_TAGS
        ]


def load_kiwi(*, user_words: Iterable[str]) -> KiwiTokenizer | None:
    """Kiwi, or None (logged) when the package or its model cannot be loaded."""
    try:
        kiwi = KiwiTokenizer(user_words=user_words)
        kiwi.tokens("첫 분석은 느리다")  # the first analysis builds kiwi's caches
        return kiwi
    except Exception:  # an optional accelerator must never stop the service
        log.exception("kiwi could not be loaded; continuing with the whitespace tokenizer")
        return None


async def load_kiwi_in_background(*, user_words: list[str]) -> KiwiTokenizer | None:
    return await asyncio.to_thread(load_kiwi, user_words=user_words)

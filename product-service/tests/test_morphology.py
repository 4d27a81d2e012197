"""Kiwi in query understanding (loaded once for this module: ~2 s, ~520 MB)."""

import pytest

from product_service.lexicon import Lexicon
from product_service.morphology import KiwiTokenizer
from product_service.query_understanding import QueryUnderstanding


@pytest.fixture(scope="module")
def kiwi() -> KiwiTokenizer:
    return KiwiTokenizer(user_words=Lexicon().surface_words())


@pytest.fixture(scope="module")
def with_kiwi(kiwi) -> QueryUnderstanding:
    return QueryUnderstanding(lexicon=Lexicon(), tokenizer=kiwi)


def test_catalog_words_are_not_split_by_kiwi(kiwi):
    # Without the user dictionary kiwi reads 코튼 as 코트 + ㄴ, which would index a coat.
    assert kiwi.tokens("네이비 코튼 셔츠입니다") == ["네이비", "코튼", "셔츠"]


def test_morpheme_roots_reach_the_lexicon(with_kiwi):
    parsed = with_kiwi.parse("한여름에 시원하게 입을 옷")
    assert parsed.seasons == ("여름",)
    parsed = with_kiwi.parse("깔끔하고 단정해 보이는 셔츠")
    assert parsed.styles == ("미니멀",) and parsed.sub_categories == ("셔츠",)


def test_unknown_content_words_become_free_terms(with_kiwi):
    parsed = with_kiwi.parse("비 오는 날 입을 바람막이")
    assert parsed.sub_categories == ("바람막이",)
    assert "바람막이" not in parsed.terms and "입" not in parsed.terms


def test_tokenizer_can_be_swapped_in_later(kiwi):
    understanding = QueryUnderstanding(lexicon=Lexicon())
    before = understanding.parse("포근하게 입을 니트")
    understanding.use_tokenizer(kiwi)
    after = understanding.parse("포근하게 입을 니트")
    assert after.seasons == ("겨울",) and before != after

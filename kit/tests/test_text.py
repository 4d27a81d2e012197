"""The one rule for text people write (tftkit.text): what is refused, what is text, NFC, and
lengths counted after normalising; the refusing, cleaning and tidying ways to apply it."""

import pytest

from tftkit import text

DECOMPOSED = "\u1100\u1161\u11ab"  # 간, as a Mac's keyboard may send it

CONTROLS = [
    "\x00",
    "\x01",
    "\x08",
    "\x0b",
    "\x0c",
    "\x0e",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x80",
    "\x85",
    "\x9f",
]


@pytest.mark.parametrize("control", CONTROLS)
def test_c0_c1_and_del_are_refused(control):
    with pytest.raises(text.BadText) as refused:
        text.checked(f"니트{control}", field="content", max_chars=100)
    assert refused.value.field == "content"
    assert str(refused.value) == f"content: {text.CONTROL_CHARACTER}"
    assert "control characters" in str(refused.value) and "제어 문자" in str(refused.value)


def test_a_lone_surrogate_is_refused():
    with pytest.raises(text.BadText) as refused:
        text.checked("a\ud800b", field="content", max_chars=100)
    assert refused.value.problem == text.LONE_SURROGATE


def test_tab_newline_cr_emoji_and_format_characters_are_text():
    # Zero-width joiners hold emoji together; they are no control characters.
    value = "상의:\t니트\r\n👩‍👩‍👧 \u200d\ufeff"
    assert text.checked(value, field="content", max_chars=100) == value


def test_text_is_normalised_and_counted_after():
    assert text.checked(DECOMPOSED * 3, field="content", max_chars=3) == "간간간"
    with pytest.raises(text.BadText) as refused:
        text.checked("간" * 4, field="content", max_chars=3)
    assert refused.value.problem == text.too_long(3)
    assert "at most 3 characters" in str(refused.value)


def test_the_message_never_repeats_the_text():
    with pytest.raises(text.BadText) as refused:
        text.checked("secret\x00", field="content", max_chars=100)
    assert "secret" not in str(refused.value)


def test_cleaning_drops_what_is_refused_and_still_counts():
    assert (
        text.cleaned(f"네\x00이비\ud800 {DECOMPOSED}\x85", field="likes", max_chars=10)
        == "네이비 간"
    )
    with pytest.raises(text.BadText):
        text.cleaned("가" * 11, field="likes", max_chars=10)


def test_tidying_never_raises():
    assert text.tidied(f"민\x00지{DECOMPOSED}" + "가" * 50, max_chars=5) == "민지간가가"
    assert text.tidied("\x00\x01", max_chars=5) == ""


def test_problem_of_says_why_or_none():
    assert text.problem_of("네이비 슬랙스") is None
    assert text.problem_of("a\x00") == text.CONTROL_CHARACTER
    assert text.problem_of("a\udfff") == text.LONE_SURROGATE

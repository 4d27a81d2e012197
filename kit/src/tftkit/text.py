"""The one rule for text a person wrote, applied where each service takes it in (the gateway's
request validation and every gRPC method that stores text), so that what one service refuses
no other stores, and nothing reaches PostgreSQL or Redis that either would choke on later.

- C0 and C1 control characters (NUL included) are not text: PostgreSQL cannot store NUL, and the
  rest break logs, JSON consumers and the page. Tab, newline and carriage return are text.
- Lone surrogates (U+D800..U+DFFF) are not characters: they cannot be encoded as UTF-8, so the
  first store or gRPC hop would fail on them. Only a JSON `\\ud800` escape brings one in.
- Text is normalised to NFC, so that the same words typed on different keyboards (a Mac's
  decomposed Hangul, a phone's composed one) are stored, searched and counted alike; length
  limits count the normalised text.

Two ways to apply it, chosen per field and documented where used:

- `checked` refuses bad text (BadText): for a chat message or a title, where silently changing
  what the person said would be worse than asking them to send it again.
- `cleaned` removes what is refused and still refuses over-long text: for short free words (a
  style-profile entry) where a stray control character carries no meaning.
- `tidied` removes and cuts: for text that no person typed to us (a nickname Kakao sends), where
  refusing would block a login over something the person cannot fix here.
"""

import re
import unicodedata

# Every C0 control but tab (09), newline (0A) and carriage return (0D); DEL; every C1 control.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

CONTROL_CHARACTER = "보낼 수 없는 제어 문자가 들어 있어요 (control characters are not allowed)"
LONE_SURROGATE = "깨진 문자가 들어 있어요 (invalid Unicode: a lone surrogate)"


def too_long(max_chars: int) -> str:
    return f"{max_chars}자까지 보낼 수 있어요 (at most {max_chars} characters)"


class BadText(ValueError):
    """Text the rule refuses; `problem` is for the person (Korean, then English), `field` names
    the input. Nothing of the text itself is in the message."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


def problem_of(value: str) -> str | None:
    """Why `value` is refused before normalisation, or None when it is text."""
    if _SURROGATE.search(value):
        return LONE_SURROGATE
    if _CONTROL.search(value):
        return CONTROL_CHARACTER
    return None


def checked(value: str, *, field: str, max_chars: int) -> str:
    """`value` in NFC; raises BadText for a control character, a lone surrogate, or more than
    `max_chars` characters once normalised."""
    problem = problem_of(value)
    if problem is not None:
        raise BadText(field, problem)
    text = unicodedata.normalize("NFC", value)
    if len(text) > max_chars:
        raise BadText(field, too_long(max_chars))
    return text


def _without_refused(value: str) -> str:
    return unicodedata.normalize("NFC", _CONTROL.sub("", _SURROGATE.sub("", value)))


def cleaned(value: str, *, field: str, max_chars: int) -> str:
    """`value` without control characters and lone surrogates, in NFC; raises BadText when it
    is still longer than `max_chars`."""
    text = _without_refused(value)
    if len(text) > max_chars:
        raise BadText(field, too_long(max_chars))
    return text


def tidied(value: str, *, max_chars: int) -> str:
    """`value` without control characters and lone surrogates, in NFC, cut to `max_chars`;
    never raises."""
    return _without_refused(value)[:max_chars]

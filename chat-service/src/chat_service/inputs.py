"""The text rule of tftkit.text at chat-service's edge: what a caller sends is checked here
before anything is stored, whoever the caller is. The gateway applies the same rule (422); a
caller that bypasses it gets INVALID_ARGUMENT with the same message, never a database error.

Messages and titles are refused rather than cleaned: silently changing what a person said
would be worse than asking them to send it again."""

from dataclasses import replace

from chat_service.turns import TurnRequest
from tftkit import text

# The longest image URL stored with a message (the gateway's limit too).
MAX_URL_CHARS = 2048


def checked_turn(request: TurnRequest, *, field: str, max_input_chars: int) -> TurnRequest:
    """The turn with its text normalised; raises tftkit.text.BadText naming `field` (the
    request's own name for the message)."""
    return replace(
        request,
        # Checked as sent (as the gateway checks it; str.strip() would also drop some C1
        # controls silently), then without its outer spaces, as the turn stores it.
        user_input=text.checked(request.user_input, field=field, max_chars=max_input_chars).strip(),
        image_url=text.checked(request.image_url, field="image_url", max_chars=MAX_URL_CHARS),
    )


def checked_title(title: str, *, max_chars: int) -> str:
    """A room title as given (it is shortened for display later); raises BadText."""
    return text.checked(title, field="title", max_chars=max_chars)

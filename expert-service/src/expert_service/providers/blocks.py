"""Takes the `<products>[...]</products>` block out of a streamed answer as it streams.

A model that cannot call tools writes its product ids at the end of the text; the person
must not see that block, so text is held back from the first `<` until it is clearly not the
block's opening tag.
"""

import json
import re

OPEN, CLOSE = "<products>", "</products>"
_IDS = re.compile(r"[A-Za-z0-9_\-]+")


class ProductBlockFilter:
    """feed() returns the text safe to show; ids() the ids found in the block."""

    def __init__(self) -> None:
        self._pending = ""
        self._block: str | None = None

    def feed(self, text: str) -> str:
        if self._block is not None:
            self._block += text
            return ""
        self._pending += text
        start = self._pending.find(OPEN)
        if start >= 0:
            shown, self._block = self._pending[:start], self._pending[start + len(OPEN) :]
            self._pending = ""
            return shown
        cut = self._pending.rfind("<")
        if cut >= 0 and OPEN.startswith(self._pending[cut:]):
            shown, self._pending = self._pending[:cut], self._pending[cut:]
            return shown
        shown, self._pending = self._pending, ""
        return shown

    def finish(self) -> str:
        """Text still held back when the stream ends (a lone '<' that opened nothing)."""
        shown, self._pending = self._pending, ""
        return shown

    def ids(self) -> list[str]:
        if self._block is None:
            return []
        body = self._block.split(CLOSE)[0].strip()
        try:
            value = json.loads(body)
            if isinstance(value, list):
                return [str(v) for v in value]
        except json.JSONDecodeError:
            pass
        return _IDS.findall(body)


def parse_tool_ids(arguments: str) -> list[str]:
    """product_ids from a tool call's JSON arguments (empty when malformed)."""
    try:
        value = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return []
    ids = value.get("product_ids") if isinstance(value, dict) else None
    return [str(i) for i in ids] if isinstance(ids, list) else []


def parse_tool_reasons(arguments: str) -> dict[str, str]:
    """product id -> reason from a tool call's JSON arguments (empty when absent or malformed)."""
    try:
        value = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return {}
    reasons = value.get("reasons") if isinstance(value, dict) else None
    if not isinstance(reasons, dict):
        return {}
    return {str(k): v for k, v in reasons.items() if isinstance(v, str)}

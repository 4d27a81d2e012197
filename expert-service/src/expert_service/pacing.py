"""How often one expert's text goes out: the first piece at once, later ones merged.

Every delta costs each hop on its way to the browser (this service's gRPC send, chat-service's
log append and publish, the gateway's relay, an SSE write) the same however short it is. A model
or the offline engine may produce a piece every few milliseconds; a person reading cannot tell
20 updates a second from 100. So the first piece of an answer leaves at once (first-token
latency unchanged), and later pieces that arrive within `interval_seconds` of the last send
wait to join the next one. A slow stream (one piece per interval or slower) passes unchanged.
No timer: what is held goes out with the next piece, or when the answer ends.
"""

import time
from collections.abc import Callable


class DeltaPacer:
    def __init__(
        self, interval_seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = interval_seconds
        self._clock = clock
        self._held: list[str] = []
        self._sent_at: float | None = None

    def add(self, text: str) -> str | None:
        """The text to send now (with whatever was held), or None while it is held."""
        self._held.append(text)
        now = self._clock()
        if self._sent_at is not None and now - self._sent_at < self._interval:
            return None
        self._sent_at = now
        return self.flush()

    def flush(self) -> str:
        """Whatever is held ("" when nothing), released."""
        text = "".join(self._held)
        self._held.clear()
        return text

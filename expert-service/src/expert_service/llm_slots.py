"""How many LLM calls run at once, and who goes next when one ends.

A plain semaphore serves waiters first come, first served. Under load that makes every turn
late: the specialists of the turns that arrived later queue ahead of the coordinator of a turn
that is three quarters done, so no turn finishes until all of them nearly have. Here a freed
slot goes to the waiting call of the oldest turn, so turns finish in the order they came and
a person's whole answer is not held back by everyone else's.
"""

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class TurnOrderedSlots:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("at least one LLM call must be allowed at once")
        self._free = limit
        # (turn started, arrival, future): the oldest turn first, then the earliest caller.
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(1 for *_, future in self._waiting if not future.done())

    @asynccontextmanager
    async def slot(self, turn_started: float) -> AsyncIterator[None]:
        """Holds one slot for the block; `turn_started` orders the waiters (smaller first)."""
        if self._free > 0 and not self.waiting:
            self._free -= 1
        else:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (turn_started, next(self._arrivals), future))
            try:
                await future
            except asyncio.CancelledError:
                # Handed the slot just as it was cancelled: pass it on rather than lose it.
                if future.done() and not future.cancelled():
                    self._release()
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            *_, future = heapq.heappop(self._waiting)
            if not future.done():  # a cancelled waiter left its entry behind
                future.set_result(None)
                return
        self._free += 1

"""LLM slots: a bounded number at once, a freed one to the oldest turn, none lost to cancels."""

import asyncio

import pytest

from expert_service.llm_slots import TurnOrderedSlots


async def test_at_most_the_limit_run_at_once():
    slots = TurnOrderedSlots(3)
    running = peak = 0

    async def call(turn: float) -> None:
        nonlocal running, peak
        async with slots.slot(turn):
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(call(float(i % 5)) for i in range(20)))
    assert peak == 3


async def test_a_freed_slot_goes_to_the_oldest_turn_not_the_first_caller():
    slots = TurnOrderedSlots(1)
    order: list[str] = []
    release = asyncio.Event()

    async def call(name: str, turn: float, *, hold: asyncio.Event | None = None) -> None:
        async with slots.slot(turn):
            order.append(name)
            if hold is not None:
                await hold.wait()

    first = asyncio.create_task(call("turn 1 specialist", 1.0, hold=release))
    await asyncio.sleep(0)
    # Newer turns' specialists queue up before turn 1's coordinator asks.
    newer = [asyncio.create_task(call(f"turn {n} specialist", float(n))) for n in (5, 6, 7)]
    await asyncio.sleep(0)
    coordinator = asyncio.create_task(call("turn 1 coordinator", 1.0))
    await asyncio.sleep(0)
    assert slots.waiting == 4
    release.set()
    await asyncio.gather(first, coordinator, *newer)
    assert order == [
        "turn 1 specialist",
        "turn 1 coordinator",
        "turn 5 specialist",
        "turn 6 specialist",
        "turn 7 specialist",
    ]


async def test_cancelled_waiters_lose_no_slot():
    slots = TurnOrderedSlots(1)
    hold = asyncio.Event()

    async def holder() -> None:
        async with slots.slot(0.0):
            await hold.wait()

    async def waiter(turn: float) -> str:
        async with slots.slot(turn):
            return "ran"

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    gone = asyncio.create_task(waiter(1.0))
    later = asyncio.create_task(waiter(2.0))
    await asyncio.sleep(0)
    gone.cancel()  # cancelled while waiting
    hold.set()
    await held
    assert await asyncio.wait_for(later, 1) == "ran"
    with pytest.raises(asyncio.CancelledError):
        await gone
    # Both slots' worth of work done, the one slot free again.
    assert await asyncio.wait_for(waiter(3.0), 1) == "ran"


async def test_a_waiter_cancelled_as_it_is_handed_the_slot_passes_it_on():
    slots = TurnOrderedSlots(1)

    async def waiter(turn: float) -> str:
        async with slots.slot(turn):
            return "ran"

    held = slots.slot(0.0)
    await held.__aenter__()
    handed = asyncio.create_task(waiter(1.0))
    await asyncio.sleep(0)
    await held.__aexit__(None, None, None)  # the slot is handed to `handed`...
    handed.cancel()  # ...which is cancelled before it could run
    with pytest.raises(asyncio.CancelledError):
        await handed
    assert await asyncio.wait_for(waiter(2.0), 1) == "ran"


def test_no_slot_at_all_is_refused():
    with pytest.raises(ValueError):
        TurnOrderedSlots(0)

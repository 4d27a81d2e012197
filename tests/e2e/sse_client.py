"""A small Server-Sent Events reader over httpx, as a browser's EventSource would read."""

import json
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class SseEvent:
    event: str
    id: str
    data: dict[str, Any]


async def read_events(response: httpx.Response, stop_after: int | None = None) -> list[SseEvent]:
    """Every event of the stream (comments skipped), or the first `stop_after` ones."""
    events: list[SseEvent] = []
    name, event_id, data = "message", "", []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                events.append(SseEvent(name, event_id, json.loads("\n".join(data))))
                if stop_after is not None and len(events) >= stop_after:
                    return events
            name, event_id, data = "message", "", []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "id":
                event_id = value
            elif field == "data":
                data.append(value)
    return events


async def stream(client: httpx.AsyncClient, url: str, **kwargs) -> tuple[int, list[SseEvent], Any]:
    """(status, events, JSON body when the answer is not a stream)."""
    async with client.stream("GET", url, **kwargs) as response:
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            await response.aread()
            return response.status_code, [], response.json()
        return response.status_code, await read_events(response), None

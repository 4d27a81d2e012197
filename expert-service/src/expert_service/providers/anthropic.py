"""Anthropic Claude through the official SDK: streamed text, the photo as an image block,
product ids through a tool call (or the fallback text block), errors as Korean messages."""

import base64
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import anthropic

from expert_service.providers import errors
from expert_service.providers.base import ExpertContext, ProductChoice, ProviderEvent, TextDelta
from expert_service.providers.blocks import (
    ProductBlockFilter,
    parse_tool_ids,
    parse_tool_reasons,
)
from expert_service.providers.prompt import (
    TOOL_DESCRIPTION,
    TOOL_NAME,
    TOOL_SCHEMA,
    system_prompt,
    user_prompt,
)

if TYPE_CHECKING:
    from expert_service.settings import ExpertSettings


class AnthropicProvider:
    """Claude (vision) as the engine of every expert."""

    name = "anthropic"

    def __init__(self, *, client: anthropic.AsyncAnthropic, model: str, max_tokens: int) -> None:
        self._client = client
        self._model = model
        self._max_tokens = max_tokens

    @classmethod
    def from_settings(cls, settings: "ExpertSettings") -> "AnthropicProvider":
        client = anthropic.AsyncAnthropic(
            api_key=settings.anthropic_api_key,
            base_url=settings.anthropic_base_url or None,
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )
        return cls(
            client=client, model=settings.anthropic_model, max_tokens=settings.max_output_tokens
        )

    def _content(self, context: ExpertContext) -> list[dict]:
        content: list[dict] = []
        if context.photo is not None:
            content.append(
                {
                    "type": "image",
                    "source": {
                        "type": "base64",
                        "media_type": context.photo.media_type,
                        "data": base64.b64encode(context.photo.data).decode(),
                    },
                }
            )
        content.append({"type": "text", "text": user_prompt(context)})
        return content

    async def answer(self, *, context: ExpertContext) -> AsyncIterator[ProviderEvent]:
        """Streams Claude's text; the tool call's ids come last."""
        shown = ProductBlockFilter()
        tool_json: dict[int, str] = {}
        try:
            stream = await self._client.messages.create(
                model=self._model,
                max_tokens=self._max_tokens,
                system=system_prompt(context),
                messages=[{"role": "user", "content": self._content(context)}],
                tools=[
                    {
                        "name": TOOL_NAME,
                        "description": TOOL_DESCRIPTION,
                        "input_schema": TOOL_SCHEMA,
                    }
                ],
                stream=True,
            )
            async for event in stream:
                if event.type == "content_block_start" and event.content_block.type == "tool_use":
                    tool_json[event.index] = ""
                elif event.type == "content_block_delta":
                    if event.delta.type == "text_delta":
                        text = shown.feed(event.delta.text)
                        if text:
                            yield TextDelta(text)
                    elif event.delta.type == "input_json_delta" and event.index in tool_json:
                        tool_json[event.index] += event.delta.partial_json
        except anthropic.RateLimitError as error:
            raise errors.rate_limited() from error
        except anthropic.APITimeoutError as error:
            raise errors.timed_out() from error
        except (anthropic.APIConnectionError, anthropic.InternalServerError) as error:
            raise errors.unavailable() from error
        except anthropic.APIStatusError as error:
            raise _status_error(error) from error
        except anthropic.APIError as error:
            raise errors.unavailable() from error
        rest = shown.finish()
        if rest:
            yield TextDelta(rest)
        ids = [i for raw in tool_json.values() for i in parse_tool_ids(raw)] or shown.ids()
        reasons = {k: v for raw in tool_json.values() for k, v in parse_tool_reasons(raw).items()}
        yield ProductChoice(ids, reasons=reasons)


def _status_error(error: anthropic.APIStatusError) -> Exception:
    """An HTTP error status, or an `error` event sent mid-stream (HTTP status still 200)."""
    body = error.body if isinstance(error.body, dict) else {}
    kind = (body.get("error") or {}).get("type", "") if isinstance(body.get("error"), dict) else ""
    if kind == "rate_limit_error" or error.status_code == 429:
        return errors.rate_limited()
    if (
        kind in ("overloaded_error", "api_error")
        or error.status_code >= 500
        or error.status_code < 400
    ):
        return errors.unavailable()
    return errors.rejected()

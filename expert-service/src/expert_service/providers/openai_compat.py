"""Any OpenAI-compatible endpoint (Ollama, vLLM, ...) through the official `openai` SDK."""

import base64
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import openai

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


class OpenAICompatProvider:
    """Chat Completions streaming with a function tool for the product ids."""

    name = "openai"

    def __init__(
        self, *, client: openai.AsyncOpenAI, model: str, max_tokens: int, use_tools: bool = True
    ) -> None:
        self._client = client
        self._model = model
        self._max_tokens = max_tokens
        self._use_tools = use_tools

    @classmethod
    def from_settings(cls, settings: "ExpertSettings") -> "OpenAICompatProvider":
        client = openai.AsyncOpenAI(
            # Local servers (Ollama, vLLM) accept any key; the SDK refuses an empty one.
            api_key=settings.openai_api_key or "unused",
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )
        return cls(
            client=client,
            model=settings.openai_model,
            max_tokens=settings.max_output_tokens,
            use_tools=settings.openai_tools,
        )

    def _user(self, context: ExpertContext) -> list[dict]:
        content: list[dict] = [{"type": "text", "text": user_prompt(context)}]
        if context.photo is not None:
            data = base64.b64encode(context.photo.data).decode()
            url = f"data:{context.photo.media_type};base64,{data}"
            content.insert(0, {"type": "image_url", "image_url": {"url": url}})
        return content

    async def answer(self, *, context: ExpertContext) -> AsyncIterator[ProviderEvent]:
        """Streams the model's text; tool-call ids (or the text block's) come last."""
        shown = ProductBlockFilter()
        arguments: dict[int, str] = {}
        extra = {}
        if self._use_tools:
            extra["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": TOOL_NAME,
                        "description": TOOL_DESCRIPTION,
                        "parameters": TOOL_SCHEMA,
                    },
                }
            ]
        try:
            stream = await self._client.chat.completions.create(
                model=self._model,
                max_tokens=self._max_tokens,
                messages=[
                    {"role": "system", "content": system_prompt(context)},
                    {"role": "user", "content": self._user(context)},
                ],
                stream=True,
                **extra,
            )
            async for chunk in stream:
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta
                if delta.content:
                    text = shown.feed(delta.content)
                    if text:
                        yield TextDelta(text)
                for call in delta.tool_calls or []:
                    if call.function and call.function.arguments:
                        arguments[call.index] = (
                            arguments.get(call.index, "") + call.function.arguments
                        )
        except openai.RateLimitError as error:
            raise errors.rate_limited() from error
        except openai.APITimeoutError as error:
            raise errors.timed_out() from error
        except (openai.APIConnectionError, openai.InternalServerError) as error:
            raise errors.unavailable() from error
        except openai.APIStatusError as error:
            raise (
                errors.unavailable() if error.status_code >= 500 else errors.rejected()
            ) from error
        except openai.APIError as error:
            # An error object sent mid-stream arrives as a bare APIError.
            raise errors.unavailable() from error
        rest = shown.finish()
        if rest:
            yield TextDelta(rest)
        ids = [i for raw in arguments.values() for i in parse_tool_ids(raw)] or shown.ids()
        reasons = {k: v for raw in arguments.values() for k, v in parse_tool_reasons(raw).items()}
        yield ProductChoice(ids, reasons=reasons)

"""Korean messages for provider failures (the person sees them in the expert's error event)."""

from expert_service.providers.base import ProviderError

RATE_LIMITED = "요청이 많아 AI 전문가가 잠시 쉬고 있어요. 잠시 후 다시 시도해 주세요."
TIMED_OUT = "AI 전문가의 응답이 너무 늦어 이번 답변을 마치지 못했어요. 잠시 후 다시 시도해 주세요."
UNAVAILABLE = "AI 서비스가 일시적으로 응답하지 않아요. 잠시 후 다시 시도해 주세요."
REJECTED = "AI 서비스가 요청을 처리하지 못했어요. 잠시 후 다시 시도해 주세요."


def rate_limited() -> ProviderError:
    return ProviderError(RATE_LIMITED, kind="rate_limit")


def timed_out() -> ProviderError:
    return ProviderError(TIMED_OUT, kind="timeout")


def unavailable() -> ProviderError:
    return ProviderError(UNAVAILABLE, kind="unavailable")


def rejected() -> ProviderError:
    return ProviderError(REJECTED, kind="rejected")

"""Settings from the environment: the provider choice and the required values."""

import pytest
from pydantic import ValidationError

from expert_service.settings import ExpertSettings

NAMES = ("ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "EXPERT_LLM_PROVIDER", "PRODUCT_SERVICE_ADDR")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EXPERT_REDIS_URL", "redis://127.0.0.1:6379/2")


def test_offline_without_keys_and_defaults():
    settings = ExpertSettings()
    assert settings.llm_provider == "offline"
    assert (settings.port, settings.metrics_port) == (50053, 9103)
    assert settings.product_service_addr == "127.0.0.1:50054"


def test_claude_when_its_key_is_set(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-real-looking-key")
    monkeypatch.setenv("PRODUCT_SERVICE_ADDR", "product-service:50054")
    settings = ExpertSettings()
    assert settings.llm_provider == "anthropic"
    assert settings.product_service_addr == "product-service:50054"


def test_openai_needs_a_base_url_and_redis_is_required(monkeypatch):
    monkeypatch.setenv("EXPERT_LLM_PROVIDER", "openai")
    with pytest.raises(ValidationError, match="OPENAI_BASE_URL"):
        ExpertSettings()
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    assert ExpertSettings().llm_provider == "openai"
    monkeypatch.delenv("EXPERT_REDIS_URL")
    with pytest.raises(ValidationError, match="redis_url"):
        ExpertSettings()

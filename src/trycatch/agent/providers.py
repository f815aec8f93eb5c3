"""The agent's model, chosen in settings: offline (default), OpenAI-compatible, Anthropic."""

from __future__ import annotations

from pydantic_ai.models import Model

from trycatch.agent.offline import offline_model
from trycatch.settings import Settings


class ProviderError(ValueError):
    """A provider that cannot be set up (missing key, unknown name)."""


def build_model(settings: Settings) -> Model:
    """The model for these settings, built once per process and reused (connection pools)."""
    key = (
        settings.agent_provider,
        settings.agent_model,
        settings.agent_base_url,
        settings.agent_api_key.get_secret_value(),
        settings.agent_confidence_threshold,
    )
    model = _MODELS.get(key)
    if model is None:
        model = _MODELS[key] = _new_model(settings)
    return model


_MODELS: dict[tuple[str, str, str, str, float], Model] = {}


def new_model(settings: Settings) -> Model:
    """A model of its own, not shared: for a worker thread that runs its own event loop
    (a provider's HTTP client belongs to one loop)."""
    return _new_model(settings)


def _new_model(settings: Settings) -> Model:
    provider = settings.agent_provider
    if provider == "offline":
        return offline_model(confidence_threshold=settings.agent_confidence_threshold)
    key = settings.agent_api_key.get_secret_value()
    if provider == "openai":
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        # Local servers (Ollama, vLLM, llama.cpp) take any key; the client library wants one.
        return OpenAIChatModel(
            settings.agent_model,
            provider=OpenAIProvider(base_url=settings.agent_base_url, api_key=key or "none"),
        )
    if provider == "anthropic":
        if not key:
            raise ProviderError("agent_api_key: the anthropic provider needs an API key")
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        return AnthropicModel(settings.agent_model, provider=AnthropicProvider(api_key=key))
    raise ProviderError(f"agent_provider: unknown provider {provider!r}")


__all__ = ["ProviderError", "build_model", "new_model"]

"""USD per million tokens (input, output), from the providers' public price lists, and the rates of prompt tokens
read from (and, for Anthropic, written to) the providers' prompt caches.

Unknown models get no price: their cost is unknown, never guessed. Models served by llamafile or Ollama run on
the user's own hardware and cost nothing per token; an `openai-compatible` server may be a paid service, so its
models stay unknown. Azure deployments have no entry (their price depends on the deployment type and region).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from autogpt_ls.llm.base import ChatReply
from autogpt_ls.models import Usage

FREE_PROVIDERS = ("llamafile/", "ollama/", "local/")

LISTED: dict[str, tuple[float, float]] = {
    "openai/gpt-4o": (2.50, 10.00),
    "openai/gpt-4o-mini": (0.15, 0.60),
    "openai/gpt-4.1": (2.00, 8.00),
    "openai/gpt-4.1-mini": (0.40, 1.60),
    "openai/gpt-4.1-nano": (0.10, 0.40),
    "openai/gpt-4-turbo": (10.00, 30.00),
    "openai/gpt-4": (30.00, 60.00),
    "openai/gpt-3.5-turbo": (0.50, 1.50),
    "openai/o3-mini": (1.10, 4.40),
    "openai/o4-mini": (1.10, 4.40),
    "anthropic/claude-3-opus-20240229": (15.00, 75.00),
    "anthropic/claude-3-sonnet-20240229": (3.00, 15.00),
    "anthropic/claude-3-haiku-20240307": (0.25, 1.25),
    "anthropic/claude-3-5-sonnet-20240620": (3.00, 15.00),
    "anthropic/claude-3-5-sonnet-20241022": (3.00, 15.00),
    "anthropic/claude-3-5-haiku-20241022": (0.80, 4.00),
    "anthropic/claude-3-7-sonnet-20250219": (3.00, 15.00),
    "anthropic/claude-sonnet-4-20250514": (3.00, 15.00),
    "anthropic/claude-opus-4-20250514": (15.00, 75.00),
    "groq/llama3-70b-8192": (0.59, 0.79),
    "groq/llama3-8b-8192": (0.05, 0.08),
    "groq/llama-3.3-70b-versatile": (0.59, 0.79),
    "groq/llama-3.1-8b-instant": (0.05, 0.08),
    "groq/mixtral-8x7b-32768": (0.24, 0.24),
    "groq/gemma2-9b-it": (0.20, 0.20),
    "llamafile/mistral-7b-instruct-v0.2": (0.0, 0.0),
}
# OpenAI's cached input per million tokens (the models it caches for; the others pay the input rate)
CACHED_INPUT: dict[str, float] = {
    "openai/gpt-4o": 1.25,
    "openai/gpt-4o-mini": 0.075,
    "openai/gpt-4.1": 0.50,
    "openai/gpt-4.1-mini": 0.10,
    "openai/gpt-4.1-nano": 0.025,
    "openai/o3-mini": 0.55,
    "openai/o4-mini": 0.275,
}
# Anthropic's cache, as multiples of the input rate: a read, and a write (the 5-minute cache)
ANTHROPIC_CACHE_READ, ANTHROPIC_CACHE_WRITE = 0.1, 1.25


class PriceTable(Mapping[str, tuple[float, float]]):
    """The listed prices, plus every local server's model at zero."""

    def __getitem__(self, model: str) -> tuple[float, float]:
        if model in LISTED:
            return LISTED[model]
        if model.startswith(FREE_PROVIDERS):
            return (0.0, 0.0)
        raise KeyError(model)

    def __iter__(self) -> Iterator[str]:
        return iter(LISTED)

    def __len__(self) -> int:
        return len(LISTED)


PRICES = PriceTable()


def cache_rates(model: str, input_rate: float) -> tuple[float, float]:
    """(read, write) per million prompt tokens of the provider's cache; the input rate where it has none."""
    if model.startswith("anthropic/"):
        return input_rate * ANTHROPIC_CACHE_READ, input_rate * ANTHROPIC_CACHE_WRITE
    return CACHED_INPUT.get(model, input_rate), input_rate


def cost_usd(model: str, prompt_tokens: int, completion_tokens: int, cached: int = 0, written: int = 0) -> float | None:
    """Of the `prompt_tokens`, `cached` were read from the prompt cache and `written` written to it."""
    price = PRICES.get(model)
    if price is None:
        return None
    read_rate, write_rate = cache_rates(model, price[0])
    fresh = max(prompt_tokens - cached - written, 0)
    prompt = fresh * price[0] + cached * read_rate + written * write_rate
    return (prompt + completion_tokens * price[1]) / 1_000_000


def usage_of(model: str, reply: ChatReply) -> Usage:
    """One reply's tokens and cost (`model` is `provider/model`)."""
    return Usage(
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        cached_tokens=reply.cached_tokens,
        cache_write_tokens=reply.cache_write_tokens,
        cost_usd=cost_usd(
            model, reply.prompt_tokens, reply.completion_tokens, reply.cached_tokens, reply.cache_write_tokens
        ),
    )

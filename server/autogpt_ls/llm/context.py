"""How many tokens a model takes in, and how many a prompt holds, without downloading a tokenizer at run time.

The windows come from the providers' model documentation; an unknown model gets a conservative default
(`CONTEXT_WINDOW` overrides both). Tokens are estimated from characters at a ratio that starts cautious (3 a
token, in `models.Memory`; tokenizers average ~4 on English and code) and is corrected by each reply's reported
`prompt_tokens`, so the estimate follows the model's own tokenizer.
"""

from __future__ import annotations

DEFAULT_WINDOW = 8_192
# Longest prefix wins: `openai/gpt-4o-mini-2024-07-18` is a `openai/gpt-4o-mini`.
WINDOWS: dict[str, int] = {
    "openai/gpt-4o": 128_000,
    "openai/gpt-4.1": 1_047_576,
    "openai/gpt-4-turbo": 128_000,
    "openai/gpt-4": 8_192,
    "openai/gpt-3.5-turbo": 16_385,
    "openai/o3": 200_000,
    "openai/o4-mini": 200_000,
    "openai/gpt-5": 400_000,
    "azure/gpt-4o": 128_000,
    "anthropic/claude": 200_000,
    "groq/llama3-70b-8192": 8_192,
    "groq/llama3-8b-8192": 8_192,
    "groq/llama-3.3-70b-versatile": 131_072,
    "groq/llama-3.1-8b-instant": 131_072,
    "groq/mixtral-8x7b-32768": 32_768,
    "groq/gemma2-9b-it": 8_192,
}
_RATIO_RANGE = (1.5, 6.0)  # a reply that reports nonsense usage must not make the estimate wild


def context_window(model: str, override: int | None = None, local_context: int | None = None) -> int:
    """The model's window in tokens: CONTEXT_WINDOW, the embedded model's LOCAL_MODEL_CONTEXT, the table, or
    the default."""
    if override:
        return override
    if model.startswith("local/") and local_context:
        return local_context
    known = [prefix for prefix in WINDOWS if model.startswith(prefix)]
    return WINDOWS[max(known, key=len)] if known else DEFAULT_WINDOW


def prompt_budget(window: int) -> int:
    """Tokens a prompt may use: the window less room for the reply."""
    return window - min(4_096, window // 4)


def estimate_tokens(chars: int, chars_per_token: float) -> int:
    return int(chars / chars_per_token) + 1


def corrected_ratio(chars: int, prompt_tokens: int, previous: float) -> float:
    """The ratio a reply's reported usage implies, within sane bounds; no usage keeps the previous one."""
    if prompt_tokens <= 0 or chars <= 0:
        return previous
    low, high = _RATIO_RANGE
    return min(max(chars / prompt_tokens, low), high)

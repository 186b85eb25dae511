"""`autogpt-ls models`: what each configured provider's models endpoint offers, and which models are in use."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from autogpt_ls.llm.base import LLMError
from autogpt_ls.llm.registry import TABLE, build, configured, smart_model, split_model
from autogpt_ls.settings import ConfigError, Settings


@dataclass
class Offer:
    provider: str
    setting: str
    models: list[str] = field(default_factory=list)
    error: str = ""


def in_use(settings: Settings) -> dict[str, str]:
    """Role -> `provider/model` for SMART_LLM (explicit or chosen) and FAST_LLM when set."""
    roles = {"SMART_LLM": smart_model(settings)}
    if settings.fast_llm:
        roles["FAST_LLM"] = "/".join(split_model(settings.fast_llm))
    return roles


async def _offer(settings: Settings, provider: str) -> Offer:
    offer = Offer(provider, TABLE[provider].setting)
    try:
        client = build(settings, provider)
    except ConfigError as e:
        offer.error = str(e)
        return offer
    try:
        offer.models = await client.list_models()
    except LLMError as e:
        offer.error = str(e)
    finally:
        await client.aclose()
    return offer


async def offers(settings: Settings, roles: dict[str, str]) -> list[Offer]:
    """Every configured provider, and those the models in use name, asked at once."""
    names = list(dict.fromkeys([*configured(settings), *(split_model(spec)[0] for spec in roles.values())]))
    return list(await asyncio.gather(*(_offer(settings, name) for name in names)))


def render(roles: dict[str, str], found: list[Offer]) -> str:
    lines = [f"{role}: {spec}" for role, spec in roles.items()]
    for offer in found:
        lines.append(f"\n{offer.provider} ({offer.setting})")
        if offer.error:
            lines.append(f"  cannot list: {offer.error}")
        used: dict[str, str] = {}
        for role, spec in roles.items():
            provider, _, model = spec.partition("/")
            if provider == offer.provider:
                used[model] = f"{used[model]}, {role}" if model in used else role
        for model in offer.models:
            lines.append(f"  {'*' if model in used else ' '} {model}" + (f"  ({used[model]})" if model in used else ""))
        lines += [f"  * {m}  ({r}; not listed by the server)" for m, r in used.items() if m not in offer.models]
    return "\n".join(lines)

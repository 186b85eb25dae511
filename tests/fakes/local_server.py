"""Loopback fake of a local OpenAI-compatible server whose model has no tool support (Ollama, llamafile).

Tools are refused in Ollama's words. With ``strict_template`` (llamafile's mistral-instruct), the chat template
accepts only alternating user/assistant turns starting with user, and no system role, and fails otherwise as
llama.cpp's template does, so the provider's message adaptation is what makes requests pass.
"""

from __future__ import annotations

from typing import Any

from .openai_server import FakeOpenAI, Reply, error_body, status


class FakeLocal(FakeOpenAI):
    def __init__(self, *, strict_template: bool = False, model: str = "mistral") -> None:
        super().__init__()
        self.strict_template = strict_template
        self.model = model
        self.refusals: list[str] = []

    def refuse(self, request: dict[str, Any], query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        roles = [m.get("role") for m in request.get("messages", [])]
        if request.get("tools"):
            code, message = 400, f"registry.ollama.ai/library/{self.model}:latest does not support tools"
        elif self.strict_template and (
            "system" in roles or any(r != ("user" if i % 2 == 0 else "assistant") for i, r in enumerate(roles))
        ):
            code, message = 500, "Conversation roles must alternate user/assistant/user/assistant/..."
        else:
            return None
        self.refusals.append(message)
        return status(code, error_body(code, message), headers={"x-should-retry": "false"})

    def models(self) -> list[str]:
        return [self.model]

"""One case per provider: its loopback fake, the settings a user would set for it, and how its model replies.

Every case drives the provider's real SDK (openai, AsyncAzureOpenAI, anthropic, groq) against the fake of its
wire format. Native cases reply with tool calls; local servers without tool support reply with JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakes import SECRET_KEY
from fakes.anthropic_server import FakeAnthropic
from fakes.azure_server import FakeAzure
from fakes.groq_server import FakeGroq
from fakes.local_server import FakeLocal
from fakes.openai_server import FakeOpenAI, Reply, content, tool_call


@dataclass
class Case:
    name: str
    fake: FakeOpenAI
    env: dict[str, str]
    model: str
    native: bool = True  # False: the model answers in JSON (no function calling)

    def call(
        self, name: str, arguments: dict[str, Any] | str, thoughts: str = "", usage: tuple[int, int] = (100, 20)
    ) -> Reply:
        """The model calling `name`: a native tool call, or the JSON reply a model without tools writes."""
        if self.native:
            return tool_call(name, arguments, thoughts=thoughts, usage=usage)
        args = json.loads(arguments) if isinstance(arguments, str) else arguments
        return content(json.dumps({"thoughts": thoughts, "use_tool": {"name": name, "arguments": args}}), usage)


CASES: dict[str, Callable[[Path], Case]] = {
    "openai": lambda _tmp: Case("openai", FakeOpenAI(), {"OPENAI_API_KEY": SECRET_KEY}, "openai/gpt-4o-mini"),
    "azure": lambda tmp: Case(
        "azure",
        FakeAzure(deployments=("gpt4o-deployment",)),
        {"AZURE_CONFIG_FILE": str(tmp / "azure.yaml"), "AZURE_OPENAI_API_KEY": SECRET_KEY},
        "azure/gpt-4o",
    ),
    "anthropic": lambda _tmp: Case(
        "anthropic", FakeAnthropic(), {"ANTHROPIC_API_KEY": SECRET_KEY}, "anthropic/claude-sonnet-4-20250514"
    ),
    "groq": lambda _tmp: Case("groq", FakeGroq(), {"GROQ_API_KEY": SECRET_KEY}, "groq/llama-3.3-70b-versatile"),
    "ollama": lambda _tmp: Case("ollama", FakeLocal(model="mistral"), {}, "ollama/mistral", native=False),
    "llamafile": lambda _tmp: Case(
        "llamafile", FakeLocal(strict_template=True), {}, "llamafile/mistral-7b-instruct-v0.2", native=False
    ),
}
URL_SETTING = {
    "openai": "OPENAI_BASE_URL",
    "groq": "GROQ_BASE_URL",
    "anthropic": "ANTHROPIC_BASE_URL",
    "ollama": "OLLAMA_BASE_URL",
    "llamafile": "LLAMAFILE_BASE_URL",
}

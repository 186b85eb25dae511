"""Loopback fake of Azure OpenAI: `/openai/deployments/<deployment>/chat/completions?api-version=...`.

Requests without the `api-version` query or the `api-key` header are refused as Azure refuses them, so a
test passing through the real `AsyncAzureOpenAI` proves the SDK was configured the way Azure needs.
"""

from __future__ import annotations

import re
from typing import Any

from .openai_server import FakeOpenAI, Reply, status

_CHAT = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/chat/completions$")


class FakeAzure(FakeOpenAI):
    prefix = "/openai"
    api_version = "2024-10-21"

    def __init__(self, deployments: tuple[str, ...] = ("gpt4o-deployment",)) -> None:
        super().__init__()
        self.deployments = deployments

    @property
    def endpoint(self) -> str:
        """What AZURE_OPENAI_ENDPOINT holds: the resource's root, without /openai."""
        return self.root_url

    def route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> str | None:
        if method == "GET" and path == "/openai/models":
            return "models"
        match = _CHAT.match(path)
        return "chat" if method == "POST" and match and match["deployment"] in self.deployments else None

    def refuse(self, request: dict[str, Any], query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        if query.get("api-version") != self.api_version or not headers.get("api-key"):
            return status(401, {"error": {"code": "401", "message": "Access denied: missing api-version or key"}})
        return None

    def models_body(self) -> dict[str, Any]:
        data = [{"id": m, "object": "model", "created_at": 0, "status": "succeeded"} for m in ("gpt-4o", "gpt-4o-mini")]
        return {"object": "list", "data": data}

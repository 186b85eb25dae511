"""FAST_LLM for a tool's own question (read_webpage's answer over a page): one plain call, no tools, its cost
counted in the task's usage. The smart model answers when FAST_LLM is unset or fails."""

from __future__ import annotations

from collections.abc import Sequence

from autogpt_ls.agent.compaction import Summarizer
from autogpt_ls.llm.base import ChatMessage, LLMError
from autogpt_ls.llm.pricing import usage_of
from autogpt_ls.llm.registry import split_model
from autogpt_ls.task_models import Task


class FastLLM:
    def __init__(self, task: Task, models: Sequence[Summarizer]) -> None:
        self._task = task
        self._models = models

    async def __call__(self, system: str, text: str) -> str:
        messages = [ChatMessage(role="system", content=system), ChatMessage(role="user", content=text)]
        error: LLMError | None = None
        for model in self._models:
            try:
                reply = await model.provider.chat(split_model(model.model)[1], messages, None, lambda _text: None)
            except LLMError as e:
                error = e
                continue
            self._task.state.usage = self._task.state.usage + usage_of(model.model, reply)
            return reply.content
        raise error or LLMError("no model to ask")

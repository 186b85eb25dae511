"""A task's conversation with its LLM: the prompt (compacted to fit the model's window), one call per step whose
text streams out, and the switch to JSON replies for a model whose server refuses tools."""

from __future__ import annotations

import logging

from autogpt_ls.agent.compaction import Compactor, Summarizer
from autogpt_ls.agent.events import EventSink, ThinkingDelta
from autogpt_ls.agent.prompt import History
from autogpt_ls.llm.base import ChatMessage, ChatProvider, ChatReply, ToolsUnsupported
from autogpt_ls.llm.pricing import usage_of
from autogpt_ls.llm.registry import split_model
from autogpt_ls.models import Step, Usage
from autogpt_ls.store import Store
from autogpt_ls.task_models import Rule, Task
from autogpt_ls.tools.registry import ToolRegistry

log = logging.getLogger(__name__)


class Conversation:
    """The LLM side of one task's Agent: what it is asked, and how (native tool calls or JSON replies). Built
    first: the Agent takes its task, tools, rules and summarizers from it."""

    def __init__(
        self,
        task: Task,
        *,
        store: Store,
        provider: ChatProvider,
        tools: ToolRegistry,
        native_tools: bool,
        emit: EventSink,
        summarizers: list[Summarizer],
        window: int,
        rules: tuple[Rule, ...],
    ) -> None:
        self.task = task
        self.tools = tools
        self.rules = rules
        self.summarizers = summarizers  # FAST_LLM first: they also answer a tool's own questions
        self._provider = provider
        self._emit = emit
        self._model = split_model(task.config.smart_llm)[1]
        self._use_json_replies(not (native_tools and provider.tool_calling(self._model)))
        self._compactor = Compactor(task, store, emit, summarizers, window)

    def _use_json_replies(self, json_replies: bool) -> None:
        """Native tool calls, or the JSON-reply fallback for models without function calling."""
        self._native_tools = not json_replies
        self._history = History(self.task, self.tools.specs(), self._native_tools, self.rules)

    async def chat(self, steps: list[Step], index: int) -> ChatReply:
        """One LLM call; its text streams out as ThinkingDelta events. A model whose server refuses tools is
        asked again at once, for a JSON reply."""

        def on_text(text: str) -> None:
            self._emit(ThinkingDelta(task_id=self.task.id, step_index=index, text=text))

        try:
            tools = self.tools.specs() if self._native_tools else None
            messages = await self._compactor.prompt(self._history, steps, tools)
            reply = await self._provider.chat(self._model, messages, tools, on_text, cache_key=self.task.id)
        except ToolsUnsupported as e:
            if not self._native_tools:
                raise
            log.info("task %s: %s; switching to JSON replies", self.task.id, e)
            self._use_json_replies(True)
            messages = await self._compactor.prompt(self._history, steps, None)
            reply = await self._provider.chat(self._model, messages, None, on_text, cache_key=self.task.id)
        self._compactor.observe(reply)
        return reply

    async def consult(self, steps: list[Step], request: str) -> tuple[str, Usage]:
        """One LLM call outside the steps (self-feedback): the task's prompt so far and `request`; its text and
        usage. The tools stay declared (providers want them beside past tool calls) but the text is what counts."""
        tools = self.tools.specs() if self._native_tools else None
        messages = await self._compactor.prompt(self._history, steps, tools)
        asked = [*messages, ChatMessage(role="user", content=request)]
        reply = await self._provider.chat(self._model, asked, tools, lambda _text: None)
        return reply.content, usage_of(self.task.config.smart_llm, reply)

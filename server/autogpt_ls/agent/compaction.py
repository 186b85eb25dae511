"""Keeping a long task's prompt within the model's context budget without silently dropping what matters.

When the next prompt would pass the budget, the oldest steps since the last compaction are summarised by the
fast model (the smart one when FAST_LLM is unset or fails) into part (2) of the prompt; the newest stay
verbatim. What the user said, the answers to ask_user and the facts the agent pinned are never summarised: the
prompt reads them from the compacted steps themselves (`prompt.kept_fact`). Summaries are stored in the task's
state (a restart does not redo them) and their cost counts in its usage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from autogpt_ls.agent.events import Compacted, EventSink
from autogpt_ls.agent.prompt import History, observation
from autogpt_ls.llm.base import ChatMessage, ChatProvider, ChatReply, LLMError
from autogpt_ls.llm.context import corrected_ratio, estimate_tokens, prompt_budget
from autogpt_ls.llm.pricing import usage_of
from autogpt_ls.models import Step, Usage
from autogpt_ls.store import Store
from autogpt_ls.task_models import Memory, Summary, Task

KEEP_SHARE = 0.4  # of the budget left to the steps, kept verbatim at a compaction: the next ones fit again
SUMMARIES_SHARE = 0.2  # past this share of the budget the summaries are summarised into one
SUMMARY_PROMPT = (
    "You summarise the earlier steps of an autonomous agent's task so it can go on without them. Write a short "
    "account, in the order things happened, of what the agent did and found. Keep every fact it may still need "
    "word for word: identifiers, numbers, names, file paths, values, quoted phrases, instructions it was given "
    "and has not finished, errors and what fixed them. Leave out what no later step needs (file contents already "
    "acted on, noise). Reply with the summary only."
)


@dataclass(frozen=True)
class Summarizer:
    """Who writes the summaries: `provider/model` and its provider."""

    model: str
    provider: ChatProvider


class Compactor:
    """One task's context budget: the prompt for the next call, compacted first when it would not fit."""

    def __init__(self, task: Task, store: Store, emit: EventSink, summarizers: list[Summarizer], window: int) -> None:
        self.task = task
        self._store = store
        self._emit = emit
        self._summarizers = summarizers
        self.budget = prompt_budget(window)
        self._sent = 0  # characters of the last prompt, for the next reply's usage to correct the ratio
        self._tools = (0, 0)  # id of the tool list sent, and its characters: it is the same list at every step

    @property
    def memory(self) -> Memory:
        return self.task.state.memory

    def tokens(self, chars: int) -> int:
        return estimate_tokens(chars, self.memory.chars_per_token)

    async def prompt(
        self, history: History, steps: list[Step], tools: list[dict[str, Any]] | None
    ) -> list[ChatMessage]:
        """The messages to send; the oldest steps are summarised first when they would pass the budget."""
        fixed = self._tool_chars(tools)
        messages, chars = history.messages(steps, self.memory)
        if self.tokens(chars + fixed) > self.budget and await self._compact(history, steps, chars + fixed):
            messages, chars = history.messages(steps, self.memory)
        self._sent = chars + fixed
        return messages

    def _tool_chars(self, tools: list[dict[str, Any]] | None) -> int:
        if not tools:
            return 0
        if self._tools[0] != id(tools):
            self._tools = (id(tools), len(json.dumps(tools)))
        return self._tools[1]

    def observe(self, reply: ChatReply) -> None:
        """A reply's reported prompt tokens correct the characters-per-token estimate."""
        memory = self.memory
        memory.chars_per_token = corrected_ratio(self._sent, reply.prompt_tokens, memory.chars_per_token)

    def _cut(self, history: History, steps: list[Step], chars: int) -> int:
        """The first step that stays verbatim: the newest ones that fit KEEP_SHARE of what the steps may use."""
        settled = history.settled(steps, self.memory)
        in_steps = sum(size for _, size in settled)
        room = max(self.budget - self.tokens(chars - in_steps), 0) * KEEP_SHARE
        kept = 0
        cut = settled[-1][0] if settled else self.memory.compacted
        for index, size in reversed(settled[1:]):
            kept += self.tokens(size)
            if kept > room:
                break
            cut = index
        return cut

    async def _compact(self, history: History, steps: list[Step], chars: int) -> bool:
        memory = self.memory
        cut = self._cut(history, steps, chars)
        if cut <= memory.compacted:
            return False  # the newest step alone passes the budget: nothing older is left to summarise
        merge = self.tokens(sum(len(s.text) for s in memory.summaries)) > self.budget * SUMMARIES_SHARE
        earlier = memory.summaries if merge else []
        text, model, usage = await self._summarise(earlier, steps[memory.compacted : cut])
        first = earlier[0].first if earlier else memory.compacted
        summary = Summary(first=first, end=cut, text=text, model=model, at_step=len(steps), usage=usage)
        memory.summaries = ([] if merge else memory.summaries) + [summary]
        memory.compacted = cut
        self.task.state.usage = self.task.state.usage + usage
        await self._store.save_task(self.task)
        self._emit(Compacted(task_id=self.task.id, summary=summary))
        return True

    async def _summarise(self, earlier: list[Summary], steps: list[Step]) -> tuple[str, str, Usage]:
        request = [
            ChatMessage(role="system", content=SUMMARY_PROMPT),
            ChatMessage(role="user", content=summary_request(self.task, earlier, steps)),
        ]
        error: LLMError | None = None
        for summarizer in self._summarizers:
            model = summarizer.model.partition("/")[2]
            try:
                reply = await summarizer.provider.chat(model, request, None)
            except LLMError as e:  # the fast model is out: the smart one writes it
                error = e
                continue
            usage = usage_of(summarizer.model, reply)
            return reply.content.strip() or "(the summary came back empty)", summarizer.model, usage
        assert error is not None
        raise error


def summary_request(task: Task, earlier: list[Summary], steps: list[Step]) -> str:
    """What the summariser reads: the goal, the summaries it replaces, then each step and what it observed."""
    parts = [f"The agent's task: {task.goal}"]
    parts += [f"Summary of steps {s.first + 1}-{s.end}:\n{s.text}" for s in earlier]
    for step in steps:
        call = step.proposal.tool_call if step.proposal else None
        action = f"{call.name}({json.dumps(call.arguments, ensure_ascii=False)})" if call else "(unusable reply)"
        thoughts = f"\nThoughts: {step.proposal.thoughts}" if step.proposal and step.proposal.thoughts else ""
        parts.append(f"Step {step.index + 1}: {action}{thoughts}\nResult: {observation(step)}")
    return "\n\n".join(parts)

"""The system prompt and the conversation history, rebuilt from the store's steps within a budget."""

from __future__ import annotations

import json
from typing import Any

from autogpt_ls.agent.editor import context_section, introduced
from autogpt_ls.agent.parsing import JSON_FORMAT
from autogpt_ls.agent.rules import rules_section
from autogpt_ls.llm.base import ChatMessage, PastStep, WireToolCall
from autogpt_ls.models import DecisionKind, DecisionSource, Step, StepStatus
from autogpt_ls.task_models import Memory, Rule, Task
from autogpt_ls.tools import staging

NO_BACKGROUND_JOBS = (
    "You can only act proactively: you cannot start background jobs or wait for events; every process a command "
    "starts ends when the command returns."
)
BACKGROUND_JOBS = (  # ALLOW_BACKGROUND_JOBS, as the task was created with
    "You can only act proactively: you cannot wait for events. Processes a command leaves running keep running "
    "until the task ends; the command's output lists them."
)
DEFAULT_CONSTRAINTS = [
    "Exclusively use the tools listed; call exactly one tool per reply.",
    "All file paths are relative to the workspace folder; you cannot reach files outside it.",
    NO_BACKGROUND_JOBS,
    "The user reviews every action before it runs and may reject it or give feedback instead; follow it.",
]
DEFAULT_RESOURCES = [
    "The workspace folder and its files, through the file tools.",
    "Shell and Python execution, when the user's setup allows it.",
    "The user, through ask_user, only when you cannot go on without them.",
]
DEFAULT_BEST_PRACTICES = [
    "Continuously review and analyse your actions to ensure you are performing to the best of your abilities.",
    "Constructively self-criticise your big-picture behaviour constantly.",
    "Every action has a cost, so be smart and efficient; aim to complete the goal in the fewest steps.",
    "Read a file before you change it; prefer replace_in_file for small edits to existing files.",
    "Call finish as soon as the goal is achieved.",
]
MAX_OBSERVATION_CHARS = 6_000
_REWINDS = (DecisionKind.UNDO, DecisionKind.REDO)


def _numbered(items: list[str]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


def system_prompt(
    task: Task, tool_specs: list[dict[str, Any]], native_tools: bool, rules: tuple[Rule, ...] = ()
) -> str:
    profile, prompt = task.config.profile, task.config.prompt
    constraints = prompt.constraints or DEFAULT_CONSTRAINTS
    if task.config.background_jobs:
        constraints = [BACKGROUND_JOBS if c == NO_BACKGROUND_JOBS else c for c in constraints]
    sections = [
        f"You are {profile.ai_name}, {profile.ai_role}.",
        "Your decisions must always be made independently; play to your strengths as an LLM and pursue simple "
        "strategies with no legal complications.",
        "## Constraints\n" + _numbered(constraints),
        "## Resources\n" + _numbered(prompt.resources or DEFAULT_RESOURCES),
        "## Best practices\n" + _numbered(prompt.best_practices or DEFAULT_BEST_PRACTICES),
    ]
    if native_tools:
        sections.append(
            "## How to respond\nFirst write your thoughts briefly: what you observed, your plan, your "
            "self-criticism. Then call exactly one tool."
        )
    else:
        tools = "\n".join(
            f"- {t['name']}: {t['description']} Parameters: {json.dumps(t['parameters'])}" for t in tool_specs
        )
        sections.append(
            f"## Tools\n{tools}\n\n## How to respond\nReply with only one JSON object of the form {JSON_FORMAT}"
        )
    if rules:
        sections.append(rules_section(rules))
    return "\n\n".join(sections)


def task_message(task: Task) -> str:
    goals = task.config.profile.ai_goals
    text = f"Your task: {task.goal}"
    if goals and goals != [task.goal]:
        text += "\n\nGoals:\n" + _numbered(goals)
    return text + context_section(task.context)


def _clip(text: str) -> str:
    if len(text) <= MAX_OBSERVATION_CHARS:
        return text
    half = MAX_OBSERVATION_CHARS // 2
    return f"{text[:half]}\n[... {len(text) - MAX_OBSERVATION_CHARS} characters cut ...]\n{text[-half:]}"


def observation(step: Step) -> str:
    """What the LLM is told happened to its proposal."""
    if step.status == StepStatus.FEEDBACK and step.decision and step.decision.kind in _REWINDS and step.result:
        text = step.result.output  # the proposal was discarded by an undo or redo: what was rolled back
    elif step.status == StepStatus.UNDONE:
        files = ", ".join(step.changes.files) if step.changes else ""
        text = f"This action ran, then the user undid it: its file changes were rolled back ({files or 'none'})."
    elif step.status == StepStatus.FEEDBACK and step.decision and step.decision.source == DecisionSource.RULE:
        text = step.decision.text  # the loop guard did not run it, and says why
    elif step.status == StepStatus.FEEDBACK and step.decision:
        text = f"The user did not run this action and gave feedback instead: {step.decision.text}"
    elif step.status == StepStatus.REVISED and step.result:
        text = (  # self-feedback: the critique of this proposal, made before the user decided
            "This action was not run: before the user decided, you reviewed it (self-feedback) and found:\n"
            f"{step.result.output}\nPropose the next action in the light of this review."
        )
    elif step.status == StepStatus.REJECTED:
        text = "The user rejected this action and stopped the task. It was not run."
    elif step.status == StepStatus.INTERRUPTED:
        text = "This action was interrupted; it may or may not have taken effect. Check before repeating it."
    elif step.result is None:
        text = "No result was recorded."
    else:
        text = step.result.output if step.result.ok else f"Error: {step.result.output}"
    if step.proposal and step.proposal.ignored_calls:
        text += (
            "\n(Only your first tool call was used; these were ignored: "
            + ", ".join(step.proposal.ignored_calls)
            + ". Call one tool per reply.)"
        )
    return _clip(text) + introduced(step.diagnostics)  # after the cut: the new errors always reach the LLM


def _step_messages(step: Step, native_tools: bool) -> list[ChatMessage]:
    told = observation(step)
    if step.status == StepStatus.INVALID or step.proposal is None:
        refused = _clip(step.raw_reply) or "(empty reply)"
        return [
            ChatMessage(role="assistant", content=refused, step=PastStep(refused=refused, observation=told)),
            ChatMessage(role="user", content=told),
        ]
    call = step.proposal.tool_call
    if call.name == staging.APPLY:  # the driver's proposal, not the LLM's: told as what the user decided
        return [ChatMessage(role="user", content=_clip(staging.told(step)))]
    failed = step.status == StepStatus.DONE and step.result is not None and not step.result.ok
    past = PastStep(name=call.name, arguments=call.arguments, failed=failed, observation=told)
    if native_tools:
        wire = WireToolCall(id=call.id, name=call.name, arguments=json.dumps(call.arguments))
        return [
            ChatMessage(role="assistant", content=step.proposal.thoughts, tool_calls=[wire], step=past),
            ChatMessage(role="tool", tool_call_id=call.id, content=told),
        ]
    proposal = {
        "thoughts": step.proposal.thoughts,
        "use_tool": {"name": call.name, "arguments": call.arguments},
    }
    return [
        ChatMessage(role="assistant", content=json.dumps(proposal), step=past),
        ChatMessage(role="user", content=f"Result of {call.name}: {told}"),
    ]


def kept_fact(step: Step) -> str | None:
    """What of a step outlives its compaction word for word: the user's feedback, an answer, a pinned fact."""
    decision, call = step.decision, step.proposal.tool_call if step.proposal else None
    if step.status == StepStatus.FEEDBACK and decision is not None and decision.text and not decision.auto:
        return f"The user's feedback at step {step.index + 1}: {decision.text}"
    if decision is not None and decision.kind == DecisionKind.ANSWER and call is not None:
        return f"You asked {call.arguments.get('question', '')!r}; the user answered: {decision.text}"
    if call is not None and call.name == "remember" and step.status == StepStatus.DONE:
        return f"You pinned: {call.arguments.get('fact', '')}"
    return None


def plan_text(steps: list[Step]) -> str | None:
    """The plan as the last `todo` step among `steps` left it, word for word (its observation lists it all)."""
    for step in reversed(steps):
        call = step.proposal.tool_call if step.proposal else None
        ran = step.status == StepStatus.DONE and step.result is not None and step.result.ok
        if ran and call is not None and call.name == "todo":
            return step.result.output  # type: ignore[union-attr]
    return None


def context_message(task: Task, steps: list[Step], memory: Memory) -> str:
    """Part (2) of the prompt: the task, the kept facts, the plan and the summaries of the compacted steps.
    The plan here is the one the compacted steps left: a `todo` step since shows the newer one in part (3)."""
    parts = [task_message(task)]
    compacted = steps[: memory.compacted]
    facts = [fact for step in compacted if (fact := kept_fact(step))]
    if facts:
        parts.append(
            "## Kept facts (the user's own words and what you pinned, never summarised)\n"
            + "\n".join(f"- {fact}" for fact in facts)
        )
    if plan := plan_text(compacted):
        parts.append(f"## Your plan, as your last todo call left it (never summarised)\n{plan}")
    for summary in memory.summaries:
        parts.append(f"## Summary of steps {summary.first + 1}-{summary.end} (no longer shown)\n{summary.text}")
    return "\n\n".join(parts)


class History:
    """The prompt for each LLM call, in three parts: (1) the system prompt, fixed for the task; (2) the task,
    the kept facts and the summaries, changed only by a compaction; (3) the steps since, verbatim and
    append-only. So each prompt starts with the previous one, byte for byte, until a compaction (provider
    prompt caches hit), and a settled step is rendered once, and forgotten when it is compacted: it costs the same
    as the 3rd or the 300th."""

    def __init__(
        self, task: Task, tool_specs: list[dict[str, Any]], native_tools: bool, rules: tuple[Rule, ...] = ()
    ) -> None:
        self._task = task
        self._native_tools = native_tools
        system = system_prompt(task, tool_specs, native_tools, rules)
        self._system = ChatMessage(role="system", content=system, cache_break=True)
        self._context: tuple[int, ChatMessage] | None = None
        self._rendered: dict[tuple[str, StepStatus], tuple[list[ChatMessage], int]] = {}

    def _render(self, step: Step) -> tuple[list[ChatMessage], int]:
        key = (step.id, step.status)
        if key not in self._rendered:
            messages = _step_messages(step, self._native_tools)
            self._rendered[key] = (messages, sum(len(m.content) + len(str(m.tool_calls)) for m in messages))
        return self._rendered[key]

    def _head(self, steps: list[Step], memory: Memory) -> list[ChatMessage]:
        if self._context is None or self._context[0] != memory.compacted:
            shown = {s.id for s in steps[memory.compacted :]}  # the compacted steps' renderings are not sent again
            self._rendered = {key: value for key, value in self._rendered.items() if key[0] in shown}
            text = context_message(self._task, steps, memory)
            context = ChatMessage(role="user", content=text, goal=self._task.goal, cache_break=True)
            self._context = (memory.compacted, context)
        return [self._system, self._context[1]]

    def settled(self, steps: list[Step], memory: Memory) -> list[tuple[int, int]]:
        """(index, characters) of each step of part (3): every decided step since the last compaction."""
        return [(s.index, self._render(s)[1]) for s in steps[memory.compacted :] if s.status != StepStatus.AWAITING]

    def messages(self, steps: list[Step], memory: Memory | None = None) -> tuple[list[ChatMessage], int]:
        """The prompt's messages and their characters."""
        memory = memory or Memory()
        head = self._head(steps, memory)
        chars = sum(len(m.content) for m in head)
        tail: list[ChatMessage] = []
        for step in steps[memory.compacted :]:
            if step.status != StepStatus.AWAITING:
                rendered, size = self._render(step)
                tail += rendered
                chars += size
        return head + tail, chars

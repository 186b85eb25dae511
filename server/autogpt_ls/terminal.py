"""The terminal front end: prints proposals and results, reads AutoGPT's answers from stdin line by line.

Reading plain lines (not a TTY prompt) keeps it scriptable: `printf 'y\\nn\\n' | autogpt-ls run ...` works,
and end of input counts as `n`.
"""

from __future__ import annotations

import asyncio
import difflib
import sys
from typing import TextIO

from rich.console import Console
from rich.status import Status
from rich.text import Text

from autogpt_ls.agent.decisions import ReservedAnswer, parse_answer
from autogpt_ls.agent.events import (
    CommandOutput,
    Compacted,
    Event,
    Preparing,
    ProposalMade,
    RewindRefused,
    StepCompleted,
    TaskEnded,
    Thinking,
    ThinkingDelta,
)
from autogpt_ls.agent.rules import listing
from autogpt_ls.agent.undo import change_notes
from autogpt_ls.changes import ChangeSet, FileChange, Preview
from autogpt_ls.llm.providers.local import NOTICE
from autogpt_ls.models import Decision, DecisionKind, Step, StepStatus
from autogpt_ls.secrets_mask import NO_SECRETS, SecretMask
from autogpt_ls.task_models import Rule, Summary, Task, TaskStatus
from autogpt_ls.tools.mcp import McpStart
from autogpt_ls.tools.registry import ToolRegistry

PROMPT = (
    "Approve? y = run it, y -N = run it and the next N-1, n = stop, s = self-feedback, undo [N] / redo (undo! "
    "forces), anything else = feedback: "
)
GUARD_ANSWERS = "y = run it anyway, n = stop, rethink = tell the agent to change its approach, text = feedback."
MAX_SHOWN = 4000
EXIT_CODES = {TaskStatus.FINISHED: 0, TaskStatus.STOPPED: 3, TaskStatus.FAILED: 1}


def unified_diff(change: FileChange) -> str:
    if change.binary:
        return f"Binary file {change.path} {change.change}\n"
    before = (change.before or "").splitlines(keepends=True)
    after = (change.after or "").splitlines(keepends=True)
    old = "/dev/null" if change.before is None else f"a/{change.path}"
    new = "/dev/null" if change.after is None else f"b/{change.path}"
    lines = difflib.unified_diff(before, after, fromfile=old, tofile=new)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


class Terminal:
    """Renders core events and asks for decisions; markup is off because every text shown is untrusted.

    Secrets are masked in every line said, e.g. a diff of a file that holds a key (tool output is masked at
    the source, Tool.run).
    """

    def __init__(
        self, tools: ToolRegistry, stdin: TextIO = sys.stdin, secrets: SecretMask = NO_SECRETS, debug: bool = False
    ) -> None:
        self._tools = tools
        self._debug = debug
        self._secrets = secrets
        self._stdin = stdin
        self.console = Console(markup=False, highlight=False, soft_wrap=True)
        self._streamed = ""  # the LLM's text printed so far for the step being thought about
        self._spinner: Status | None = None
        self._prepared = ""  # the step whose preparation was announced

    def _say(self, text: str, style: str = "") -> None:
        self.console.print(Text(self._secrets(text), style=style))

    def _preview(self, preview: Preview | None) -> None:
        if isinstance(preview, ChangeSet):
            for change in preview.files:
                diff = unified_diff(change) or f"(no change to {change.path})\n"
                for line in diff.splitlines():
                    style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
                    self._say(line, style)
        elif preview is not None:
            self._say(f"Command ({preview.language}), runs {preview.where}:", "bold")
            self._say(preview.command, "yellow")

    def say_start(self, task: Task) -> None:
        self._say(f"Task {task.id}: {task.goal}", "bold")
        fast = f" (fast: {task.config.fast_llm})" if task.config.fast_llm else ""
        self._say(f"Workspace: {task.workspace}   model: {task.config.smart_llm}{fast}", "dim")
        if task.config.smart_llm.startswith("local/"):
            self._say(NOTICE, "yellow")
        if task.config.staging_note:
            self._say(task.config.staging_note, "yellow")
        elif task.config.stage_changes:
            self._say(
                "Commands run on a staged copy: their file changes are shown for review before they apply.", "dim"
            )

    def note(self, text: str) -> None:
        """A line from beside the task (speak mode), dim."""
        self._say(text, "dim")

    def say_rules(self, rules: tuple[Rule, ...]) -> None:
        """Which of the project's rules files the agent follows (RULES_FILES lists the candidates)."""
        if shown := listing(rules):
            self._say(shown, "dim")

    def say_mcp(self, started: McpStart) -> None:
        """MCP servers that failed, the tools the others offer, and a workspace config not trusted yet."""
        if started.untrusted is not None:
            self._say(
                f"The workspace's MCP config {started.untrusted} is not trusted, so its servers were not started: "
                f"review it, then run `autogpt-ls mcp trust {started.workspace}`.",
                "yellow",
            )
        if started.hub is None:
            return
        for name, error in started.hub.failures.items():
            self._say(f"MCP server {name} failed to start: {error}", "red")
        if names := [t.name for t in started.hub.tools()]:
            self._say(f"MCP tools: {', '.join(names)}", "dim")

    def show(self, event: Event) -> None:
        if not isinstance(event, (Thinking, Preparing)):
            self._stop_spinner()
        if isinstance(event, Thinking) and self.console.is_terminal:
            self._spinner = self.console.status(f"step {event.step_index + 1}: thinking...")
            self._spinner.start()  # a small local model can take a while to load and answer
        elif isinstance(event, ThinkingDelta):
            self._stream(event.text)
        elif isinstance(event, ProposalMade):
            proposal = event.step.proposal
            assert proposal is not None
            streamed = self._end_stream()
            self._say(f"\n== Step {event.step.index + 1}: {proposal.tool_call.name}", "bold cyan")
            if proposal.thoughts and proposal.thoughts != streamed:
                self._say(f"Thoughts: {proposal.thoughts}", "italic")
            args = ", ".join(f"{k}={v!r}" for k, v in proposal.tool_call.arguments.items())
            self._say(f"Proposed: {proposal.tool_call.name}({args[:MAX_SHOWN]})")
            self._preview(event.preview)
            if event.guard:
                self._guarded(event)
            elif event.auto:
                self._say(f"(approved automatically: {event.approved_by})", "dim")
        elif isinstance(event, CommandOutput):
            self.console.out(event.text, end="", highlight=False)
        elif isinstance(event, Preparing):
            self._preparing(event)
        elif isinstance(event, StepCompleted):
            self._completed(event.step)
            self._changes(event.step)
        elif isinstance(event, RewindRefused):
            self._say(event.message, "yellow")
        elif isinstance(event, Compacted):
            self._compacted(event.summary)
        elif isinstance(event, TaskEnded):
            style = "bold green" if event.task.status == TaskStatus.FINISHED else "bold red"
            self._say(f"\nTask {event.task.status}: {event.task.end_reason}", style)
            self._say(f"Task id: {event.task.id}   cost: {_cost(event.task.state.usage.cost_usd)}", "dim")

    def _preparing(self, event: Preparing) -> None:
        """A spinner with the latest news on a terminal (a first build can take minutes); else its start and end."""
        line = f"{event.title}: {event.message}"
        if event.done:
            self._stop_spinner()
            self._say(line, "dim")
        elif self._spinner is not None:
            self._spinner.update(line)
        elif self.console.is_terminal:
            self._spinner = self.console.status(line)
            self._spinner.start()
        elif self._prepared != event.step_id:  # not a terminal: its first line only
            self._prepared = event.step_id
            self._say(f"{line}...", "dim")

    def _stop_spinner(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def _stream(self, text: str) -> None:
        """The LLM's reply as it arrives, flushed at once so the user reads along."""
        self.console.out(text, end="", style="italic", highlight=False)
        self.console.file.flush()
        self._streamed += text

    def _end_stream(self) -> str:
        streamed, self._streamed = self._streamed.strip(), ""
        if streamed:
            self.console.out("")
        return streamed

    def _completed(self, step: Step) -> None:
        self._end_stream()
        usage = f"tokens {step.usage.prompt_tokens}+{step.usage.completion_tokens}, {_cost(step.usage.cost_usd)}"
        if step.status == StepStatus.INVALID:
            self._say(f"\n== Step {step.index + 1}: unusable LLM reply ({usage})", "bold red")
        if step.status == StepStatus.REVISED and step.result is not None:
            self._say(f"Self-feedback on step {step.index + 1} (not run; the agent proposes again):", "bold magenta")
            self._say(step.result.output, "magenta")
        elif step.result is not None:
            text = step.result.output
            text = text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + " [...]"
            self._say(("Result: " if step.result.ok else "Error: ") + text, "" if step.result.ok else "red")
        elif step.status == StepStatus.FEEDBACK:
            self._say("Feedback sent to the agent.", "dim")

    def _guarded(self, event: ProposalMade) -> None:
        if event.auto:
            self._say(f"(loop guard: {event.guard}; not run, the agent is told why)", "yellow")
        else:
            self._say(f"Loop guard: {event.guard}. It waits for you: {GUARD_ANSWERS}", "bold yellow")

    def _compacted(self, summary: Summary) -> None:
        """A compaction is never silent; its summary is shown with --debug."""
        self._end_stream()
        cost = _cost(summary.usage.cost_usd)
        self._say(
            f"(context compacted: steps {summary.first + 1}-{summary.end} summarised by {summary.model}, {cost})", "dim"
        )
        if self._debug:
            self._say(f"Summary: {summary.text}", "dim")

    def _changes(self, step: Step) -> None:
        """The files a step changed, from its checkpoints, and what undo cannot restore."""
        for note in change_notes(step.changes):
            self._say(note, "yellow" if note.startswith("(no checkpoint") else "dim")

    async def ask(self, step: Step) -> Decision:
        """Read lines until one is a usable answer; end of input means `n`."""
        assert step.proposal is not None
        tool = self._tools.get(step.proposal.tool_call.name)
        kind = tool.kind if tool else "read"
        if kind == "ask_user":
            self._say(f"\nThe agent asks: {step.proposal.tool_call.arguments.get('question', '')}", "bold")
        while True:
            self.console.print("Your answer: " if kind == "ask_user" else PROMPT, end="")
            self.console.file.flush()
            line = await asyncio.to_thread(self._stdin.readline)
            if not line:
                self._say("\n(end of input: stopping)", "dim")
                return Decision(kind=DecisionKind.REJECT)
            if not self._stdin.isatty():
                self._say(line.rstrip("\n"))  # echo scripted answers, so the transcript reads as a dialogue
            if not line.strip() and kind != "ask_user":
                continue
            try:
                return parse_answer(line, kind)
            except ReservedAnswer as e:
                self._say(str(e), "yellow")


def _cost(cost: float | None) -> str:
    return "cost unknown" if cost is None else f"${cost:.4f}"

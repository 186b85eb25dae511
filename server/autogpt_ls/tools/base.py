"""A tool is a typed async function; its JSON schema and argument validation come from its signature."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from autogpt_ls.changes import Preview
from autogpt_ls.executors.base import Executor, OutputCallback, Progress, ProgressCallback
from autogpt_ls.models import Result, ToolKind
from autogpt_ls.secrets_mask import NO_SECRETS, SecretMask
from autogpt_ls.task_models import PlanItem


class ToolRefused(ValueError):
    """A call that is well-formed but not allowed; the message goes to the LLM."""


class ShellPolicy(BaseModel):
    mode: Literal["allowlist", "denylist"] = "denylist"
    allowlist: list[str] = Field(default_factory=list)
    denylist: list[str] = Field(default_factory=lambda: ["sudo", "su"])
    timeout_seconds: float = 120.0


Buffers = Callable[[Path], str | None]
AskLLM = Callable[[str, str], Awaitable[str]]


def no_buffers(_path: Path) -> str | None:
    return None


@dataclass
class ToolContext:
    """What a tool may use: the task's executor (which confines paths) and the user's policy.

    `secrets` masks what a tool returns or streams (Tool.run), so a command that prints the server's
    environment or config `.env` shows the LLM, the store and the screen `***` instead of a key.
    """

    executor: Executor
    shell: ShellPolicy = field(default_factory=ShellPolicy)
    on_output: OutputCallback | None = None
    on_progress: ProgressCallback | None = None
    answer: str = ""
    # An editor's open buffers: previews and checks see the text the user sees, unsaved changes included.
    buffers: Buffers = no_buffers
    secrets: SecretMask = NO_SECRETS
    plan: list[PlanItem] = field(default_factory=list)  # the task's own todo list (its state), changed by `todo`
    network: bool = False  # the task has network access (clone_repository from a URL)
    # FAST_LLM for a tool's own question, e.g. read_webpage's: (system, text) -> the reply's text
    ask_llm: AskLLM | None = None


Runner = Callable[..., Awaitable[Result]]
Hook = Callable[[ToolContext, Any], Any]


@dataclass
class Tool:
    name: str
    description: str
    category: str
    kind: ToolKind
    params: type[BaseModel]
    runner: Runner
    checker: Hook | None = None
    previewer: Hook | None = None
    writes: bool = False  # changes workspace files though not of kind write or command (generate_image): checkpointed

    def schema(self) -> dict[str, Any]:
        """The parameters' JSON schema, as function-calling APIs want it."""
        schema = self.params.model_json_schema()
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        schema.pop("title", None)
        inlined: dict[str, Any] = _inlined(schema, schema.pop("$defs", {}))
        return inlined

    def validate(self, arguments: dict[str, Any]) -> BaseModel:
        return self.params.model_validate(arguments)

    def check(self, ctx: ToolContext, args: BaseModel) -> None:
        """Refuse (ToolRefused or a path error) before the human is even asked."""
        if self.checker:
            self.checker(ctx, args)

    def preview(self, ctx: ToolContext, args: BaseModel) -> Preview | None:
        return self.previewer(ctx, args) if self.previewer else None

    async def run(self, ctx: ToolContext, args: BaseModel) -> Result:
        """The one way a tool runs: what it streams and what it returns are masked before anyone sees them."""
        stream = ctx.secrets.stream(ctx.on_output) if ctx.on_output else None
        progress = _masked_progress(ctx)
        try:
            result = await self.runner(
                replace(ctx, on_output=stream.write if stream else None, on_progress=progress), **dict(args)
            )
        finally:
            if stream:
                stream.close()
        return result.model_copy(update={"output": ctx.secrets(result.output)})


def _masked_progress(ctx: ToolContext) -> ProgressCallback | None:
    report, mask = ctx.on_progress, ctx.secrets
    if report is None:
        return None
    return lambda p: report(Progress(title=mask(p.title), message=mask(p.message), done=p.done))


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """`schema` with each `$ref` to a nested model replaced by its definition: the JSON-reply prompt and the local
    model embed a tool's schema inside a larger one, where a `#/$defs/...` reference would no longer resolve."""
    if isinstance(schema, list):
        return [_inlined(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _inlined({k: v for k, v in defs[schema["$ref"].rpartition("/")[2]].items() if k != "title"}, defs)
    return {key: _inlined(value, defs) for key, value in schema.items()}


def tool(
    name: str,
    category: str,
    kind: ToolKind,
    *,
    check: Hook | None = None,
    preview: Hook | None = None,
    writes: bool = False,
) -> Callable[[Runner], Tool]:
    """Turn `async def f(ctx, a: Annotated[str, Field(description=...)], ...)` into a Tool."""

    def wrap(func: Runner) -> Tool:
        hints = get_type_hints(func, include_extras=True)
        fields: dict[str, Any] = {}
        for pname, param in list(inspect.signature(func).parameters.items())[1:]:
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[pname] = (hints[pname], default)
        params = create_model(f"{name}_args", __config__=ConfigDict(extra="ignore"), **fields)
        doc = inspect.getdoc(func) or name
        return Tool(name, doc, category, kind, params, func, check, preview, writes)

    return wrap

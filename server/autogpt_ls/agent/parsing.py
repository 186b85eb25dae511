"""Turn an LLM reply into one validated Proposal, or an UnusableReply message that goes back to the LLM."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from autogpt_ls.llm.base import BadArguments, ChatReply, arguments_object, decode_arguments
from autogpt_ls.models import Proposal, ToolCall
from autogpt_ls.tools.registry import ToolRegistry

JSON_FORMAT = '{"thoughts": "<your reasoning>", "use_tool": {"name": "<tool name>", "arguments": {<arguments>}}}'


class UnusableReply(ValueError):
    """The reply cannot become a proposal; str(e) tells the LLM what was wrong and what to send instead."""


def _json_object(text: str) -> dict[str, Any] | None:
    """The JSON object in a reply, tolerating code fences or prose around it."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(text[start : end + 1])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _thoughts(value: Any) -> str:
    """AutoGPT's thoughts may be a string or a mapping (text, reasoning, plan, criticism)."""
    if isinstance(value, dict):
        return "\n".join(f"{k}: {v}" for k, v in value.items() if v)
    return "" if value is None else str(value)


def _from_content(content: str) -> tuple[str, str, Any]:
    data = _json_object(content)
    if data is None:
        raise UnusableReply(
            "Your reply contained no tool call. Call exactly one tool, or reply with JSON of the form " + JSON_FORMAT
        )
    use = data.get("use_tool") or data.get("command")
    if not isinstance(use, dict) or not isinstance(use.get("name"), str):
        raise UnusableReply(f"Your JSON reply has no use_tool.name. Reply with JSON of the form {JSON_FORMAT}")
    arguments = use.get("arguments", use.get("args", {}))
    return _thoughts(data.get("thoughts")), use["name"], arguments


def parse_reply(reply: ChatReply, tools: ToolRegistry) -> Proposal:
    native = reply.tool_calls[0] if reply.tool_calls else None
    if native:
        thoughts, name, given = reply.content, native.name, None
    else:
        thoughts, name, given = _from_content(reply.content)
    tool = tools.offered(name)
    if tool is None and tools.is_disabled(name):
        raise UnusableReply(
            f"The tool {name!r} is disabled by the user's settings (DISABLED_COMMANDS, DISABLED_COMMAND_CATEGORIES). "
            f"The tools you can use are: {', '.join(tools.names())}."
        )
    if tool is None:
        raise UnusableReply(f"Unknown tool {name!r}. The tools you can use are: {', '.join(tools.names())}.")
    try:
        arguments = decode_arguments(native.arguments) if native else arguments_object(given)
    except BadArguments as e:
        raise UnusableReply(f"The arguments of your {name} call {e}.") from None
    try:
        validated = tool.validate(arguments)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc'])) or name}: {err['msg']}" for err in e.errors())
        raise UnusableReply(f"Invalid arguments for {name}: {problems}.") from None
    call = ToolCall(name=name, arguments=validated.model_dump())
    if native and native.id:
        call.id = native.id
    return Proposal(thoughts=thoughts.strip(), tool_call=call, ignored_calls=[c.name for c in reply.tool_calls[1:]])

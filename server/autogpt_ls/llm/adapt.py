"""Message shapes some models insist on: strictly alternating turns, no system role.

Chat templates of small local models (mistral-instruct in llamafile, llama.cpp's jinja templates) reject two
user turns in a row or a system message; Anthropic wants the system prompt apart and tool results in a user turn.
"""

from __future__ import annotations

from autogpt_ls.llm.base import ChatMessage


def merge_consecutive(messages: list[ChatMessage]) -> list[ChatMessage]:
    """Join neighbouring text-only messages of the same role into one (tool calls and results stay apart)."""
    merged: list[ChatMessage] = []
    for message in messages:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.role == message.role
            and message.role in {"user", "assistant", "system"}
            and not (last.tool_calls or message.tool_calls)
        ):
            merged[-1] = last.model_copy(update={"content": f"{last.content}\n\n{message.content}".strip()})
        else:
            merged.append(message)
    return merged


def fold_system(messages: list[ChatMessage]) -> list[ChatMessage]:
    """System messages become the head of the first user turn, for templates that have no system role."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    rest = [m for m in messages if m.role != "system"]
    if not system:
        return rest
    if rest and rest[0].role == "user":
        return [rest[0].model_copy(update={"content": f"{system}\n\n{rest[0].content}"}), *rest[1:]]
    return [ChatMessage(role="user", content=system), *rest]

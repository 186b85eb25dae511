"""A scripted model for the memory challenges that knows only what the request it receives holds.

It follows the newest instruction it can find in the conversation (read the next file, or write what it was
asked to), pins each fact (a task_id, or what `facts` matches) it reads when `pin` is set, and writes the facts it
finds anywhere in the request's messages (or what `answer` makes of the request's text): so a fact the agent's
prompt dropped is a fact missing from the file it writes. Requests for the summary model are summarised from what
they hold, by `keep` (a summariser that keeps only the lines it matches: a lossy one keeps none).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakes.openai_server import Reply, content, tool_call

INSTRUCTION = re.compile(
    r"Read the file (instructions_\d+\.txt)|Write (?:all )?(?:the (?:task_ids?|phrases?)|where each person \w+) "
)
TASK_ID = re.compile(r"task_id is (\d+)")


def texts(request: dict[str, Any]) -> list[str]:
    return [str(m.get("content") or "") for m in request["messages"]]


def usage_of(request: dict[str, Any]) -> tuple[int, int]:
    """Tokens as a tokenizer of ~4 characters a token would count the request (the agent calibrates on them)."""
    return (len(json.dumps(request["messages"])) + len(json.dumps(request.get("tools") or []))) // 4, 20


@dataclass
class ReaderModel:
    summary_model: str  # requests for this model are summary requests
    keep: re.Pattern[str] | None  # the lines a summary keeps; None: a lossy summariser that keeps no line
    pin: bool = False  # pin each fact read with `remember`
    facts: re.Pattern[str] = TASK_ID  # a fact's value is its group 1
    pinned: str = "the task_id is {}"  # how a fact is pinned (so the pinned text matches `facts` again)
    answer: Callable[[str], str] | None = None  # the written file from the request's text; None: the facts found

    def __call__(self, request: dict[str, Any]) -> Reply:
        usage = usage_of(request)
        if request["model"] == self.summary_model:
            return content(self.summarise("\n".join(texts(request)[1:])), usage=usage)
        messages = request["messages"]
        last = str(messages[-1].get("content") or "") if messages[-1]["role"] == "tool" else ""
        if not last:
            return tool_call("read_file", {"filename": "instructions_1.txt"}, usage=usage)
        if last.startswith("Wrote "):
            return tool_call("finish", {"reason": "output.txt is written."}, usage=usage)
        if self.pin and (found := self.facts.search(last)) and not last.startswith("Pinned:"):
            return tool_call("remember", {"fact": self.pinned.format(found.group(1))}, usage=usage)
        instructions = list(INSTRUCTION.finditer("\n".join(texts(request)[2:])))
        if not instructions:
            return content("I have lost track of what to do.", usage=usage)
        if name := instructions[-1].group(1):
            return tool_call("read_file", {"filename": name}, usage=usage)
        everything = "\n".join(texts(request))
        found = list(dict.fromkeys(self.facts.findall(everything)))
        written = self.answer(everything) if self.answer else "\n".join(found) + "\n"
        return tool_call("write_file", {"filename": "output.txt", "contents": written}, usage=usage)

    def summarise(self, sent: str) -> str:
        files = sorted(set(re.findall(r"instructions_\d+\.txt", sent)), key=lambda f: int(re.sub(r"\D", "", f)))
        lines = [f"The agent read {', '.join(files)} and followed them."]
        if self.keep is not None:
            lines += dict.fromkeys(line.strip() for line in sent.splitlines() if self.keep.search(line))
        return "\n".join(lines)

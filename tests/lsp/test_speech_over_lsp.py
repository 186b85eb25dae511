"""agent/speech over LSP: a pending step's thoughts as a real WAV, made by the terminal's voices (Debian's
espeak-ng, or OpenAI's speech API through a loopback fake of its wire format), secrets masked, measured with sox;
a voice that cannot speak is a clear error and the task goes on."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsp_client import _plain, start_client
from pygls.exceptions import JsonRpcException

from fakes.openai_server import FakeOpenAI, tool_call
from fakes.speech_server import SPEECH_KEY, FakeSpeech

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("AUTOGPT_SPEECH_UNAVAILABLE")), reason=os.environ.get("AUTOGPT_SPEECH_UNAVAILABLE", "")
)
THOUGHTS = "I will write the capital of the United States to answer dot t x t."
WRITE = tool_call("write_file", {"filename": "answer.txt", "contents": "Washington\n"}, thoughts=THOUGHTS)


def seconds(wav: bytes, tmp_path: Path) -> float:
    path = tmp_path / "speech.wav"
    path.write_bytes(wav)
    return float(subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, text=True, check=True).stdout)


async def propose(client: Any, inbox: Any) -> dict[str, str]:
    await client.protocol.send_request_async("agent/run", {"goal": "Write the capital"})
    proposal = await inbox.next("agent/proposal")
    return {"taskId": proposal["taskId"], "stepId": proposal["stepId"]}


async def speak(client: Any, ref: dict[str, str]) -> dict[str, Any]:
    return _plain(await client.protocol.send_request_async("agent/speech", ref))  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def server(env: dict[str, str], workspace: Path) -> AsyncIterator[tuple[Any, Any]]:
    """(client, inbox) of a server started with `env`, as VS Code starts it."""
    client, inbox = await start_client(env, workspace, "visual-studio-code")
    try:
        yield client, inbox
    finally:
        await client.shutdown_session()
        await client.stop()


@contextlib.asynccontextmanager
async def speech_api(env: dict[str, str], workspace: Path) -> AsyncIterator[tuple[Any, Any, FakeSpeech]]:
    """(client, inbox, fake) of a server whose voice is OpenAI's speech API; the fake accepts only SPEECH_KEY."""
    with FakeSpeech(seconds=0.75) as api:
        async with server(env | {"TTS_PROVIDER": "openai", "TTS_BASE_URL": api.url("/v1")}, workspace) as (c, i):
            yield c, i, api


async def test_espeak_says_a_proposals_thoughts_as_a_real_wav(lsp: Any, fake: FakeOpenAI, tmp_path: Path) -> None:
    client, inbox = lsp
    fake.script(WRITE)
    ref = await propose(client, inbox)
    spoken = await speak(client, ref)
    assert (spoken["taskId"], spoken["stepId"]) == (ref["taskId"], ref["stepId"])
    assert (spoken["voice"], spoken["mimeType"]) == ("espeak-ng", "audio/wav")
    assert seconds(base64.b64decode(spoken["data"]), tmp_path) > 2.0  # a long sentence, said


async def test_openai_speech_api_with_secrets_masked(
    agent_env: dict[str, str], workspace: Path, fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.script(tool_call("write_file", {"filename": "k.txt", "contents": "x"}, thoughts=f"The key is {SPEECH_KEY}."))
    async with speech_api(agent_env | {"OPENAI_API_KEY": SPEECH_KEY}, workspace) as (client, inbox, api):
        spoken = await speak(client, await propose(client, inbox))
    assert [json.loads(s.body) for s in api.seen] == [
        {"input": "The key is ***.", "model": "tts-1", "voice": "alloy", "response_format": "wav"}
    ]
    assert spoken["voice"] == "openai" and seconds(base64.b64decode(spoken["data"]), tmp_path) == 0.75


async def test_a_refusing_voice_is_a_clear_error_and_the_step_still_waits(
    agent_env: dict[str, str], workspace: Path, fake: FakeOpenAI
) -> None:
    fake.script(WRITE)
    async with speech_api(agent_env, workspace) as (client, inbox, _api):  # the fake refuses the LLM's key
        ref = await propose(client, inbox)
        with pytest.raises(JsonRpcException, match=r"speak mode \(openai\): openai speech: HTTP 401: Incorrect API"):
            await speak(client, ref)
        decided = _plain(await client.protocol.send_request_async("agent/approveStep", ref))
    assert decided["decision"] == "approve"


async def test_a_missing_step_or_voice_is_a_clear_error(lsp: Any, fake: FakeOpenAI) -> None:
    client, inbox = lsp
    fake.script(WRITE)
    ref = await propose(client, inbox)
    with pytest.raises(JsonRpcException, match="unknown step 'nope'"):
        await speak(client, ref | {"stepId": "nope"})
    with pytest.raises(JsonRpcException, match="stepId: Field required"):
        await client.protocol.send_request_async("agent/speech", {"taskId": ref["taskId"]})
    decided = _plain(await client.protocol.send_request_async("agent/approveStep", ref))
    assert decided["decision"] == "approve"  # the server and the task went on


async def test_no_voice_here_is_a_clear_error(
    agent_env: dict[str, str], workspace: Path, fake: FakeOpenAI, tmp_path: Path
) -> None:
    """The default voice with no espeak-ng on PATH (only git, which checkpoints need)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    fake.script(WRITE)
    async with server(agent_env | {"PATH": str(bin_dir)}, workspace) as (client, inbox):
        ref = await propose(client, inbox)
        with pytest.raises(JsonRpcException, match=r"speak mode \(espeak-ng\): espeak-ng is not installed"):
            await speak(client, ref)
        assert _plain(await client.protocol.send_request_async("agent/approveStep", ref))["decision"] == "approve"


async def test_the_speech_api_with_no_key_is_a_clear_error(
    agent_env: dict[str, str], workspace: Path, fake: FakeOpenAI
) -> None:
    """TTS_PROVIDER=openai with no OPENAI_API_KEY (the LLM is the fake at OPENAI_BASE_URL, which needs none)."""
    env = {k: v for k, v in agent_env.items() if k != "OPENAI_API_KEY"}
    fake.script(WRITE)
    async with speech_api(env, workspace) as (client, inbox, api):
        ref = await propose(client, inbox)
        with pytest.raises(JsonRpcException, match=r"speak mode \(openai\): TTS_PROVIDER=openai needs OPENAI_API_KEY"):
            await speak(client, ref)
        assert _plain(await client.protocol.send_request_async("agent/approveStep", ref))["decision"] == "approve"
    assert api.seen == []

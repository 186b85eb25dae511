"""Speak mode through the real CLI: `--speak` turns each proposal's thoughts (and the task's end) into real WAV
files, by Debian's espeak-ng or OpenAI's speech API (a loopback fake of its wire format), measured with sox; with
no audio device it says so once and keeps the files, and SPEECH_PLAYER plays them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from test_run import FINISH

from fakes.openai_server import FakeOpenAI, tool_call
from fakes.speech_server import SPEECH_KEY, FakeSpeech

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("AUTOGPT_SPEECH_UNAVAILABLE")), reason=os.environ.get("AUTOGPT_SPEECH_UNAVAILABLE", "")
)
THOUGHTS = "I will write the capital of the United States to answer dot t x t."
WRITE = tool_call("write_file", {"filename": "answer.txt", "contents": "Washington\n"}, thoughts=THOUGHTS)


def seconds(path: Path) -> float:
    return float(subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, text=True, check=True).stdout)


def spoken(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "speech").glob("*/*.wav"))


def test_espeak_says_the_thoughts_into_real_audio_files(
    cli, fake: FakeOpenAI, agent_env: dict[str, str], data_dir: Path, workspace: Path
) -> None:
    fake.script(WRITE, FINISH)
    run = cli("Write the capital", "--speak", answers="y\ny\n", env=agent_env)
    assert run.code == 0, run.err
    assert run.out.count("no audio device here, so the spoken thoughts are only saved in") == 1
    files = spoken(data_dir)
    assert [f.name for f in files] == ["001.wav", "002.wav"]  # the thoughts, then how the task ended
    first, ended = (seconds(f) for f in files)
    assert first > 2.0 and 0 < ended < first  # a long sentence, then "Task finished. The file is written."
    assert (workspace / "answer.txt").read_text() == "Washington\n"


def test_speech_player_plays_each_file(
    cli, fake: FakeOpenAI, agent_env: dict[str, str], data_dir: Path, tmp_path: Path
) -> None:
    played = tmp_path / "played.txt"
    player = f"sh -c 'sox --i -D \"$1\" >> {played}' sh {{file}}"
    fake.script(WRITE, FINISH)
    run = cli("Write the capital", "--speak", answers="y\ny\n", env=agent_env | {"SPEECH_PLAYER": player})
    assert run.code == 0, run.err
    assert "no audio device" not in run.out
    durations = [float(line) for line in played.read_text().split()]
    assert durations == [seconds(f) for f in spoken(data_dir)] and len(durations) == 2


def test_openai_speech_api_voice_with_secrets_masked(
    cli, fake: FakeOpenAI, agent_env: dict[str, str], data_dir: Path
) -> None:
    leaky = tool_call("write_file", {"filename": "k.txt", "contents": "x"}, thoughts=f"The key is {SPEECH_KEY}.")
    fake.script(leaky, FINISH)
    with FakeSpeech(seconds=0.75) as speech:
        env = agent_env | {"TTS_PROVIDER": "openai", "TTS_BASE_URL": speech.url("/v1"), "OPENAI_API_KEY": SPEECH_KEY}
        run = cli("Write", "--speak", answers="y\ny\n", env=env)
    assert run.code == 0, run.err
    asked = [json.loads(s.body) for s in speech.seen]
    assert [a["input"] for a in asked] == ["The key is ***.", "Task finished. The file is written."]
    assert {(a["model"], a["voice"], a["response_format"]) for a in asked} == {("tts-1", "alloy", "wav")}
    assert [seconds(f) for f in spoken(data_dir)] == [0.75, 0.75]


def test_a_failing_voice_is_said_once_and_the_task_goes_on(
    cli, fake: FakeOpenAI, agent_env: dict[str, str], workspace: Path
) -> None:
    fake.script(WRITE, FINISH)
    with FakeSpeech() as speech:
        env = agent_env | {"TTS_PROVIDER": "openai", "TTS_BASE_URL": speech.url("/v1")}  # the fake refuses this key
        run = cli("Write the capital", "--speak", answers="y\ny\n", env=env)
    assert run.code == 0, run.err
    assert run.out.count("Speak mode failed: openai speech: HTTP 401: Incorrect API key provided") == 1
    assert (workspace / "answer.txt").read_text() == "Washington\n"

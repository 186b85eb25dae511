"""Speak mode's listener: each proposal's thoughts and how the task ended, synthesized one after another into WAV
files in the data folder (never the workspace) and played when this machine has an audio device, else kept."""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from autogpt_ls.agent.events import Event, ProposalMade, TaskEnded
from autogpt_ls.secrets_mask import SecretMask
from autogpt_ls.settings import ConfigError, Settings
from autogpt_ls.speech.base import SpeechError, Voice
from autogpt_ls.speech.espeak import ESpeak
from autogpt_ls.speech.openai_speech import OpenAISpeech

log = logging.getLogger(__name__)
MAX_CHARS = 1500  # of one utterance: a long thought is cut, not read for minutes


def voice_of(settings: Settings) -> Voice:
    if settings.tts_provider == "openai":
        if settings.openai_api_key is None:
            raise ConfigError("TTS_PROVIDER=openai needs OPENAI_API_KEY")
        key, base_url = settings.openai_api_key.get_secret_value(), settings.tts_base_url or settings.openai_base_url
        return OpenAISpeech(key, base_url, settings.openai_tts_model, settings.openai_tts_voice)
    return ESpeak(settings.espeak_voice)


def utterance(text: str, mask: SecretMask) -> str:
    """What a voice is given to say: secrets masked, a long text cut."""
    return mask(text)[:MAX_CHARS]


def audio_player(settings: Settings, env: Mapping[str, str] = os.environ) -> list[str] | None:
    """The command that plays a WAV here (the file's path replaces `{file}` or is appended): SPEECH_PLAYER, else
    paplay with a PulseAudio server, else aplay or sox's play with an ALSA playback device; None: no device."""
    if settings.speech_player:
        return shlex.split(settings.speech_player)
    runtime = env.get("XDG_RUNTIME_DIR")
    if (env.get("PULSE_SERVER") or (runtime and Path(runtime, "pulse", "native").exists())) and shutil.which("paplay"):
        return ["paplay"]
    if any(Path("/dev/snd").glob("pcmC*D*p")):
        found = next((p for p in ("aplay", "play") if shutil.which(p)), None)
        return [found, "-q"] if found else None
    return None


class Speaker:
    def __init__(
        self, voice: Voice, folder: Path, player: list[str] | None, say: Callable[[str], None], mask: SecretMask
    ) -> None:
        self._voice, self._folder, self._player, self._say, self._mask = voice, folder, player, say, mask
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._count = 0
        self._failed = False

    @classmethod
    def start(cls, settings: Settings, task_id: str, say: Callable[[str], None], mask: SecretMask) -> Speaker:
        folder = settings.data_dir / "speech" / task_id
        folder.mkdir(parents=True, exist_ok=True)
        player = audio_player(settings)
        voice = voice_of(settings)
        if player is None:
            say(f"Speak mode ({voice.name}): no audio device here, so the spoken thoughts are only saved in {folder}")
        return cls(voice, folder, player, say, mask)

    def on_event(self, event: Event) -> None:
        if isinstance(event, ProposalMade) and event.step.proposal and event.step.proposal.thoughts:
            self._enqueue(event.step.proposal.thoughts)
        elif isinstance(event, TaskEnded):
            self._enqueue(f"Task {event.task.status}. {event.task.end_reason or ''}")

    def _enqueue(self, text: str) -> None:
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work())
        self._queue.put_nowait(utterance(text, self._mask))

    async def _work(self) -> None:
        while (text := await self._queue.get()) is not None:
            try:
                path = await self._speak(text)
            except (SpeechError, OSError) as e:
                if not self._failed:  # said once; the task goes on silently
                    self._say(f"Speak mode failed: {e}")
                self._failed = True
                continue
            log.debug("spoke %s", path)

    async def _speak(self, text: str) -> Path:
        self._count += 1
        path = self._folder / f"{self._count:03d}.wav"
        path.write_bytes(await self._voice.wav(text))
        if self._player:
            argv = [a.replace("{file}", str(path)) for a in self._player]
            argv += [] if any("{file}" in a for a in self._player) else [str(path)]
            proc = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
            _, err = await proc.communicate()
            if proc.returncode != 0:
                raise SpeechError(f"{argv[0]} could not play {path}: {err.decode(errors='replace').strip()[:200]}")
        return path

    async def close(self, timeout: float = 60) -> None:
        """Finish what is queued (the last words are said before the program exits)."""
        if self._worker is None:
            return
        self._queue.put_nowait(None)
        try:
            await asyncio.wait_for(self._worker, timeout)
        except TimeoutError:
            self._worker.cancel()

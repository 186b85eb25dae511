"""Debian's espeak-ng, the local default: `espeak-ng -w FILE` writes a WAV of the text read from stdin (a file, not
--stdout, whose streamed header gives no length)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autogpt_ls.speech.base import SpeechError


@dataclass
class ESpeak:
    voice: str = "en"
    words_per_minute: int = 175
    name: str = "espeak-ng"

    async def wav(self, text: str) -> bytes:
        program = shutil.which("espeak-ng")
        if program is None:
            raise SpeechError("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
        with tempfile.TemporaryDirectory(prefix="autogpt-speech-") as folder:
            wav = Path(folder, "speech.wav")
            argv = [program, "-w", str(wav), "-v", self.voice, "-s", str(self.words_per_minute)]
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
            _, err = await proc.communicate(text.encode())  # stdin, not argv: the text may start with '-'
            out = await asyncio.to_thread(_contents, wav)
        if proc.returncode != 0 or not out.startswith(b"RIFF"):
            raise SpeechError(f"espeak-ng failed ({proc.returncode}): {err.decode(errors='replace').strip()[:200]}")
        return out


def _contents(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""

"""A loopback fake of OpenAI's speech API (POST /v1/audio/speech, as the openai SDK sends it): checks the key and
answers with a real WAV of `seconds` of a tone. Every request is recorded (FakeWeb.seen)."""

from __future__ import annotations

import io
import json
import math
import struct
import wave
from dataclasses import dataclass

from fakes.web_server import FakeWeb, Seen

SPEECH_KEY = "sk-speech-k1"


def tone(seconds: float, rate: int = 16000) -> bytes:
    """A mono 16-bit WAV of a 440 Hz tone."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


@dataclass
class FakeSpeech(FakeWeb):
    seconds: float = 0.5

    def answer(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        if seen.path != "/v1/audio/speech":
            return super().answer(seen)
        if seen.headers.get("authorization") != f"Bearer {SPEECH_KEY}":
            body = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
            return 401, {"Content-Type": "application/json"}, json.dumps(body).encode()
        return 200, {"Content-Type": "audio/wav"}, tone(self.seconds)

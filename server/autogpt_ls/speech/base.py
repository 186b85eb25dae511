"""The voice seam: text in, a WAV file's bytes out; a `SpeechError` says what failed."""

from __future__ import annotations

from typing import Protocol


class SpeechError(Exception):
    """A voice's failure, worded for the user."""


class Voice(Protocol):
    name: str

    async def wav(self, text: str) -> bytes: ...

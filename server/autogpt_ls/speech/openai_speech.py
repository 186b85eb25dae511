"""OpenAI's speech API through the openai SDK (`audio.speech.create`, WAV), at OPENAI_BASE_URL or TTS_BASE_URL."""

from __future__ import annotations

from dataclasses import dataclass

from autogpt_ls.llm.openai_errors import refusal_text
from autogpt_ls.speech.base import SpeechError


@dataclass
class OpenAISpeech:
    api_key: str
    base_url: str | None
    model: str
    voice: str
    name: str = "openai"

    async def wav(self, text: str) -> bytes:
        import openai  # lazily: the server starts without the SDK loaded

        client = openai.AsyncOpenAI(api_key=self.api_key, base_url=self.base_url, timeout=60, max_retries=1)
        try:
            reply = await client.audio.speech.create(
                model=self.model, voice=self.voice, input=text, response_format="wav"
            )
            data = reply.content
        except openai.APIStatusError as e:
            raise SpeechError(f"openai speech: HTTP {e.status_code}: {refusal_text(e)}") from None
        except openai.APIError as e:
            raise SpeechError(f"openai speech: {type(e).__name__}: {e.message}") from None
        finally:
            await client.close()
        if not data.startswith(b"RIFF"):
            raise SpeechError(f"openai speech: the reply is not a WAV file ({len(data)} bytes)")
        return data

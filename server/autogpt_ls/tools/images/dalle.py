"""DALL-E through the openai SDK's images API (`images.generate`, b64_json), at OPENAI_BASE_URL or DALLE_BASE_URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autogpt_ls.llm.openai_errors import refusal_text
from autogpt_ls.tools.images.base import ImageError, decoded


@dataclass
class Dalle:
    api_key: str
    base_url: str | None
    model: str
    timeout: float
    name: str = "dalle"

    async def generate(self, prompt: str, size: int) -> bytes:
        import openai  # lazily: the server starts without the SDK loaded

        client = openai.AsyncOpenAI(api_key=self.api_key, base_url=self.base_url, timeout=self.timeout, max_retries=1)
        dims: Any = f"{size}x{size}"
        try:
            reply = await client.images.generate(
                model=self.model, prompt=prompt, n=1, size=dims, response_format="b64_json"
            )
        except openai.APIStatusError as e:
            raise ImageError(f"dalle: HTTP {e.status_code}: {refusal_text(e)}") from None
        except openai.APIError as e:
            raise ImageError(f"dalle: {type(e).__name__}: {e.message}") from None
        except ValueError as e:  # a 200 whose body is not JSON
            raise ImageError(f"dalle: the reply is not JSON: {type(e).__name__}: {e}") from None
        finally:
            await client.close()
        images = getattr(reply, "data", None)
        if not isinstance(images, list) or not images:
            raise ImageError("dalle: the reply held no image")
        return decoded(self.name, getattr(images[0], "b64_json", None))

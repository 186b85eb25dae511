"""Hugging Face's inference API: POST {"inputs": prompt} to /models/<HUGGINGFACE_IMAGE_MODEL>; the reply is the
image's bytes (an error is JSON, e.g. a model still loading)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from autogpt_ls.tools.images.base import ImageError, image_format, post


@dataclass
class HuggingFace:
    base_url: str
    model: str
    token: str
    timeout: float
    name: str = "huggingface"

    async def generate(self, prompt: str, size: int) -> bytes:
        url = f"{self.base_url.rstrip('/')}/models/{self.model}"
        headers = {"Authorization": f"Bearer {self.token}", "X-Use-Cache": "false"}
        body = {"inputs": prompt, "parameters": {"width": size, "height": size}}
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await post(self.name, client, url, json=body, headers=headers)
        if image_format(response.content) is None:
            kind = response.headers.get("content-type", "no content type")
            raise ImageError(f"huggingface: the reply is not an image ({kind}): {response.text[:200]!r}")
        return response.content

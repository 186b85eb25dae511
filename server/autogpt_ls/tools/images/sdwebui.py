"""Stable Diffusion web UI (AUTOMATIC1111) with --api: POST /sdapi/v1/txt2img; the reply's images[0] is base64.
SD_WEBUI_AUTH (`user:password`) is sent as HTTP basic auth, as the web UI's --api-auth expects."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from autogpt_ls.tools.images.base import ImageError, decoded, json_of, post


@dataclass
class SdWebUi:
    base_url: str
    auth: str | None
    timeout: float
    name: str = "sdwebui"

    async def generate(self, prompt: str, size: int) -> bytes:
        url = f"{self.base_url.rstrip('/')}/sdapi/v1/txt2img"
        body = {"prompt": prompt, "negative_prompt": "", "steps": 20, "width": size, "height": size, "n_iter": 1}
        user, _, password = (self.auth or "").partition(":")
        auth = httpx.BasicAuth(user, password) if self.auth else None
        async with httpx.AsyncClient(timeout=self.timeout, auth=auth) as client:
            response = await post(self.name, client, url, json=body)
        reply = json_of(self.name, response)
        images = reply.get("images") if isinstance(reply, dict) else None
        if not isinstance(images, list) or not images:
            raise ImageError("sdwebui: the reply held no image")
        return decoded(self.name, images[0])

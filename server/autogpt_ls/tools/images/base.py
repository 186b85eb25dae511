"""The image-provider seam: a prompt and a size in, an image's bytes out; every failure an `ImageError` whose
message the agent reads (HTTP status, the provider's own error text, a reply that holds no image)."""

from __future__ import annotations

import base64
import binascii
import json
import struct
from typing import Any, Protocol

import httpx

# An image's first bytes -> its format (the file's extension)
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"GIF87a": "gif", b"GIF89a": "gif"}


class ImageError(Exception):
    """A provider's failure, worded for the LLM."""


class ImageProvider(Protocol):
    name: str

    async def generate(self, prompt: str, size: int) -> bytes: ...


def image_format(data: bytes) -> str | None:
    """The format of an image by its signature (WebP by its RIFF header); None: not an image."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((ext for magic, ext in SIGNATURES.items() if data.startswith(magic)), None)


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def decoded(provider: str, value: Any) -> bytes:
    """An image sent as base64 text (DALL-E's b64_json, the web UI's images[0])."""
    if not isinstance(value, str) or not value:
        raise ImageError(f"{provider}: the reply held no image")
    try:
        return base64.b64decode(value.split(",", 1)[-1], validate=True)  # a data: URL's prefix is dropped
    except (binascii.Error, ValueError):
        raise ImageError(f"{provider}: the reply's image is not valid base64") from None


def json_of(provider: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ImageError(f"{provider}: the reply is not JSON: {response.text[:200]!r}") from None


async def post(provider: str, client: httpx.AsyncClient, url: str, **request: Any) -> httpx.Response:
    """POST, with a transport failure or an HTTP error status (and the provider's error text) as an ImageError."""
    try:
        response = await client.post(url, **request)
    except httpx.HTTPError as e:
        raise ImageError(f"{provider}: {url} could not be reached: {type(e).__name__}: {e}") from None
    if response.status_code >= 400:
        raise ImageError(f"{provider}: {url} answered HTTP {response.status_code}: {_error_text(response)}")
    return response


def _error_text(response: httpx.Response) -> str:
    """The provider's own message: `{"error": "..."}`, `{"error": {"message": ...}}`, `{"detail": ...}` or text."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:300] or response.reason_phrase
    found = body.get("error", body.get("detail", body)) if isinstance(body, dict) else body
    if isinstance(found, dict):
        found = found.get("message", found)
    return str(found)[:300]

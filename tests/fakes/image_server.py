"""Loopback fakes of the three image APIs generate_image speaks, on one server: OpenAI's images API (as the openai
SDK sends it, under /v1), Hugging Face's inference API (/models/<model>) and the Stable Diffusion web UI's
/sdapi/v1/txt2img. Each checks its credentials as the real one does and answers with a real PNG of the asked
size; `broken` makes each send a 200 whose body is not what its format promises."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from dataclasses import dataclass

from fakes.web_server import FakeWeb, Seen

OPENAI_KEY = "sk-images-k1"
HF_TOKEN = "hf_token_k1"
SD_AUTH = "painter:s3cret"


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 30, 60)) -> bytes:
    """A real PNG: one colour, 8-bit RGB, every row unfiltered."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _json(status: int, body: object) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


@dataclass
class FakeImages(FakeWeb):
    broken: bool = False

    def answer(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        api = {"/v1/images/generations": self._openai, "/sdapi/v1/txt2img": self._sdwebui}.get(seen.path)
        if api is None and seen.path.startswith("/models/"):
            api = self._huggingface
        return api(seen, json.loads(seen.body or b"{}")) if api else super().answer(seen)

    def _openai(self, seen: Seen, body: dict[str, object]) -> tuple[int, dict[str, str], bytes]:
        if seen.headers.get("authorization") != f"Bearer {OPENAI_KEY}":
            message = "Incorrect API key provided: sk-wr***. You can find your API key at the dashboard."
            return _json(
                401, {"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}}
            )
        if self.broken:
            return 200, {"Content-Type": "application/json"}, b'{"created": 1, "data": [{"b64_json": '
        width, _, height = str(body["size"]).partition("x")
        image = base64.b64encode(png(int(width), int(height))).decode()
        return _json(200, {"created": 1_700_000_000, "data": [{"b64_json": image, "revised_prompt": body["prompt"]}]})

    def _huggingface(self, seen: Seen, body: dict[str, object]) -> tuple[int, dict[str, str], bytes]:
        if seen.headers.get("authorization") != f"Bearer {HF_TOKEN}":
            return _json(401, {"error": "Invalid credentials in Authorization header"})
        if self.broken:
            return 200, {"Content-Type": "application/json"}, b'{"generated": tru'
        size = body.get("parameters", {})
        assert isinstance(size, dict)
        return 200, {"Content-Type": "image/png"}, png(int(size["width"]), int(size["height"]))

    def _sdwebui(self, seen: Seen, body: dict[str, object]) -> tuple[int, dict[str, str], bytes]:
        expected = "Basic " + base64.b64encode(SD_AUTH.encode()).decode()
        if seen.headers.get("authorization") != expected:
            return _json(401, {"detail": "Not authenticated"})
        if self.broken:
            return 200, {"Content-Type": "text/html"}, b"<html>502 Bad Gateway</html>"
        image = base64.b64encode(png(int(str(body["width"])), int(str(body["height"])))).decode()
        return _json(200, {"images": [image], "parameters": body, "info": "{}"})

"""generate_image (category `image`, IMAGE_PROVIDER=dalle|huggingface|sdwebui): the provider runs on the server's
machine and costs money, so each call is asked like a command (kind `web`); the image lands in the workspace,
confined like every file, and is the step's artifact."""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import Field

from autogpt_ls.models import Result
from autogpt_ls.settings import ConfigError, Settings
from autogpt_ls.tools.base import Tool, ToolContext, ToolRefused, tool
from autogpt_ls.tools.images.base import ImageError, ImageProvider, image_format, png_size
from autogpt_ls.tools.images.dalle import Dalle
from autogpt_ls.tools.images.huggingface import HuggingFace
from autogpt_ls.tools.images.sdwebui import SdWebUi


def image_provider(settings: Settings) -> ImageProvider | None:
    """The configured provider; a missing key is a configuration error naming the setting."""
    timeout = settings.image_timeout_seconds
    if settings.image_provider == "dalle":
        if settings.openai_api_key is None:
            raise ConfigError("IMAGE_PROVIDER=dalle needs OPENAI_API_KEY")
        base_url = settings.dalle_base_url or settings.openai_base_url
        return Dalle(settings.openai_api_key.get_secret_value(), base_url, settings.dalle_model, timeout)
    if settings.image_provider == "huggingface":
        if settings.huggingface_api_token is None:
            raise ConfigError("IMAGE_PROVIDER=huggingface needs HUGGINGFACE_API_TOKEN")
        token = settings.huggingface_api_token.get_secret_value()
        return HuggingFace(settings.huggingface_api_url, settings.huggingface_image_model, token, timeout)
    if settings.image_provider == "sdwebui":
        auth = settings.sd_webui_auth.get_secret_value() if settings.sd_webui_auth else None
        return SdWebUi(settings.sd_webui_url, auth, timeout)
    return None


def image_name(prompt: str, filename: str | None, ext: str) -> str:
    """The asked-for name with the image's real extension, or one made from the prompt's first words."""
    if filename:
        path = PurePosixPath(filename)
        return str(path.with_suffix(f".{ext}")) if path.suffix.lower() != f".{ext}" else filename
    words = "-".join(re.findall(r"[a-z0-9]+", prompt.lower())[:6])[:48] or "image"
    return f"{words}-{hashlib.sha256(prompt.encode()).hexdigest()[:8]}.{ext}"


def _check_filename(ctx: ToolContext, args: Any) -> None:
    """A name outside the workspace is refused before the human is asked (and before the provider is paid)."""
    if args.filename:
        ctx.executor.workspace.resolve(args.filename)


def image_tools(settings: Settings) -> list[Tool]:
    """generate_image with the configured provider, or nothing when IMAGE_PROVIDER is unset."""
    provider = image_provider(settings)
    if provider is None:
        return []
    default_size = settings.image_size

    @tool("generate_image", "image", "web", check=_check_filename, writes=True)
    async def generate_image(
        ctx: ToolContext,
        prompt: Annotated[str, Field(min_length=1, description="What the image shows, in detail.")],
        size: Annotated[
            int | None,
            Field(ge=64, le=2048, description="Width and height in pixels (default: the user's IMAGE_SIZE)."),
        ] = None,
        filename: Annotated[
            str | None, Field(description="Where to save it, relative to the workspace (default: from the prompt).")
        ] = None,
    ) -> Result:
        """Generate an image from a text prompt and save it in the workspace."""
        try:
            data = await provider.generate(prompt, size or default_size)
        except ImageError as e:
            raise ToolRefused(f"generate_image failed: {e}") from None
        ext = image_format(data)
        if ext is None:
            raise ToolRefused(f"generate_image failed: {provider.name} sent {len(data)} bytes that are not an image")
        written = ctx.executor.workspace.write_bytes(image_name(prompt, filename, ext), data)
        dims = png_size(data)
        shape = f"a {dims[0]}x{dims[1]} PNG" if dims else f"a {ext.upper()}"
        note = f" (saved as .{ext}: that is what {provider.name} sent)" if filename and written != filename else ""
        return Result(ok=True, output=f"Saved {shape} image ({len(data)} bytes) to {written}{note}.", files=[written])

    return [generate_image]

"""generate_image over LSP with a stock client: approved at its prompt like a command, the image lands in the
workspace and is opened with window/showDocument."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsp_client import uri
from test_stock_client import FINISH, _pick, stock_editor

from autogpt_ls.tools.images.base import png_size
from fakes.image_server import SD_AUTH, FakeImages
from fakes.openai_server import FakeOpenAI, tool_call


async def test_an_approved_image_is_saved_and_opened(
    agent_env: dict[str, str], fake: FakeOpenAI, workspace: Path
) -> None:
    fake.script(tool_call("generate_image", {"prompt": "A lighthouse at dusk", "filename": "lighthouse.png"}), FINISH)
    with FakeImages() as images:
        env = agent_env | {"IMAGE_PROVIDER": "sdwebui", "SD_WEBUI_URL": images.url(""), "SD_WEBUI_AUTH": SD_AUTH}
        async with stock_editor(env | {"IMAGE_SIZE": "80"}, workspace) as editor:
            await editor.command("autogpt.server.runGoal", goal="Draw a lighthouse")
            asked = await editor.prompt()
            assert "generate_image" in asked[0].message and "A lighthouse at dusk" in asked[0].message
            _pick(asked, "Approve")
            shown = await asyncio.wait_for(editor.documents.get(), 20)
            assert shown.uri == uri(workspace / "lighthouse.png") and not shown.take_focus
            assert png_size((workspace / "lighthouse.png").read_bytes()) == (80, 80)
            _pick(await editor.prompt(), "Approve")
            assert "finished" in await editor.message()

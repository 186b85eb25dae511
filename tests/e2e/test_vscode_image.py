"""generate_image from VS Code, end to end in code-server against the Stable Diffusion web UI's loopback fake: the
proposal is approved in the editor, the PNG lands in the workspace and opens in VS Code's image preview
(vscode_image.mjs works the workbench)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from vscode_parts import ROOT, code_server, drive, needs_vscode

from autogpt_ls.tools.images.base import png_size
from fakes.image_server import SD_AUTH, FakeImages
from fakes.openai_server import FakeOpenAI, tool_call

SHOTS = ROOT / "test-output" / "vscode-image"
pytestmark = needs_vscode


@pytest.mark.timeout(300)
def test_an_approved_image_opens_in_the_image_preview(
    tmp_path: Path, agent_env: dict[str, str], workspace: Path, fake: FakeOpenAI
) -> None:
    fake.script(
        tool_call("generate_image", {"prompt": "A lighthouse at dusk", "filename": "lighthouse.png"}),
        tool_call("finish", {"reason": "the lighthouse is drawn"}),
    )
    config = {"goal": "Draw a lighthouse", "file": "lighthouse.png", "reason": "the lighthouse is drawn"}
    with FakeImages() as images:
        env = agent_env | {"IMAGE_PROVIDER": "sdwebui", "SD_WEBUI_URL": images.url(""), "SD_WEBUI_AUTH": SD_AUTH}
        with code_server(tmp_path / "code-server", env, workspace, {"autogpt.interpreter": sys.executable}) as url:
            seen = drive("vscode_image.mjs", config | {"url": url}, SHOTS, timeout=280)
    assert seen["imageTabs"] == 1
    assert png_size((workspace / "lighthouse.png").read_bytes()) == (256, 256)

"""generate_image over the Agent Protocol: the image an approved step saved is an artifact of the step and of the
task, and downloads as the PNG's bytes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from apclient import Server

from autogpt_ls.tools.images.base import png_size
from fakes.image_server import HF_TOKEN, FakeImages
from fakes.openai_server import FakeOpenAI, tool_call


def test_a_generated_image_is_an_artifact(
    start_server: Callable[..., Server], server_env: dict[str, str], fake: FakeOpenAI, data_dir: Path
) -> None:
    fake.script(
        tool_call("generate_image", {"prompt": "A red kite", "size": 72}), tool_call("finish", {"reason": "ok"})
    )
    with FakeImages() as images:
        hf = {"IMAGE_PROVIDER": "huggingface", "HUGGINGFACE_API_URL": images.url(""), "HUGGINGFACE_API_TOKEN": HF_TOKEN}
        api = start_server(env=server_env | hf).api
        task_id = api.create("Draw a red kite")
        proposed = api.step(task_id)
        assert proposed["additional_output"]["proposal"]["name"] == "generate_image"
        ran = api.step(task_id)
    [artifact] = ran["artifacts"]
    assert artifact["agent_created"] is True and artifact["file_name"].startswith("a-red-kite-")
    download = api.get(f"/agent/tasks/{task_id}/artifacts/{artifact['artifact_id']}")
    assert download.status == 200 and png_size(download.body) == (72, 72)
    saved = data_dir / "workspaces" / task_id / artifact["file_name"]
    assert saved.read_bytes() == download.body
    assert [a["artifact_id"] for a in api.ok("GET", f"/agent/tasks/{task_id}")["artifacts"]] == [
        artifact["artifact_id"]
    ]

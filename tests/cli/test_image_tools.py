"""generate_image through the real CLI and the scripted loopback LLM, against loopback fakes of the three image
APIs (the openai SDK's images API for DALL-E, Hugging Face's inference API, the Stable Diffusion web UI): the PNG
lands in the workspace, what was saved reaches the LLM's next request, every call is asked like a command, and a
provider's 401 or broken reply is an error the agent reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_run import FINISH, last_observation

from autogpt_ls.tools.images.base import png_size
from fakes.image_server import HF_TOKEN, OPENAI_KEY, SD_AUTH, FakeImages
from fakes.openai_server import FakeOpenAI, tool_call


@pytest.fixture
def images() -> Iterator[FakeImages]:
    with FakeImages() as server:
        yield server


def provider_env(provider: str, images: FakeImages) -> dict[str, str]:
    return {
        "dalle": {"IMAGE_PROVIDER": "dalle", "DALLE_BASE_URL": images.url("/v1")},
        "huggingface": {
            "IMAGE_PROVIDER": "huggingface",
            "HUGGINGFACE_API_URL": images.url(""),
            "HUGGINGFACE_API_TOKEN": HF_TOKEN,
            "HUGGINGFACE_IMAGE_MODEL": "stabilityai/stable-diffusion-2-1",
        },
        "sdwebui": {"IMAGE_PROVIDER": "sdwebui", "SD_WEBUI_URL": images.url(""), "SD_WEBUI_AUTH": SD_AUTH},
    }[provider]


@pytest.fixture
def image_env(agent_env: dict[str, str]) -> dict[str, str]:
    # DALL-E authenticates with OPENAI_API_KEY; the LLM's fake accepts any key, the images fake only this one
    return agent_env | {"OPENAI_API_KEY": OPENAI_KEY, "IMAGE_SIZE": "64"}


PATHS = {"dalle": "/v1/images/generations", "huggingface": "/models/stabilityai/stable-diffusion-2-1"}


@pytest.mark.parametrize("provider", ["dalle", "huggingface", "sdwebui"])
def test_the_image_lands_in_the_workspace_and_the_llm_reads_what_was_saved(
    cli, fake: FakeOpenAI, images: FakeImages, image_env: dict[str, str], workspace: Path, provider: str
) -> None:
    prompt = "A watercolour fox in the snow"
    fake.script(
        tool_call("generate_image", {"prompt": prompt, "size": 96, "filename": "art/fox.png"}),
        tool_call("generate_image", {"prompt": "A red square"}),
        FINISH,
    )
    run = cli("Draw a fox", answers="y\ny\ny\n", env=image_env | provider_env(provider, images))
    assert run.code == 0, run.err
    assert "generate_image" in {t["function"]["name"] for t in fake.requests[0]["tools"]}
    saved = (workspace / "art" / "fox.png").read_bytes()
    assert png_size(saved) == (96, 96)
    assert last_observation(fake.requests[1]) == f"Saved a 96x96 PNG image ({len(saved)} bytes) to art/fox.png."
    default = last_observation(fake.requests[2])  # IMAGE_SIZE, and a name made from the prompt
    assert default.startswith("Saved a 64x64 PNG image (") and " bytes) to a-red-square-" in default
    assert len(list(workspace.glob("a-red-square-*.png"))) == 1
    assert run.out.count("Approve?") == 3  # asked like a command, the default read-only rule notwithstanding
    first = images.seen[0]
    assert first.path == PATHS.get(provider, "/sdapi/v1/txt2img") and prompt.encode() in first.body


@pytest.mark.parametrize(
    ("provider", "refusal"),
    [
        ("dalle", "dalle: HTTP 401: Incorrect API key provided: sk-wr***."),
        ("huggingface", "answered HTTP 401: Invalid credentials in Authorization header"),
        ("sdwebui", "answered HTTP 401: Not authenticated"),
    ],
)
def test_a_rejected_credential_is_an_error_the_agent_reads(
    cli, fake: FakeOpenAI, images: FakeImages, image_env: dict[str, str], workspace: Path, provider: str, refusal: str
) -> None:
    env = image_env | provider_env(provider, images) | {"HUGGINGFACE_API_TOKEN": "hf_wrong", "SD_WEBUI_AUTH": "a:b"}
    fake.script(tool_call("generate_image", {"prompt": "A fox", "filename": "fox.png"}), FINISH)
    run = cli("Draw a fox", answers="y\ny\n", env=env | ({"OPENAI_API_KEY": "sk-wrong"} if provider == "dalle" else {}))
    assert run.code == 0, run.err
    told = last_observation(fake.requests[1])
    assert told.startswith("Error: generate_image failed: ") and refusal in told
    assert not (workspace / "fox.png").exists()


@pytest.mark.parametrize(
    ("provider", "refusal"),
    [
        ("dalle", "Error: generate_image failed: dalle: the reply is not JSON: JSONDecodeError"),
        ("huggingface", "Error: generate_image failed: huggingface: the reply is not an image (application/json)"),
        ("sdwebui", "Error: generate_image failed: sdwebui: the reply is not JSON: '<html>502 Bad Gateway</html>'"),
    ],
)
def test_a_broken_reply_is_an_error_the_agent_reads(
    cli, fake: FakeOpenAI, images: FakeImages, image_env: dict[str, str], workspace: Path, provider: str, refusal: str
) -> None:
    images.broken = True
    fake.script(tool_call("generate_image", {"prompt": "A fox", "filename": "fox.png"}), FINISH)
    run = cli("Draw a fox", answers="y\ny\n", env=image_env | provider_env(provider, images))
    assert run.code == 0, run.err
    assert last_observation(fake.requests[1]).startswith(refusal)
    assert not (workspace / "fox.png").exists()


def test_a_name_outside_the_workspace_is_refused_before_anyone_is_asked_or_paid(
    cli, fake: FakeOpenAI, images: FakeImages, image_env: dict[str, str], workspace: Path
) -> None:
    fake.script(tool_call("generate_image", {"prompt": "A fox", "filename": "../fox.png"}), FINISH)
    run = cli("Draw a fox", answers="y\n", env=image_env | provider_env("sdwebui", images))
    assert run.code == 0, run.err
    assert "climbs out of the workspace" in last_observation(fake.requests[1])
    assert images.seen == [] and not (workspace.parent / "fox.png").exists()
    assert run.out.count("Approve?") == 1  # only finish


def test_off_without_a_provider_or_by_its_category_and_a_missing_token_is_named(
    cli, fake: FakeOpenAI, images: FakeImages, image_env: dict[str, str]
) -> None:
    fake.script(FINISH, FINISH)
    assert cli("Draw", answers="y\n", env=image_env).code == 0
    off = image_env | provider_env("sdwebui", images) | {"DISABLED_COMMAND_CATEGORIES": "autogpt.commands.image_gen"}
    assert cli("Draw", answers="y\n", env=off).code == 0
    for request in fake.requests:
        assert "generate_image" not in {t["function"]["name"] for t in request["tools"]}
    no_token = {k: v for k, v in provider_env("huggingface", images).items() if k != "HUGGINGFACE_API_TOKEN"}
    run = cli("Draw", env=image_env | no_token)
    assert run.code != 0 and "IMAGE_PROVIDER=huggingface needs HUGGINGFACE_API_TOKEN" in run.err

"""The containers the Dev Containers CLI made for a test's workspace (its own label), and their removal."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

DEVCONTAINER = Path(__file__).parent / "devcontainer" / ".devcontainer"  # the tests' devcontainer.json and Dockerfile


def remove_devcontainers(folder: Path) -> None:
    """Only what the CLI created for this test's folder: found by the label it sets, and the image it built."""
    import docker

    client = docker.from_env(timeout=600)  # removing an image on vfs storage, on a busy machine, takes a while
    try:
        for container in devcontainers(client, folder):
            image = container.attrs["Config"]["Image"]
            container.remove(force=True)
            if image.startswith(f"vsc-{folder.name}-"):
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(image)
    finally:
        client.close()


def devcontainers(client: object, folder: Path) -> list[Any]:
    return client.containers.list(all=True, filters={"label": f"devcontainer.local_folder={folder}"})  # type: ignore[attr-defined]

"""docker-compose.yml as the seeds use it, on the image scripts/build-image.sh builds (the app_image fixture):
`run --rm auto-gpt --help` lists `run`'s switches, and `--ai-settings FILE` runs a task against the loopback
fake, with .env read and the workspace and data folders mounted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakes import SECRET_KEY
from fakes.openai_server import FakeOpenAI

sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))
from test_run import FINISH, WRITE

ROOT = Path(__file__).parents[2]


def _compose() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    pytest.skip("neither docker-compose nor the compose plugin is installed (scripts/setup.d/20-docker.sh)")


@pytest.fixture
def project(app_image: str, tmp_path: Path, fake: FakeOpenAI):  # type: ignore[no-untyped-def]
    """A folder as the seeds lay it out: .env beside the compose file's run, the workspace, the data."""
    folder = tmp_path / "AutoGPT"
    (folder / "auto_gpt_workspace").mkdir(parents=True)
    env = f"OPENAI_BASE_URL={fake.base_url}\nOPENAI_API_KEY={SECRET_KEY}\nSMART_LLM=openai/gpt-4o-mini\n"
    (folder / ".env").write_text(env)
    base = [*_compose(), "-f", str(ROOT / "docker-compose.yml"), "--project-directory", str(folder)]

    def compose(*args: str, answers: str = "") -> subprocess.CompletedProcess[str]:
        env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(Path.home()), "AUTOGPT_IMAGE": app_image}
        env["COMPOSE_HTTP_TIMEOUT"] = "900"  # creating a container of the app image on vfs can pass compose's 60 s
        return subprocess.run(
            [*base, *args], input=answers, capture_output=True, text=True, env=env, cwd=folder, timeout=600
        )

    yield folder, compose
    compose("down", "--remove-orphans")


@pytest.mark.timeout(1500)
def test_compose_run_lists_the_run_switches(project) -> None:  # type: ignore[no-untyped-def]
    _folder, compose = project
    helped = compose("run", "--rm", "-T", "auto-gpt", "--help")
    assert helped.returncode == 0, helped.stderr
    for switch in ("--ai-settings", "--gpt3only", "--gpt4only", "-m, --use-memory BACKEND", "--continuous"):
        assert switch in helped.stdout


@pytest.mark.timeout(1500)
def test_compose_runs_the_ai_settings_goal(project, fake: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    folder, compose = project
    settings = "ai_name: Writer\nai_role: writes files\nai_goals:\n  - Write the word 'Washington' to a .txt file\n"
    (folder / "auto_gpt_workspace" / "ai_settings.yaml").write_text(settings)
    fake.script(WRITE, FINISH)
    run = compose("run", "--rm", "-T", "auto-gpt", "--ai-settings", "ai_settings.yaml", answers="y\ny\n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (folder / "auto_gpt_workspace" / "answer.txt").read_text() == "Washington\n"
    assert list((folder / "data" / "db").glob("*.sqlite3"))  # the task lives in the mounted data folder
    assert fake.requests[0]["messages"][0]["content"].startswith("You are Writer")

"""Environments the project's venv cannot be: third-party tools that pin pydantic<2, old FastAPI or urllib3<2,
and the oldest SDK versions the project declares. Each gets its own venv, created by the tests on first use
under a cache folder outside the clone and reused.

AUTOGPT_LS_TEST_CACHE moves the cache (default ~/.cache/autogpt-ls-test).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path


def cache_root() -> Path:
    return Path(os.environ.get("AUTOGPT_LS_TEST_CACHE") or Path.home() / ".cache" / "autogpt-ls-test")


def tool_venv(package: str, version: str, timeout: float = 1200) -> Path:
    """The bin folder of a venv holding exactly `package==version`."""
    return venv_with(f"{package}-{version}", [f"{package}=={version}"], timeout)


def venv_with(name: str, requirements: list[str], timeout: float = 1200) -> Path:
    """The bin folder of a venv named `name` holding `requirements`; a half-made venv is made again."""
    folder = cache_root() / "venvs"
    folder.mkdir(parents=True, exist_ok=True)
    venv = folder / name
    ready = venv / ".ready"
    with (folder / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test sessions must not build the same venv at once
        if not ready.exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            proc = subprocess.run([*pip, *requirements], capture_output=True, text=True, timeout=timeout)
            if proc.returncode != 0:
                raise RuntimeError(f"pip install {' '.join(requirements)} failed:\n{proc.stderr[-4000:]}")
            ready.write_text("\n".join(requirements) + "\n")
    return venv / "bin"

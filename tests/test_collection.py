"""Every test folder collects in one pytest command, in any order: each folder's conftest.py is the module
`conftest`, so a test module that imported a name from it got whichever folder's conftest pytest loaded last."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent


@pytest.mark.timeout(300)  # collecting ~1,400 tests in a child pytest: seconds, a minute on a loaded machine
def test_all_test_folders_collect_together_in_reverse_order() -> None:
    folders = sorted((str(d) for d in TESTS.iterdir() if any(d.glob("test_*.py"))), reverse=True)
    assert len(folders) > 5 and str(TESTS / "executors") in folders  # reversed: executors' conftest before core's
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *folders],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert run.returncode == 0, run.stdout[-4000:]
    assert " collected" in run.stdout.splitlines()[-1] and "error" not in run.stdout.splitlines()[-1]

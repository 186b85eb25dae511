"""Time SHELL_COMMAND_CONTROL's check per command line over the policy corpus (tests/tools/shell_corpus.yaml).

Each line is checked in denylist mode with the default denylist; the first check (which loads the parser) is
timed apart. Lines the policy refuses are counted, not dropped (a refusal is a check too). `--policy FILE` times
another implementation of `check_shell_command` (e.g. an older shell_policy.py) on the same corpus.

    .venv/bin/python bench/shell_policy.py [--rounds 20] [--policy path/to/shell_policy.py]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import time
from pathlib import Path
from types import ModuleType

import yaml

from autogpt_ls.settings import Settings

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "tools" / "shell_corpus.yaml"


def load(path: str | None) -> ModuleType:
    if path is None:
        from autogpt_ls.tools import shell_policy

        return shell_policy
    spec = importlib.util.spec_from_file_location("policy_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--policy")
    args = parser.parse_args()
    policy = load(args.policy)
    lines: list[str] = yaml.safe_load(CORPUS.read_text())
    denylist = Settings().shell_denylist

    def check(line: str) -> bool:
        try:
            policy.check_shell_command(line, "denylist", [], denylist)
        except policy.ShellCommandDenied:
            return False
        return True

    start = time.perf_counter()
    check(lines[0])
    first = time.perf_counter() - start
    passed = sum(check(line) for line in lines)
    times = []
    for _ in range(args.rounds):
        for line in lines:
            start = time.perf_counter()
            check(line)
            times.append(time.perf_counter() - start)
    figures = {
        "lines": len(lines),
        "passed": passed,
        "refused": len(lines) - passed,
        "first_check_ms": round(first * 1e3, 1),
        "median_us": round(statistics.median(times) * 1e6, 1),
        "mean_us": round(statistics.fmean(times) * 1e6, 1),
        "p99_us": round(sorted(times)[int(len(times) * 0.99)] * 1e6, 1),
    }
    print(f"{len(lines)} lines: {passed} passed, {len(lines) - passed} refused")
    print(f"first check {figures['first_check_ms']} ms; per line median {figures['median_us']} us, ", end="")
    print(f"mean {figures['mean_us']} us, p99 {figures['p99_us']} us")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

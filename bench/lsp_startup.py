"""Language server start-up: spawn → `initialize` answered (median) and idle RSS, as ratios to a minimal pygls
server (one feature, nothing else) measured in the same run, so a noisy machine cancels out.

Targets: ≤ 1.1x its start time and ≤ 1.5x its RSS.

    .venv/bin/python bench/lsp_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

MINIMAL = """
from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("minimal", "0.1")


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls, params):
    return None


server.start_io()
"""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def once(command: list[str], env_dir: str) -> tuple[float, int]:
    client = LanguageClient("bench", "0")
    started = time.perf_counter()
    await client.start_io(*command, env={"AUTOGPT_DATA_DIR": env_dir, "AUTOGPT_ENV_FILE": "", "PATH": "/usr/bin:/bin"})
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    elapsed = time.perf_counter() - started
    client.initialized(types.InitializedParams())
    await asyncio.sleep(0.3)  # let it settle to idle before reading its memory
    assert client._server is not None
    rss = rss_kib(client._server.pid)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return elapsed, rss


async def measure(runs: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal_server.py"
        minimal.write_text(MINIMAL)
        servers = {
            "autogpt-ls": [sys.executable, "-m", "autogpt_ls", "lsp"],
            "minimal pygls": [sys.executable, str(minimal)],
        }
        samples: dict[str, list[tuple[float, int]]] = {name: [] for name in servers}
        for _ in range(runs):  # interleaved, so drift affects both alike
            for name, command in servers.items():
                samples[name].append(await once(command, tmp))
    return {
        name: {
            "start_ms": statistics.median(s[0] for s in runs_) * 1000,
            "rss_mib": statistics.median(s[1] for s in runs_) / 1024,
        }
        for name, runs_ in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    figures = asyncio.run(measure(parser.parse_args().runs))
    ours, base = figures["autogpt-ls"], figures["minimal pygls"]
    for name, f in figures.items():
        print(f"{name:>14}: spawn→initialize median {f['start_ms']:.1f} ms, idle RSS {f['rss_mib']:.1f} MiB")
    start_ratio, rss_ratio = ours["start_ms"] / base["start_ms"], ours["rss_mib"] / base["rss_mib"]
    print(f"ratios: start {start_ratio:.2f}x (target ≤ 1.1x), RSS {rss_ratio:.2f}x (target ≤ 1.5x)")
    print(json.dumps({"bench": "lsp_startup", "start_ratio": round(start_ratio, 3), "rss_ratio": round(rss_ratio, 3)}))


if __name__ == "__main__":
    main()

# Sourced by ./test.sh (after the Docker engine): the Dev Containers CLI for tests/executors/test_devcontainer*.py.
# The same install the devcontainer executor does on first use (executors/devcontainer_cli.py: `devcontainer` on
# PATH, else @devcontainers/cli installed with npm into ~/.cache/autogpt-ls), so the tests find it ready.
# Without npm the devcontainer tests skip with that reason.
# shellcheck shell=bash

if out="$("${bin:-$root/.venv/bin}/python" -c '
import asyncio, sys
from autogpt_ls.executors.devcontainer_cli import ensure_cli
print(" ".join(asyncio.run(ensure_cli(lambda line: print(line, end="", file=sys.stderr)))))
' 2>&1)"; then
  echo "Dev Containers CLI ready: ${out##*$'\n'}"
else
  echo "SKIPPING the devcontainer tests: ${out: -400}" >&2
fi
unset out

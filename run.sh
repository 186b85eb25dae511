#!/usr/bin/env bash
# ./run.sh "goal" [--workspace DIR] [--continuous --continuous-limit N] [--ai-settings F] [--debug] [--resume ID]
# Creates .venv and installs autogpt-ls on first use, then runs the agent in this terminal.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/bootstrap.sh
source "$root/scripts/bootstrap.sh"
bootstrap_venv "$root"
exec "$root/.venv/bin/autogpt-ls" run "$@"

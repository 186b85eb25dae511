#!/usr/bin/env bash
# ./test.sh [pytest args]: installs everything the tests need, then lint, format, types and the whole suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
# shellcheck source=scripts/bootstrap.sh
source "$root/scripts/bootstrap.sh"
bootstrap_venv "$root" dev
bin="$root/.venv/bin"
echo "== ruff check" && "$bin/ruff" check server tests bench
echo "== ruff format --check" && "$bin/ruff" format --check server tests bench
echo "== mypy" && "$bin/mypy"
echo "== pytest" && "$bin/pytest" "$@"

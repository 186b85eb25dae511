#!/usr/bin/env bash
# scripts/build-image.sh [TAG]: build the app image (root Dockerfile) without network during the build.
# The wheelhouse (this project and its dependencies, from `pip wheel` on the host) is cached in
# ~/.cache/autogpt-ls/app-build and is the build context; dependencies are re-fetched only when pyproject.toml
# changes, and this project's wheel is reproducible, so an unchanged tree rebuilds from the engine's cache.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tag="${1:-autogpt-ls:latest}"
# shellcheck source=scripts/sandbox-image.sh
source "$root/scripts/sandbox-image.sh"
# shellcheck source=scripts/bootstrap.sh
source "$root/scripts/bootstrap.sh"  # for EMBEDDED_WEIGHTS
ensure_sandbox_images
ctx="$CACHE/app-build"
py="$root/.venv/bin/python"
[ -x "$py" ] || py="$(command -v python3)"
deps="$(sha256sum "$root/pyproject.toml" | cut -c1-16)-$EMBEDDED_WEIGHTS"
export SOURCE_DATE_EPOCH=315532800  # same source, same wheel bytes: the engine's build cache then hits
if [ ! -f "$ctx/wheels/.deps-$deps" ]; then
  rm -rf "$ctx/wheels" && mkdir -p "$ctx/wheels"
  echo "Preparing the wheelhouse (pip wheel; only when pyproject.toml changed)..." >&2
  "$py" -m pip wheel -q --disable-pip-version-check --wheel-dir "$ctx/wheels" "$root" >&2
  "$py" -m pip wheel -q --disable-pip-version-check --no-deps --wheel-dir "$ctx/wheels" "$EMBEDDED_WEIGHTS" >&2
  touch "$ctx/wheels/.deps-$deps"
else
  "$py" -m pip wheel -q --disable-pip-version-check --no-deps --wheel-dir "$ctx/wheels" "$root" >&2
fi
cp "$root/Dockerfile" "$ctx/Dockerfile"  # docker-compose.yml builds this same context
DOCKER_BUILDKIT=0 docker build -q --network none --build-arg "BASE=$BASE_IMAGE" -f "$ctx/Dockerfile" -t "$tag" "$ctx"
# Older builds' images (vfs keeps a full copy of every layer): remove the ones no tag points to any more.
docker image prune -f --filter label=org.autogpt-ls.image=app >/dev/null

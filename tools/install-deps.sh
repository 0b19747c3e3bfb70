#!/usr/bin/env bash
# Installs every build, test and run dependency of pocket-mesh on Debian 12 (bookworm).
# Idempotent: packages already present are skipped by apt. Runs as root or through sudo.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  # Qt 6.4: HttpServer needs websockets-dev too (Debian forgets that dependency, QT64-NOTES)
  qt6-base-dev qt6-base-dev-tools qt6-httpserver-dev qt6-websockets-dev libqt6sql6-sqlite
  qtkeychain-qt6-dev libsodium-dev zlib1g-dev
  libqcustomplot-dev libqcustomplot2.1-qt6
  # tests and tools: GUI smoke under Xvfb, the SDK client (node/npm), sanitizer runtime, curl
  xvfb xauth curl
  # benchmark baseline and load generator
  nginx-light wrk
)

# Node.js for the SDK client: Debian's, unless a node with npm is already on the machine.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  # nginx-light's package starts a system nginx on :80; the benchmark runs its own instance.
  $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
else
  echo "install-deps: all Debian packages present"
fi

# The official JS SDK client used by end-to-end tests (../shared/tools/pocketjs-client).
here="$(cd "$(dirname "$0")/.." && pwd)"
client="${POCKETJS_CLIENT_DIR:-$here/../shared/tools/pocketjs-client}"
if [ -f "$client/package.json" ] && [ ! -d "$client/node_modules/@pokt-network/pocket-js" ]; then
  echo "install-deps: npm ci in $client"
  (cd "$client" && npm ci --no-audit --no-fund --loglevel=error)
fi

#!/usr/bin/env bash
# Idempotent set-up for Zerocast on Debian 12: system packages, npm dependencies, native addons.
# Quick when nothing changed. Usage: scripts/setup.sh [serve|test]   (default: serve)
#   serve: what `npm run serve` needs (Vulkan driver, OpenH264, build tools, npm deps, addons)
#   test:  plus what the test suite needs (Chromium, ffmpeg/ffprobe, vncsnapshot)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-serve}"
say() { printf 'setup: %s\n' "$*" >&2; }

# --- system packages -------------------------------------------------------------------------
pkgs=(mesa-vulkan-drivers libvulkan1 libopenh264-7 libopenh264-dev g++ make python3 pkg-config)
if [ "$profile" = test ]; then
  pkgs+=(chromium ffmpeg vncsnapshot fonts-dejavu-core)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    say "cannot install packages (not root, no sudo): run  apt-get install -y ${missing[*]}"; exit 1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- toolchains --------------------------------------------------------------------------------
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then say "Node.js >= 20.19 is required (found $(node --version))"; exit 1; fi
if ! command -v cargo >/dev/null; then
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
  say "Rust (cargo >= 1.87) is required to build native/gpu: install it with rustup (https://rustup.rs)"; exit 1
fi

# --- npm dependencies --------------------------------------------------------------------------
stamp=node_modules/.zerocast-lock
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm dependencies (npm ci)"
  # Electron's own installer downloads its binary from GitHub: skip it (the desktop shell runs
  # where an Electron binary exists; everything else runs in plain Node).
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# --- native addons -----------------------------------------------------------------------------
bash native/gpu/build.sh
bash native/encode/build.sh

# --- the browser UI (served at /app/) ------------------------------------------------------------
ui_index=app/dist/renderer/index.html
if [ ! -f "$ui_index" ] || [ -n "$(find renderer/app renderer/viewer main/api/schema.ts -newer "$ui_index" -type f 2>/dev/null | head -1)" ]; then
  say "building the UI (vite)"
  npx vite build --config renderer/app/vite.config.ts --logLevel error
fi

#!/usr/bin/env bash
# Bundles the zero-copy device check and benchmark (issue 4) for the GPU machine, which has no
# Node modules and no registry: esbuild writes two self-contained ES modules into the git-ignored
# .cache/device/ (three.js included; the two native addons are loaded at run time from the paths
# in ZEROCAST_GPU_ADDON / ZEROCAST_ENCODE_ADDON). Prints the command to run there.
#
#   bash scripts/device/zero-copy.sh            # bundle (here, on the dev machine)
#   bash scripts/device/zero-copy.sh --run      # bundle, then run both here (lavapipe: (c) and
#                                               # the CUDA check are reported as unavailable)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
mkdir -p .cache/device
ESBUILD=(npx --no-install esbuild --bundle --platform=node --format=esm --log-level=warning
  "--banner:js=import { createRequire as __zcCreateRequire } from 'node:module'; const require = __zcCreateRequire(import.meta.url);")
"${ESBUILD[@]}" scripts/device/zero-copy-check.ts --outfile=.cache/device/zero-copy-check.mjs
"${ESBUILD[@]}" bench/zero-copy.bench.ts --outfile=.cache/device/zero-copy.bench.mjs
ls -l .cache/device/zero-copy-check.mjs .cache/device/zero-copy.bench.mjs | awk '{print $5, $9}'
ENV='ZEROCAST_GPU_ADDON=$PWD/native/gpu/zerocast-gpu.node ZEROCAST_ENCODE_ADDON=$PWD/native/encode/build/Release/zerocast_encode.node'
cat <<MSG
Run on the GPU machine (carry .device, .cache/device, native/gpu/zerocast-gpu.node, native/encode/build):
  source .device/enter.sh && export $ENV && \\
  node .cache/device/zero-copy-check.mjs --frames 1000 --out \$OUT && \\
  node .cache/device/zero-copy.bench.mjs --frames 200 --sizes 1920x1080,3840x2160
MSG
if [[ "${1:-}" == "--run" ]]; then
  export ZEROCAST_GPU_ADDON=$PWD/native/gpu/zerocast-gpu.node
  export ZEROCAST_ENCODE_ADDON=$PWD/native/encode/build/Release/zerocast_encode.node
  node .cache/device/zero-copy-check.mjs --frames "${FRAMES:-20}" --size "${SIZE:-640x360}" || true
  node .cache/device/zero-copy.bench.mjs --frames "${FRAMES:-20}" --sizes "${SIZE:-640x360}"
fi

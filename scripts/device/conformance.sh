#!/usr/bin/env bash
# The conformance suite on the GPU machine (NVIDIA Vulkan) against the Chromium references rendered
# here, same thresholds (PSNR >= 30 dB or SSIM >= 0.97 per scene).
#
#   here:   bash scripts/device/conformance.sh build
#           (needs .cache/conformance/reference/*.png: run the e2e suite first,
#            npx vitest run --config vitest.e2e.config.ts e2e/conformance)
#   device: run tool, carry [.device, native/gpu/zerocast-gpu.node, .cache/device, .cache/conformance/reference]:
#           source .device/enter.sh && bash scripts/device/conformance.sh run
#   local check of the bundle: bash scripts/device/conformance.sh run
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
case "${1:-run}" in
  build)
    ls .cache/conformance/reference/*.png >/dev/null
    npx esbuild e2e/conformance/device-main.ts --bundle --platform=node --format=esm \
      --target=node20 --log-level=warning --outfile=.cache/device/conformance.mjs \
      --banner:js="import { createRequire as __zcRequire } from 'node:module'; const require = __zcRequire(import.meta.url);"
    du -sh .cache/device/conformance.mjs .cache/conformance/reference
    ;;
  run)
    out="${OUT:-.cache/device/out}"
    mkdir -p "$out"
    ZEROCAST_GPU_ADDON="$PWD/native/gpu/zerocast-gpu.node" \
      node .cache/device/conformance.mjs .cache/conformance/reference "$out/artifacts" 2>&1 | tee "$out/conformance.txt"
    ;;
  *)
    echo "usage: $0 build|run" >&2
    exit 2
    ;;
esac

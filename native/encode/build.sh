#!/usr/bin/env bash
# Builds native/encode/build/Release/zerocast_encode.node (C++17, node-addon-api).
# Idempotent and quick when nothing changed: configures only when the Makefile is missing or
# binding.gyp is newer, then lets make rebuild what changed. Node headers come from
# /usr/include/node (nodedir=/usr in ~/.npmrc); nothing is downloaded.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
JOBS="${ZEROCAST_BUILD_JOBS:-1}"
GYP_JS=../../node_modules/node-gyp/bin/node-gyp.js
if [[ -f "$GYP_JS" ]]; then GYP=(node "$GYP_JS" --loglevel=warn); else GYP=(npx --no-install node-gyp --loglevel=warn); fi
if [[ ! -f build/Makefile || binding.gyp -nt build/Makefile || ! -f build/config.gypi ]]; then
  "${GYP[@]}" configure --nodedir="$npm_config_nodedir" >/dev/null
fi
"${GYP[@]}" build --jobs "$JOBS" >/dev/null
test -f build/Release/zerocast_encode.node
echo "native/encode: build/Release/zerocast_encode.node"

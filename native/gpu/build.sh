#!/usr/bin/env bash
# Builds the Zerocast WebGPU addon (release) and installs it as native/gpu/zerocast-gpu.node.
# Idempotent and fast when nothing changed (cargo's own up-to-date check, then a copy only
# when the built library is newer than the installed .node).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if ! command -v cargo >/dev/null 2>&1; then
  echo "native/gpu: cargo not found; install Rust (https://rustup.rs) to build the WebGPU addon" >&2
  exit 1
fi
if [[ ! -d target/release ]]; then
  echo "native/gpu: first build of the WebGPU addon (cargo build --release; several minutes on 2 cores) ..." >&2
fi
cargo build --release --quiet
case "$(uname -s)" in
  Darwin) lib="target/release/libzerocast_gpu.dylib" ;;
  *) lib="target/release/libzerocast_gpu.so" ;;
esac
out="zerocast-gpu.node"
if [[ ! -f "$out" || "$lib" -nt "$out" ]]; then
  cp -f "$lib" "$out.tmp"
  mv -f "$out.tmp" "$out"
  echo "native/gpu: installed $out"
fi

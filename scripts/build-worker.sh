#!/usr/bin/env bash
# Builds the release worker into build/ without letting worker-build download anything:
# every tool it would fetch is pointed at one installed from crates.io or npm.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen || true)}"
for tool in "$ESBUILD_BIN" "$WASM_BINDGEN_BIN" "$(command -v worker-build || true)"; do
  [ -n "$tool" ] && [ -x "$tool" ] || { echo "build-worker: a tool is missing ('$tool'); run scripts/setup.sh" >&2; exit 1; }
done
lock_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
cli_version=$("$WASM_BINDGEN_BIN" --version | awk '{print $2}')
if [ "$lock_version" != "$cli_version" ]; then
  echo "build-worker: wasm-bindgen CLI $cli_version differs from Cargo.lock's $lock_version; run scripts/setup.sh" >&2
  exit 1
fi
worker-build --release "$@"
node scripts/strip-wasm-names.mjs build/index_bg.wasm
if [ "${WASM_OPT:-0}" = 1 ]; then
  # Optional shrink for deploy builds (about 10 s); the dev loop skips it.
  "$WASM_OPT_BIN" build/index_bg.wasm -o build/index_bg.wasm -Oz \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling
fi

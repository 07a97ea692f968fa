#!/usr/bin/env bash
# Installs what the build and the tests need, from crates.io, npm and apt only, skipping what is
# already there. Safe to run again; takes seconds when everything is installed.
#   scripts/setup.sh           toolchain for building and HTTP tests
#   scripts/setup.sh browser   also Chromium for the page tests
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { echo "setup: $*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

for component in clippy rustfmt; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    say "adding the $component component"
    rustup component add "$component"
  fi
done

# The CLI must equal the wasm-bindgen crate in Cargo.lock. No --locked: its lockfile pins a
# crate version the registry mirror does not serve.
want_bindgen=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
have_bindgen=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_bindgen" != "$want_bindgen" ]; then
  say "installing wasm-bindgen-cli $want_bindgen (about 3 min)"
  cargo install wasm-bindgen-cli --version "$want_bindgen" --force
fi

if [ "$(worker-build --version 2>/dev/null | awk '{print $NF}' || true)" != "0.8.7" ]; then
  say "installing worker-build 0.8.7 (about 6 min)"
  cargo install worker-build --version 0.8.7 --locked --force
fi

if [ ! -x node_modules/.bin/wrangler ] || ! npm ls --depth=0 >/dev/null 2>&1; then
  say "installing npm packages"
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" = browser ] && ! command -v chromium >/dev/null; then
  say "installing Debian's chromium for the page tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
fi
say "ready"

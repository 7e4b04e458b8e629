#!/usr/bin/env bash
# Installs what the build and the tests need, once. Prints nothing when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

CARGO_LEPTOS_VERSION=0.3.10

say() { echo "tools: $*"; }

# The WASM target.
if ! rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
  say "adding rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos, pinned: its CLI and the Leptos metadata it reads change between versions.
if ! cargo leptos --version 2>/dev/null | grep -qF "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION"
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
fi

# wasm-bindgen-cli must be exactly the version of the wasm-bindgen crate in Cargo.lock,
# or the generated JS does not match the WASM. cargo-leptos takes it from PATH.
wasm_bindgen_version=$(awk '
  $0 == "name = \"wasm-bindgen\"" { found = 1; next }
  found && /^version = / { gsub(/^version = "|"$/, ""); print; exit }
' Cargo.lock)
if [[ -z "$wasm_bindgen_version" ]]; then
  echo "tools: cannot read the version of wasm-bindgen from Cargo.lock" >&2
  exit 1
fi
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wasm_bindgen_version"* ]]; then
  say "installing wasm-bindgen-cli $wasm_bindgen_version"
  cargo install wasm-bindgen-cli --version "$wasm_bindgen_version"
fi

# npm packages of end2end/: Playwright, maildev (SMTP sink for demo and tests) and binaryen (wasm-opt).
stamp=end2end/node_modules/.cardonfile-npm-ci.stamp
if [[ ! -d end2end/node_modules || ! -f "$stamp" || end2end/package-lock.json -nt "$stamp" ]]; then
  say "installing npm packages of end2end/"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  touch "$stamp"
fi

# Debian's Chromium: Playwright drives it and never downloads a browser of its own.
if [[ ! -x /usr/bin/chromium ]]; then
  say "installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi

# Debian's brotli: compresses the site's WASM ahead of time at the highest quality.
if ! command -v brotli >/dev/null; then
  say "installing Debian's brotli"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli
fi

# Debian's wrk: `make bench`'s load for throughput figures (fixed-rate figures use end2end/bench/rate.mjs).
if ! command -v wrk >/dev/null; then
  say "installing Debian's wrk"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi

#!/usr/bin/env bash
# The release build: the merchant app (server + its WASM, code-split per page) and the customer's
# card page bundle (frontend/pay, its own cargo-leptos project, WASM only), put side by side in
# target/site/pkg, then precompressed.
set -euo pipefail
cd "$(dirname "$0")/.."
# As the Makefile sets them, for a direct run: the shared build cache, and wasm-opt from end2end's
# npm packages (without it cargo-leptos tries to download one, which fails offline).
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/cardonfile/target}
export PATH="$PWD/end2end/node_modules/.bin:$PATH"

cargo leptos build --release --split --project cardonfile
# --frontend-only: the server above serves this bundle; rebuilding it here would relink it with
# this project's LEPTOS_OUTPUT_NAME.
cargo leptos build --release --frontend-only --project pay
cp target/site-pay/pkg/pay.js target/site-pay/pkg/pay.wasm target/site/pkg/
scripts/precompress.sh

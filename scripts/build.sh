#!/usr/bin/env bash
# The release build: the merchant app (server + its WASM, code-split per page) and the customer's
# card page bundle (frontend/pay, its own cargo-leptos project, WASM only), put side by side in
# target/site/pkg, then precompressed.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo leptos build --release --split --project cardonfile
# --frontend-only: the server above serves this bundle; rebuilding it here would relink it with
# this project's LEPTOS_OUTPUT_NAME.
cargo leptos build --release --frontend-only --project pay
cp target/site-pay/pkg/pay.js target/site-pay/pkg/pay.wasm target/site/pkg/
scripts/precompress.sh

#!/usr/bin/env bash
# `make bench`: what a browser downloads for the site, raw and compressed.
set -euo pipefail
cd "$(dirname "$0")/.."

pkg_dir=target/site/pkg
shopt -s nullglob
files=("$pkg_dir"/*.wasm "$pkg_dir"/*.js)
if ((${#files[@]} == 0)); then
  echo "bench: no .wasm or .js in $pkg_dir; run 'make build' first" >&2
  exit 1
fi

if command -v brotli >/dev/null; then
  method="brotli -q 11 (Debian's brotli)"
  compressed_size() { brotli -q 11 -c "$1" | wc -c; }
elif python3 -c 'import brotli' 2>/dev/null; then
  method="brotli (quality 11, python3 brotli module)"
  compressed_size() { python3 -c 'import brotli, sys; print(len(brotli.compress(open(sys.argv[1], "rb").read(), quality=11)))' "$1"; }
else
  method="gzip -9 (python3 brotli module not installed)"
  compressed_size() { gzip -9 -c "$1" | wc -c; }
fi

echo "bench: sizes of $pkg_dir; compressed with $method"
printf '%-44s %12s %12s\n' file raw compressed
total_raw=0
total_compressed=0
for f in "${files[@]}"; do
  raw=$(stat -c %s "$f")
  compressed=$(compressed_size "$f")
  total_raw=$((total_raw + raw))
  total_compressed=$((total_compressed + compressed))
  printf '%-44s %12d %12d\n' "$(basename "$f")" "$raw" "$compressed"
done
printf '%-44s %12d %12d\n' total "$total_raw" "$total_compressed"

# The same bytes as a browser sees them, page by page (needs the release build and chromium).
echo
echo "bench: what pages download (Playwright; transferred = as served, compressed by the server)"
(cd end2end && npx playwright test -c playwright.bench.config.ts --reporter=line)

#!/usr/bin/env bash
# After a release build: writes X.br (brotli, quality 11) beside each WASM, JS and CSS file of the
# site, which the server sends to browsers that accept brotli (server/src/precompressed.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

pkg_dir=target/site/pkg
if ! command -v brotli >/dev/null; then
  echo "precompress: brotli is not installed (make tools installs it); serving compressed on the fly" >&2
  exit 0
fi
shopt -s nullglob
for f in "$pkg_dir"/*.wasm "$pkg_dir"/*.js "$pkg_dir"/*.css; do
  brotli -q 11 -f -o "$f.br" "$f"
done

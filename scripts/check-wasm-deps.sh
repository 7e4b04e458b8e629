#!/usr/bin/env bash
# The WASM must never link server-only crates: the database layer, the async runtime, the mailer,
# password hashing or the Stripe API client. They stay behind app's `ssr` feature. Both bundles are
# checked: the merchant app (frontend) and the customer's card page (pay).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each line of `cargo tree --prefix none` starts with "<crate> v<version>". The sea-orm, sea-query and
# sqlx families are matched whole (sea-orm-macros, sqlx-core …); stripe by prefix (stripe-rust, async-stripe-*).
forbidden='^((sea-orm|sea-query|sqlx)([-_][A-Za-z0-9_-]+)?|tokio|lettre|argon2|(async-stripe|async_stripe|stripe)[A-Za-z0-9_-]*) v'

for package in frontend pay; do
  tree=$(cargo tree -p "$package" --target wasm32-unknown-unknown -e normal --prefix none)
  offending=$(grep -E "$forbidden" <<<"$tree" | sort -u || true)
  if [[ -n "$offending" ]]; then
    echo "check-wasm-deps: the WASM (package $package) depends on server-only crates:" >&2
    echo "$offending" >&2
    echo "check-wasm-deps: see 'cargo tree -p $package --target wasm32-unknown-unknown -e normal -i <crate>' for the path" >&2
    exit 1
  fi
  echo "check-wasm-deps: $package ok ($(sort -u <<<"$tree" | wc -l) crates in its WASM tree, none server-only)"
done

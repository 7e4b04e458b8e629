# Card on File — build, run and test. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Build output lives outside the work tree so a fresh clone reuses the compiled dependencies.
# The site (target/site) stays in the repo, where the server looks for it.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/cardonfile/target
# wasm-opt (binaryen), maildev and playwright come from end2end/'s npm packages.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: help tools build run test e2e bench soak clippy check-wasm-deps stripe-check

help:
	@echo "make tools   install what is missing (wasm target, cargo-leptos, wasm-bindgen-cli, npm packages, chromium)"
	@echo "make build   scripts/build.sh: the release server, the merchant app's WASM and the card page's (site in target/site, server in \$$CARGO_TARGET_DIR/release/server)"
	@echo "make run     build, then run maildev and the server in demo mode on http://127.0.0.1:3000"
	@echo "make test    fmt, clippy, WASM dependency check, cargo tests (SQLite, and Postgres if TEST_DATABASE_URL), release build, Playwright"
	@echo "make e2e     build, then the Playwright suite only"
	@echo "make bench   build, then eight performance figures against baselines of the same run (target/bench/latest.md)"
	@echo "make soak    SOAK_MINUTES (default 30) of every flow at half the measured maximum; prints 5xx, email lag p99, RSS"
	@echo "make stripe-check  the payments flow against real Stripe test mode (needs STRIPE_TEST_SECRET_KEY)"

tools:
	@scripts/tools.sh

build: tools
	scripts/build.sh

run: build
	@scripts/run.sh

clippy:
	cargo clippy -p app --features ssr --all-targets -- -D warnings
	cargo clippy -p app --features spa --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p server -p migrations -p stripe-emulator --all-targets -- -D warnings
	cargo clippy -p frontend -p pay --target wasm32-unknown-unknown -- -D warnings

check-wasm-deps:
	@scripts/check-wasm-deps.sh

test: tools
	cargo fmt --all --check
	@$(MAKE) --no-print-directory clippy
	@$(MAKE) --no-print-directory check-wasm-deps
	@# Not --workspace: that would unify app's `ssr` and `hydrate` features into one build.
	env -u TEST_DATABASE_URL cargo test -p app --features ssr
	env -u TEST_DATABASE_URL cargo test -p server -p migrations -p stripe-emulator
	@if [[ -n "$${TEST_DATABASE_URL:-}" ]]; then \
		echo "cargo test -p server --test api  (TEST_DATABASE_URL is set: Postgres)"; \
		cargo test -p server --test api; \
	else \
		echo "TEST_DATABASE_URL is not set: skipping the Postgres run of the API tests"; \
	fi
	scripts/build.sh
	cd end2end && npx playwright test
	cd end2end && SOAK_MINUTES=2 npx playwright test -c playwright.soak.config.ts --reporter=line
	BENCH_SMOKE=1 scripts/bench.sh

e2e: build
	cd end2end && npx playwright test

# Issue 13's figures P1–P8 on the release build; BENCH_SMOKE=1 is the short run in `make test`.
bench: build
	@scripts/bench.sh

# RELIABILITY R20 against the release build. `make test` runs it for 2 minutes.
soak: build
	cd end2end && SOAK_MINUTES=$${SOAK_MINUTES:-30} npx playwright test -c playwright.soak.config.ts --reporter=line

# The same Rust payments flow the tests run against the emulator, against Stripe's test mode: the
# check that the emulator is faithful. Not in CI (no keys, no network there).
stripe-check:
	@if [[ "$${STRIPE_TEST_SECRET_KEY:-}" != sk_test_* ]]; then \
		echo "stripe-check: set STRIPE_TEST_SECRET_KEY to a Stripe test-mode secret key (sk_test_...)"; exit 1; \
	fi
	cargo test -p server --test api payments::against_real_stripe -- --ignored --nocapture

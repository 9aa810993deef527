# Klingel — the two commands that matter: `make run` and `make test`.
CARGO ?= cargo

.PHONY: run test deps build fmt lint check

## Install what the build needs (if missing), build, and start the listener.
run: deps
	$(CARGO) run --release --locked -p klingeld -- serve

## Formatting, lints and every test.
test: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --locked -- -D warnings
	$(CARGO) test --workspace --locked

## System packages the build needs (Debian/Ubuntu; no-op when present).
deps:
	@scripts/install-deps.sh

build: deps
	$(CARGO) build --release --locked

fmt:
	$(CARGO) fmt --all

# Klingel — the two commands that matter: `make run` and `make test`.
CARGO ?= cargo
SCREENSHOTS := target/screenshots
# Helper tools (tauri-driver) are cached outside the clone and reused by every clone.
export KLINGEL_TOOLS ?= $(HOME)/.cache/klingel-tools

.PHONY: run test deps test-deps check unit e2e package package-test screenshots release fmt

## Install what the build needs (when missing), build the desktop app and open its window.
run: deps
	$(CARGO) build --release --locked --features custom-protocol -p klingel -p klingeld
	./target/release/klingel

## Formatting, lints, every test, the window end to end under Xvfb, and the packages.
test: test-deps check unit e2e package-test

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

check: test-deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	# The core as the app links it: without the tests' `testing` feature.
	$(CARGO) clippy -p klingel-core --lib --locked -- -D warnings
	# Licenses, sources and bans of every dependency (deny.toml says why each exception is there).
	$(KLINGEL_TOOLS)/bin/cargo-deny --log-level error check bans licenses sources

## Core, CLI and popup tests (the popup test runs its own D-Bus daemon).
unit:
	$(CARGO) test --workspace --locked

## The real app in a real webview (cargo builds the app binary for the test, with the test
## build's features, so nothing is compiled twice). Output goes to a file, not a pipe: a
## leftover WebKit or D-Bus child holding a pipe open would hang the run.
e2e:
	mkdir -p $(SCREENSHOTS)
	KLINGEL_SCREENSHOT_DIR=$(CURDIR)/$(SCREENSHOTS) TAURI_DRIVER=$(KLINGEL_TOOLS)/bin/tauri-driver \
	  timeout -k 10 600 xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
	  $(CARGO) test --locked -p klingel --test e2e -- --ignored --nocapture --test-threads=1 the_window > target/e2e.log 2>&1 \
	  || { cat target/e2e.log; exit 1; }
	cat target/e2e.log

## Installable packages with Tauri's bundler: a .deb and an .rpm with the app, klingeld, the
## desktop entry, the icons and a systemd user unit, in target/release/bundle/{deb,rpm}/.
package:
	@scripts/install-deps.sh package
	$(KLINGEL_TOOLS)/bin/cargo-tauri build --bundles deb,rpm

## Builds the packages, then checks the .deb as a user would meet it: its files and desktop
## entry, and the installed app started as at login (--minimized) under Xvfb: listening, no
## window.
package-test: package
	timeout -k 10 600 xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
	  $(CARGO) test --locked -p klingel --test package -- --ignored --nocapture > target/package.log 2>&1 \
	  || { cat target/package.log; exit 1; }
	cat target/package.log

## The gallery in docs/screenshots/: every view at 800x600 and 1280x800, light and dark,
## German and English (the real app under Xvfb). Tests never write tracked files; this does.
screenshots: test-deps
	KLINGEL_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots TAURI_DRIVER=$(KLINGEL_TOOLS)/bin/tauri-driver \
	  timeout -k 10 900 xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
	  $(CARGO) test --locked -p klingel --test e2e -- --ignored --nocapture gallery > target/gallery.log 2>&1 \
	  || { cat target/gallery.log; exit 1; }

release: deps
	$(CARGO) build --release --locked --features custom-protocol -p klingel -p klingeld

fmt:
	$(CARGO) fmt --all

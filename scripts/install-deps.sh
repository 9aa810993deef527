#!/usr/bin/env bash
# Installs what building, running and testing Klingel needs, when it is missing:
#   build  — compiler, pkg-config, WebKitGTK 4.1 and friends for the Tauri window
#   test   — additionally Xvfb, D-Bus, WebKitWebDriver, and tauri-driver, cargo-deny and
#            tauri-cli (into KLINGEL_TOOLS, default ~/.cache/klingel-tools)
#   package — what `make package` needs: the build's packages and tauri-cli
# Debian/Ubuntu with apt-get; elsewhere it lists what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-build}"

packages=(build-essential pkg-config file libssl-dev libdbus-1-dev libxdo-dev librsvg2-dev
          libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev libsoup-3.0-dev
          libjavascriptcoregtk-4.1-dev)
if [ "$what" = test ]; then
    # pebble stands in for Let's Encrypt in the ACME test (with its pebble-challtestsrv);
    # gnome-keyring is the desktop keyring the sipgate token test keeps its token in.
    packages+=(xvfb xauth dbus dbus-x11 webkit2gtk-driver fonts-dejavu-core pebble openssl
               gnome-keyring desktop-file-utils xdotool)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install-deps: please install: ${missing[*]}" >&2
        exit 1
    fi
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "install-deps: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Helper tools live outside the clone, so every clone and every CI run on this machine reuses
# them, and a fresh machine still gets them.
tools="${KLINGEL_TOOLS:-$HOME/.cache/klingel-tools}"
if [ "$what" = test ] && [ ! -x "$tools/bin/tauri-driver" ]; then
    echo "install-deps: installing tauri-driver into $tools" >&2
    cargo install tauri-driver --version '^2' --locked --root "$tools" --quiet
fi
if [ "$what" = test ] && [ ! -x "$tools/bin/cargo-deny" ]; then
    echo "install-deps: installing cargo-deny into $tools" >&2
    cargo install cargo-deny --version '^0.20' --locked --root "$tools" --quiet
fi

# Tauri's bundler for the .deb and .rpm, pinned to the version the app is built with. npm's
# prebuilt binary takes seconds; without npm it is built from source (several minutes).
TAURI_CLI_VERSION=2.12.5
if [ "$what" = test ] || [ "$what" = package ]; then
    cli="$tools/bin/cargo-tauri"
    if ! "$cli" --version 2>/dev/null | grep -qx "tauri-cli $TAURI_CLI_VERSION"; then
        echo "install-deps: installing tauri-cli $TAURI_CLI_VERSION into $tools" >&2
        mkdir -p "$tools/bin"
        rm -f "$cli"
        if command -v npm >/dev/null 2>&1 \
            && npm install --silent --no-audit --no-fund --prefix "$tools/tauri-cli" \
                "@tauri-apps/cli@$TAURI_CLI_VERSION" >/dev/null \
            && "$tools/tauri-cli/node_modules/.bin/tauri" --version >/dev/null 2>&1; then
            ln -s "$tools/tauri-cli/node_modules/.bin/tauri" "$cli"
        else
            cargo install tauri-cli --version "=$TAURI_CLI_VERSION" --locked --root "$tools" --quiet
        fi
    fi
fi

#!/bin/sh
# Make sure a headless Chromium is available for the report's real-browser test.
#
# Debian's own `chromium` package, installed through apt: the project never lets a test tool
# download a browser of its own. Idempotent and fast (one `command -v`) when it is present;
# quiet unless something fails. Needs root (or sudo) to install; when neither is available it
# says so and exits non-zero, so `make test` stops with a clear message instead of skipping.
set -eu

for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then
        exit 0
    fi
done

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: no chromium and no apt-get; install Chromium with your package manager" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "ensure-chromium: chromium is missing and installing it needs root: apt-get install chromium" >&2
    exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing (slim images) or stale (candidate gone from the mirror).
if ! $SUDO apt-get install -y -qq --no-install-recommends chromium >"$log" 2>&1; then
    if ! { $SUDO apt-get update -qq && \
           $SUDO apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
        cat "$log" >&2
        echo "ensure-chromium: apt-get install chromium failed" >&2
        exit 1
    fi
fi
command -v chromium >/dev/null 2>&1 || { echo "ensure-chromium: installed, but 'chromium' is not on PATH" >&2; exit 1; }

#!/usr/bin/env bash
# Installs what the app and its tests need beyond the .NET SDK: Azurite from the
# project's npm lock file, and (with --browser) Debian's Chromium headless shell for browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x tools/azurite/node_modules/.bin/azurite ] || [ tools/azurite/package-lock.json -nt tools/azurite/node_modules/.package-lock.json ]; then
  echo "==> installing Azurite from tools/azurite/package-lock.json"
  (cd tools/azurite && npm ci --no-audit --no-fund --loglevel=error)
fi

# The CJK font is checked on its own: without it the screenshots kept as test artefacts show Chinese as empty boxes.
if [ "${1:-}" = "--browser" ] && { [ ! -x /usr/bin/chromium-headless-shell ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; }; then
  echo "==> installing Debian's chromium-headless-shell and a CJK font (fonts-noto-cjk) for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium-headless-shell fonts-noto-cjk >/dev/null
fi

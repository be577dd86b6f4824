#!/usr/bin/env bash
# System packages the test suite needs and pip cannot provide: Debian's Chromium (Playwright
# drives it; no browser download), the PostgreSQL server and redis-server (tests/test_throttle.py
# starts a private one on a Unix socket; nothing listens on a port), LibreOffice Calc without its
# GUI (tests/test_board_pack.py opens the board pack with `soffice --headless --convert-to pdf`, the
# nearest a test gets to "opens with no repair prompt") and poppler-utils (pdfinfo counts the pages).
# Installed only when missing.
#
# Without recommends, as on a fresh machine: Chromium's recommended fonts-liberation (Arial's
# metrics) is not installed, so pages render in Debian's default DejaVu Sans, which is wider.
# The browser tests must not depend on which fonts a machine has: tests/browser/reflow.py checks
# every page at 320 px also with WCAG text spacing, which widens text more than any font swap.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
command -v pdfinfo >/dev/null 2>&1 || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing ${missing[*]} from Debian's packages" >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

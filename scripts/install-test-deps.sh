#!/usr/bin/env bash
# System packages the integration tests need: Debian's Dovecot IMAP server, openssl (test TLS certificates), and
# Debian's chromium with its chromedriver (tests/test_web_browser.py drives the web pages in a real browser),
# LibreOffice Writer and poppler (the yearly report's Word draft converted to PDF and page images).
# Installs them only when missing, and only as root; otherwise says what to install. Idempotent.
set -euo pipefail
# tests/test_web_browser.py injects axe-core (the npm package) into every page it visits; kept in a project-local,
# gitignored folder. Needs no root; skipped (with a note) without npm.
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -f "$here/tests/.node/node_modules/axe-core/axe.min.js" ]; then
  if command -v npm >/dev/null 2>&1; then
    npm install --silent --no-audit --no-fund --prefix "$here/tests/.node" axe-core@4 >&2
  else
    echo "install-test-deps: npm not found; the browser test skips its axe-core checks (fails under CI=true)" >&2
  fi
fi
missing=()
command -v dovecot >/dev/null 2>&1 || missing+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
# tests/test_report_docx.py converts the Word draft to PDF and page images (skips without them; fails under CI=true)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: missing ${missing[*]}; as root run:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  echo "(the IMAP tests fail without dovecot; the browser test skips without chromium, and fails under CI=true)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
for cmd in dovecot openssl chromium chromedriver soffice pdftoppm; do
  command -v "$cmd" >/dev/null || { echo "install-test-deps: $cmd still not found after install" >&2; exit 1; }
done

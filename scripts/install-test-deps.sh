#!/usr/bin/env bash
# System packages the integration tests need: Debian's Dovecot IMAP server and openssl (test TLS certificates).
# Installs them only when missing, and only as root; otherwise says what to install. Idempotent.
set -euo pipefail
missing=()
command -v dovecot >/dev/null 2>&1 || missing+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: missing ${missing[*]}; as root run:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends dovecot-imapd openssl" >&2
  echo "(the IMAP integration tests fail without them; they never skip)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends dovecot-imapd openssl
command -v dovecot >/dev/null || { echo "install-test-deps: dovecot still not found after install" >&2; exit 1; }

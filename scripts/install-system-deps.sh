#!/usr/bin/env bash
# Debian packages the test suite needs: PostgreSQL server (throwaway clusters),
# Chromium (Playwright browser tests), poppler-utils (pdftotext/pdftoppm),
# Pango (WeasyPrint). Installs only what is missing; needs root for that.
set -euo pipefail

packages=(postgresql chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a cluster of its own; tests use throwaway ones.
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters --no-header 2>/dev/null | while read -r ver name _rest; do
    pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true
  done
fi

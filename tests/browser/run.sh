#!/usr/bin/env bash
# The studio view in a real browser (needs Node 20+, npm and Chromium; CI runs it when they are available).
# `bash tests/browser/run.sh --docs` also refreshes the README's screenshots in docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")"
export CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$CHROMIUM" ]; then
  echo "SKIPPED: chromium not found (Debian: apt-get install chromium), so the browser test did not run."
  exit 0
fi
if ! npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>npm-error.log; then
  echo "SKIPPED: npm could not install the browser test's packages (no registry access?):"
  tail -3 npm-error.log
  rm -f npm-error.log
  exit 0
fi
rm -f npm-error.log
node studio.test.mjs "$@"

#!/usr/bin/env bash
# The TypeScript SDK client interop test (needs Node 20+ and npm; CI runs it when they are available).
set -euo pipefail
cd "$(dirname "$0")"
if ! npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>npm-error.log; then
  echo "SKIPPED: npm could not install @modelcontextprotocol/sdk (no registry access?):"
  tail -3 npm-error.log
  rm -f npm-error.log
  exit 0
fi
rm -f npm-error.log
node client.mjs

#!/usr/bin/env bash
# The TypeScript SDK client interop test (needs Node 20+ and npm; CI runs it when they are available).
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --loglevel=error >/dev/null
node client.mjs

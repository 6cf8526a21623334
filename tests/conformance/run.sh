#!/usr/bin/env bash
# The official MCP conformance suite (pinned in package-lock.json, with the Node 22 it needs) against
# `avatar-mcp serve --http`. Needs the npm registry; without it this step says so and is skipped.
#   usage: tests/conformance/run.sh [path/to/avatar-mcp]   (default: the repo's .venv/bin/avatar-mcp)
set -euo pipefail
cd "$(dirname "$0")"
SERVER=${1:-../../.venv/bin/avatar-mcp}
SCENARIOS=(server-initialize ping tools-list resources-list prompts-list completion-complete logging-set-level
           dns-rebinding-protection server-sse-multiple-streams)

if ! npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>npm-error.log; then
  echo "SKIPPED: the npm registry could not be reached, so the MCP conformance suite did not run:"
  tail -3 npm-error.log
  rm -f npm-error.log
  exit 0
fi
rm -f npm-error.log
NODE=node_modules/node/bin/node
SUITE=node_modules/@modelcontextprotocol/conformance/dist/index.js
echo "conformance suite $("$NODE" "$SUITE" --version) on node $("$NODE" --version)"

DATA=$(mktemp -d)
PORT=$("$NODE" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
AVATAR_MCP_DATA_DIR="$DATA" "$SERVER" serve --http --port "$PORT" >"$DATA/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do
  if "$NODE" -e "require('net').connect($PORT,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"; then
    break
  fi
  sleep 0.1
done

passed=0
failed=0
for scenario in "${SCENARIOS[@]}"; do
  if out=$("$NODE" "$SUITE" server --url "http://127.0.0.1:$PORT/mcp" --scenario "$scenario" 2>&1) \
      && grep -q ", 0 failed" <<<"$out"; then
    echo "  ok    $scenario"
    passed=$((passed + 1))
  else
    echo "  FAIL  $scenario"
    sed 's/^/        /' <<<"$out" | tail -25
    failed=$((failed + 1))
  fi
done
echo "conformance: $passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
  echo "server log:"; tail -20 "$DATA/server.log"
  exit 1
fi

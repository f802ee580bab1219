#!/usr/bin/env bash
# Generates the TypeScript and Python clients for examples/operations/*.graphql from
# schema.graphql, type-checks the TypeScript one (tsc --strict), and runs every operation
# with both against a live `seg-graphql serve` on a free loopback port.
# With SEG_SDK_FROM_URL=1 it also generates both clients from the live server's introspection:
# the TypeScript output must equal the one from schema.graphql, and the Python test runs again
# with the client generated from the URL.
# Needs the server's virtualenv at .venv (the README's set-up), node and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

port=$(.venv/bin/python -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
key="sgk_sdk_$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(24))")"
export SEG_GRAPHQL_URL="http://127.0.0.1:$port/graphql" SEG_API_KEY="$key"
log=$(mktemp)
SEG_DEV_API_KEY="$key" SEG_IMPORT_POLL_SECONDS=0.2 .venv/bin/seg-graphql serve --port "$port" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
.venv/bin/python - "$port" <<'PY' || { cat "$log"; exit 1; }
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=1)
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit("the server did not become ready in 30 s")
PY
echo "server at $SEG_GRAPHQL_URL (pid $server)"

echo "-- TypeScript: npm ci, codegen (client preset) from schema.graphql, tsc --strict, node --test"
cd "$root/examples/typescript"
npm ci --no-audit --no-fund --loglevel=error
npx graphql-codegen --config codegen.ts
npx tsc -p tsconfig.json
node --test --test-reporter=spec dist/
if [ "${SEG_SDK_FROM_URL:-0}" = 1 ]; then
  echo "-- TypeScript: codegen from $SEG_GRAPHQL_URL must equal the output from schema.graphql"
  npx graphql-codegen --config codegen.url.ts
  diff -r src/gql gql-from-url
fi

echo "-- Python: ariadne-codegen in its own virtualenv, a typed client from schema.graphql, pytest"
cd "$root/examples/python"
python3 -m venv .venv
.venv/bin/pip install -q -r requirements.txt
rm -rf generated generated_from_url && mkdir generated generated_from_url
.venv/bin/ariadne-codegen --config pyproject.toml
.venv/bin/python -m pytest -q test_client.py
if [ "${SEG_SDK_FROM_URL:-0}" = 1 ]; then
  echo "-- Python: ariadne-codegen from $SEG_GRAPHQL_URL, then the same test with that client"
  .venv/bin/ariadne-codegen --config from_url.toml
  SEG_CLIENT_DIR=generated_from_url .venv/bin/python -m pytest -q test_client.py
fi

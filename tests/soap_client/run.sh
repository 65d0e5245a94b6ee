#!/usr/bin/env bash
# Runs the zeep SOAP client against a freshly started server: builds the
# binary, serves a temporary data directory (seeded with the Demo company) on
# a free port, runs the client over SOAP 1.1 and 1.2, and stops the server.
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 -c "import zeep" 2>/dev/null || python3 -m pip install --quiet zeep

cargo build --quiet
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export RENDITION_ADMIN_USER=zeep-admin@example.com
export RENDITION_ADMIN_PASSWORD=zeep-secret
./target/debug/rendition serve --listen "127.0.0.1:$port" --data "$data" >"$data/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT

for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done

python3 tests/soap_client/zeep_client.py "http://127.0.0.1:$port"
python3 tests/soap_client/zeep_client.py "http://127.0.0.1:$port" --soap12

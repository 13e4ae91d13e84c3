#!/usr/bin/env bash
# Runs what the container runs: `npm ci --omit=dev` in a clean copy, then `node dist/server.js`
# against the simulator, and one real cancel through it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cp "$root/package.json" "$root/package-lock.json" "$work/"
cp -r "$root/dist" "$work/dist"
cd "$work"
NODE_ENV=production npm ci --omit=dev --no-audit --no-fund --loglevel=error
test ! -e node_modules/tap || { echo "dev dependencies leaked into the production install" >&2; exit 1; }

sim_port=47010
port=47000
SIM_PORT=$sim_port node dist/simulator/main.js >"$work/sim.log" 2>&1 & pids+=($!)
NODE_ENV=production GOOTEN_BASE_URL="http://127.0.0.1:$sim_port" GOOTEN_RECIPE_ID=sim-recipe-id \
  GOOTEN_PARTNER_BILLING_KEY='sim+billing/key==' HOST=127.0.0.1 PORT=$port \
  node dist/server.js >"$work/server.log" 2>&1 & pids+=($!)

for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
answer="$(curl -s -w '\n%{http_code}' -X POST "http://127.0.0.1:$port/orders/13-f91acc87-bd23-40df-91f4-72dad9a3c971/items/cancel" \
  -H 'content-type: application/json' -d '{"itemIds":[6924457],"reason":"ci smoke"}')"
echo "$answer"
status="$(tail -n1 <<<"$answer")"
if [ "$status" != "200" ] || ! grep -q '"outcome":"cancelled"' <<<"$answer"; then
  echo "production smoke failed; server log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
if grep -q 'sim+billing' "$work/server.log"; then echo "the billing key reached the log" >&2; exit 1; fi

# Tracing on, from the production install alone: a collector on loopback keeps what the service
# exports; SIGTERM must flush the cancel's spans to it, and none may hold the billing key.
collector_port=47318
traced_port=47001
node -e "require('node:http').createServer((q, s) => { q.pipe(require('node:fs').createWriteStream('$work/otlp-' + Date.now() + '-' + Math.random() + '.bin')); q.on('end', () => s.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()) }).listen($collector_port, '127.0.0.1')" & pids+=($!)
NODE_ENV=production GOOTEN_BASE_URL="http://127.0.0.1:$sim_port" GOOTEN_RECIPE_ID=sim-recipe-id \
  GOOTEN_PARTNER_BILLING_KEY='sim+billing/key==' HOST=127.0.0.1 PORT=$traced_port \
  OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$collector_port" \
  node dist/server.js >"$work/traced.log" 2>&1 & traced=$!; pids+=($traced)
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$traced_port/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs -X POST "http://127.0.0.1:$traced_port/orders/13-f91acc87-bd23-40df-91f4-72dad9a3c971/items/cancel" \
  -H 'content-type: application/json' -H 'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' \
  -d '{"itemIds":[6924458]}' >/dev/null
kill -TERM "$traced"
wait "$traced" || { echo "the traced server did not exit cleanly; its log:" >&2; cat "$work/traced.log" >&2; exit 1; }
if ! cat "$work"/otlp-*.bin 2>/dev/null | grep -aq 'gooten cancelItems'; then echo "no span reached the collector" >&2; cat "$work/traced.log" >&2; exit 1; fi
if cat "$work"/otlp-*.bin | grep -aq -e 'sim+billing' -e 'sim%2Bbilling'; then echo "the billing key reached the collector" >&2; exit 1; fi
grep -q '"trace_id":"0af7651916cd43dd8448eb211c80319c"' "$work/traced.log" || { echo "log lines lack the trace id" >&2; exit 1; }
echo "production smoke passed"

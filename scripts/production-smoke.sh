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
# What the image holds: the service without the simulator and demo (built beside it by `npm run build`).
rm -rf "$work/dist/simulator" "$work"/dist/demo.js*
cd "$work"
NODE_ENV=production npm ci --omit=dev --no-audit --no-fund --loglevel=error
test ! -e node_modules/tap || { echo "dev dependencies leaked into the production install" >&2; exit 1; }

# Every process listens on port 0 and the script reads the bound address from its log: a fixed
# port in the ephemeral range can be taken by any socket the tests left behind.
# wait_for_url LOG PATTERN: the first http://host:port in LOG after PATTERN, once it appears.
wait_for_url() {
  local url
  for _ in $(seq 1 200); do
    url="$(grep -o "$2"' http://[0-9.]*:[0-9]*' "$1" 2>/dev/null | head -n1 | grep -o 'http://.*' || true)"
    if [ -n "$url" ]; then echo "$url"; return 0; fi
    sleep 0.05
  done
  echo "no '$2' in $1 after 10 s:" >&2; cat "$1" >&2; return 1
}
# start_service LOG [VAR=value...]: the built server against the simulator, in the background.
start_service() {
  local log="$1"; shift
  env NODE_ENV=production GOOTEN_BASE_URL="$sim_url" GOOTEN_RECIPE_ID=sim-recipe-id \
    GOOTEN_PARTNER_BILLING_KEY='sim+billing/key==' HOST=127.0.0.1 PORT=0 "$@" \
    node dist/server.js >"$log" 2>&1 &
  pids+=($!)
}
# ready_url LOG: the service's URL once it listens and its readiness probe answers 200.
ready_url() {
  local url; url="$(wait_for_url "$1" 'Server listening at')"
  curl -fs "$url/health/ready" >/dev/null || { echo "$url/health/ready is not 200; log:" >&2; cat "$1" >&2; return 1; }
  echo "$url"
}

SIM_PORT=0 node "$root/dist/simulator/main.js" >"$work/sim.log" 2>&1 & pids+=($!)
sim_url="$(wait_for_url "$work/sim.log" 'gooten simulator listening on')"
start_service "$work/server.log"
base="$(ready_url "$work/server.log")"

answer="$(curl -s -w '\n%{http_code}' -X POST "$base/orders/13-f91acc87-bd23-40df-91f4-72dad9a3c971/items/cancel" \
  -H 'content-type: application/json' -d '{"itemIds":[6924457],"reason":"ci smoke"}')"
echo "$answer"
status="$(tail -n1 <<<"$answer")"
if [ "$status" != "200" ] || ! grep -q '"outcome":"cancelled"' <<<"$answer"; then
  echo "production smoke failed; server log:" >&2
  cat "$work/server.log" >&2
  echo "simulator log:" >&2
  cat "$work/sim.log" >&2
  exit 1
fi
if grep -q 'sim+billing' "$work/server.log"; then echo "the billing key reached the log" >&2; exit 1; fi

# Tracing on, from the production install alone: a collector on loopback keeps what the service
# exports; SIGTERM must flush the cancel's spans to it, and none may hold the billing key.
node -e "const s = require('node:http').createServer((q, r) => { q.pipe(require('node:fs').createWriteStream('$work/otlp-' + Date.now() + '-' + Math.random() + '.bin')); q.on('end', () => r.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()) }); s.listen(0, '127.0.0.1', () => console.log('collector listening on http://127.0.0.1:' + s.address().port))" >"$work/collector.log" 2>&1 & pids+=($!)
collector_url="$(wait_for_url "$work/collector.log" 'collector listening on')"
start_service "$work/traced.log" OTEL_EXPORTER_OTLP_ENDPOINT="$collector_url"
traced=$!
traced_url="$(ready_url "$work/traced.log")"
curl -fs -X POST "$traced_url/orders/13-f91acc87-bd23-40df-91f4-72dad9a3c971/items/cancel" \
  -H 'content-type: application/json' -H 'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' \
  -d '{"itemIds":[6924458]}' >/dev/null
kill -TERM "$traced"
wait "$traced" || { echo "the traced server did not exit cleanly; its log:" >&2; cat "$work/traced.log" >&2; exit 1; }
if ! cat "$work"/otlp-*.bin 2>/dev/null | grep -aq 'gooten cancelItems'; then echo "no span reached the collector" >&2; cat "$work/traced.log" >&2; exit 1; fi
if cat "$work"/otlp-*.bin | grep -aq -e 'sim+billing' -e 'sim%2Bbilling'; then echo "the billing key reached the collector" >&2; exit 1; fi
grep -q '"trace_id":"0af7651916cd43dd8448eb211c80319c"' "$work/traced.log" || { echo "log lines lack the trace id" >&2; exit 1; }
echo "production smoke passed"

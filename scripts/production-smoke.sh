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
echo "production smoke passed"

#!/usr/bin/env bash
# The README's run command: installs dependencies, builds, starts a local Pocket network (servicer emulator +
# mock chain, tools/localnet), starts the mesh on the data directory it wrote, sends relays with the official
# JS SDK client (verifying every servicer signature), then prints what happened and the mesh's health.
#   RELAYS=N (default 20) relays to send; KEEP=1 leaves the network and the mesh running until Ctrl-C.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
relays="${RELAYS:-20}"
client_dir="${POCKETJS_CLIENT_DIR:-$here/../shared/tools/pocketjs-client}"

bash tools/install-deps.sh
build="$here/build/run"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOCKET_MESH_TESTS=OFF -DPOCKET_MESH_GUI=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"

work="$(mktemp -d /tmp/pocket-mesh-run.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "== starting the local network (servicer emulator + mock chain) in $work"
"$build/tools/localnet/pocket-localnet" --datadir "$work/mesh" --block-ms 60000 > "$work/localnet.json" 2> "$work/localnet.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/localnet.json" ] && break; sleep 0.1; done
[ -s "$work/localnet.json" ] || { echo "localnet did not start:"; cat "$work/localnet.log"; exit 1; }
field() { node -e "const j=JSON.parse(require('fs').readFileSync('$work/localnet.json','utf8'));console.log(j['$1'])"; }
emulator="$(field emulator_url)"; mesh="$(field mesh_url)"; token="$(field mesh_token)"
echo "   emulator $emulator   mock chain $(field chain_url)   mesh $mesh"

echo "== starting the mesh: pocket-mesh-headless start-mesh --datadir $work/mesh"
"$build/headless/pocket-mesh-headless" start-mesh --datadir "$work/mesh" 2> "$work/mesh.log" &
pids+=($!)
ready=""
for _ in $(seq 100); do
  if curl -sf -H "Authorization: $token" "$mesh/v1/private/mesh/health" 2>/dev/null | grep -q '"ready":true'; then ready=1; break; fi
  sleep 0.1
done
[ -n "$ready" ] || { echo "the mesh did not become ready:"; cat "$work/mesh.log"; exit 1; }

echo "== sending $relays relays with the official SDK client (dispatch, relay, --verify)"
(cd "$client_dir" && node client.js "$mesh" 0021 "$relays" --verify) > "$work/client.out"
tail -n 1 "$work/client.out"

echo "== waiting for every relay to reach the servicer"
for _ in $(seq 100); do
  n="$(curl -sf "$emulator/admin/evidence" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).accepted_from_notify))")"
  [ "$n" -ge "$relays" ] && break; sleep 0.1
done
echo "   servicer evidence (relays notified and accepted): $n"
echo "== mesh health"
curl -s -H "Authorization: $token" "$mesh/v1/private/mesh/health"
echo "== admin API: servicer nodes (docs/admin-api.md)"
curl -s -H "Authorization: $token" "$mesh/v1/private/mesh/nodes"
echo "== Prometheus metrics on pocket_prometheus_port (docs/metrics.md), relay counters"
curl -s "http://127.0.0.1:$(field metrics_port)/metrics" | grep -E '^pocketcore_geo_mesh_relay_count|^pocket_mesh_outbox_relays' || true
echo "== mesh log"
cat "$work/mesh.log"
if [ "${KEEP:-0}" = 1 ]; then echo "running; Ctrl-C to stop"; wait; fi

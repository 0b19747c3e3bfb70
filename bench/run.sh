#!/usr/bin/env bash
# The benchmark (issue 6): relay throughput, added latency and memory of the mesh side by side with nginx
# (proxy_pass) and the mock chain called directly, in the same run; start-up, outbox replay, notification
# check, crypto ceiling, profile. Everything on 127.0.0.1, every load bounded in time.
#
#   bash bench/run.sh                 full run (500 keys, 10 s per load run, 1 000 000-relay replay, perf profile)
#   bash bench/run.sh --quick         3 s per run, 20 000-relay replay, no profile
#   bash bench/run.sh --smoke         tiny counts (~20 s), checks that every stage still works (CI, ctest -L bench)
# Options: --keys N  --apps N  --duration S  --concurrency 16,64,256  --backlog N  --profile/--no-profile
#          --out DIR (default results/<timestamp>)  --build-dir DIR (use these binaries, do not build)
#          --wait-quiet S (wait up to S s for a load average < 1 first)  --wrk-threads N  --keep (keep the work dir)
# Needs nginx, wrk, node (tools/install-deps.sh) and taskset; perf for the profile. Method: docs/benchmark.md.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi

build=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

for tool in nginx wrk node; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (run tools/install-deps.sh)" >&2; exit 1; }
done

if [ -z "$build" ]; then
  build="$here/build/bench"
  echo "== building the mesh, the local network and the benchmark tools in $build (RelWithDebInfo)"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOCKET_MESH_TESTS=OFF -DPOCKET_MESH_GUI=OFF \
    -DPOCKET_MESH_BENCH=ON > "$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
  cmake --build "$build" -j "$(nproc)" --target pocket-mesh-headless pocket-localnet bench-relaygen bench-outboxfill \
    bench-sink bench-cryptobench
fi

exec node "$here/bench/bench.mjs" --build-dir "$build" ${args[@]+"${args[@]}"}

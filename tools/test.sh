#!/usr/bin/env bash
# Installs everything, builds, and runs the whole test suite twice: plain and under ASan+UBSan.
# This is the README's test command and what CI runs (.ci/run). Any sanitizer report fails the run.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

bash tools/install-deps.sh

jobs="$(nproc)"
export QT_QPA_PLATFORM=offscreen
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$here/tests/lsan.supp:print_suppressions=0"

run_suite() { # <build dir> <label> [cmake args...]
  local dir="$1" label="$2"; shift 2
  echo "== [$label] configure + build ($dir)"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > "$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; return 1; }
  cmake --build "$dir" -j "$jobs"
  echo "== [$label] ctest"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" ${CTEST_ARGS:-})
}

mkdir -p build
run_suite build/plain plain
# The sanitizer build leaves out the GUI and the benchmark (the same core code, half the build time).
run_suite build/asan asan -DPOCKET_MESH_SANITIZE=ON -DPOCKET_MESH_GUI=OFF -DPOCKET_MESH_BENCH=OFF
echo "== all suites passed (plain, asan+ubsan)"

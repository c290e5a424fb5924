#!/usr/bin/env bash
# Builds the project with AddressSanitizer + UndefinedBehaviorSanitizer (gcc,
# CPU only) in build-asan/ and runs the whole ctest suite under them.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ASAN_BUILD_DIR:-build-asan}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSSD_SANITIZE=ON -DSSSD_WITH_CUDA=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Timing-sensitive and GPU-only tests are labelled and excluded; everything else runs.
ctest --test-dir "$build" -j "$(nproc)" --output-on-failure --timeout 1200 -LE "no_sanitize|tsan"

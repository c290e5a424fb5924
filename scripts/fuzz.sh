#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) and runs each for a
# bounded time on a copy of its seed corpus. A crash leaves its input in
# $FUZZ_ARTIFACTS and fails the run; add that input to tests/fuzz/corpus/<harness>/
# so it replays as a regression test in every build.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
build=${FUZZ_BUILD_DIR:-build-fuzz}
artifacts=${FUZZ_ARTIFACTS:-$build/artifacts}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DSSSD_FUZZ=ON -DSSSD_WITH_CUDA=OFF >/dev/null
harnesses=$(cd tests/fuzz && ls fuzz_*.c | sed -e 's/^fuzz_//' -e 's/\.c$//' | grep -v '^replay_main$' | grep -v '^input_file$')
targets=()
for h in $harnesses; do targets+=("fuzz_$h"); done
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" >/dev/null
mkdir -p "$artifacts"
status=0
for h in $harnesses; do
  [ -x "$build/bin/fuzz_$h" ] || { echo "fuzz: $h not built"; status=1; continue; }
  work=$(mktemp -d)
  cp -r tests/fuzz/corpus/"$h"/. "$work"/ 2>/dev/null || true
  echo "fuzz: $h for ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp "$build/bin/fuzz_$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -artifact_prefix="$artifacts/$h-" -print_final_stats=1 "$work" >"$build/fuzz_$h.log" 2>&1; then
    echo "fuzz: $h FOUND A CRASH (see $build/fuzz_$h.log, inputs in $artifacts)"
    tail -30 "$build/fuzz_$h.log"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz_$h.log" | sed "s/^/fuzz: $h: /"
  rm -rf "$work"
done
exit $status

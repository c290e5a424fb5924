#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) and runs each for a
# bounded time on a copy of its seed corpus. A crash leaves its input in
# $FUZZ_ARTIFACTS and fails the run; add that input to tests/fuzz/corpus/<harness>/
# so it replays as a regression test in every build. FUZZ_HARNESSES="a b"
# runs only those harnesses; a harness whose library is not part of the build
# yet (tests/fuzz/CMakeLists.txt decides) is skipped with a message.
# FUZZ_RUNS=N (with FUZZ_SEED, default 1) runs N inputs per harness instead of
# a time: the same inputs every time, so a CI failure reproduces.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
if [ -n "${FUZZ_RUNS:-}" ]; then
  budget=(-runs="$FUZZ_RUNS" -seed="${FUZZ_SEED:-1}")
  budget_text="$FUZZ_RUNS inputs (seed ${FUZZ_SEED:-1})"
else
  budget=(-max_total_time="$seconds")
  budget_text="${seconds}s"
fi
# The tools refuse inputs that would not fit in memory; under the fuzzer's
# 2 GiB limit "memory" is 512 MiB.
export SSSD_MEMORY_LIMIT=${SSSD_MEMORY_LIMIT:-536870912}
build=${FUZZ_BUILD_DIR:-build-fuzz}
artifacts=${FUZZ_ARTIFACTS:-$build/artifacts}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DSSSD_FUZZ=ON -DSSSD_WITH_CUDA=OFF >/dev/null
all=$(cd tests/fuzz && ls fuzz_*.c | sed -e 's/^fuzz_//' -e 's/\.c$//' | grep -v '^replay_main$' | grep -v '^input_file$')
known=$(cmake --build "$build" --target help | sed -n 's/^\.\.\. \(fuzz_[a-z_0-9]*\).*/\1/p')
harnesses=""
targets=()
for h in ${FUZZ_HARNESSES:-$all}; do
  if ! grep -qx "fuzz_$h" <<<"$known"; then
    echo "fuzz: $h skipped (its library is not part of this build)"
    continue
  fi
  harnesses="$harnesses $h"
  targets+=("fuzz_$h")
done
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no harness to run"; exit 0; }
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" >/dev/null
mkdir -p "$artifacts"
status=0
for h in $harnesses; do
  [ -x "$build/bin/fuzz_$h" ] || { echo "fuzz: $h not built"; status=1; continue; }
  work=$(mktemp -d)
  cp -r tests/fuzz/corpus/"$h"/. "$work"/ 2>/dev/null || true
  echo "fuzz: $h for $budget_text"
  # HDF5 harnesses: libhdf5 sizes some of its own buffers from metadata in
  # the file (which cannot all be validated beforehand) and reports an error
  # when malloc returns NULL, so there malloc may fail as in production. Our
  # own allocations are bounded by explicit checks (io/h5_util.c).
  asan=detect_leaks=1
  malloc_limit=()
  max_len=65536
  case $h in
    dataset_h5|checkpoint) asan=$asan:allocator_may_return_null=1; malloc_limit=(-malloc_limit_mb=1048576); max_len=131072 ;;
  esac
  if ! ASAN_OPTIONS=$asan LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp "$build/bin/fuzz_$h" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
        "${malloc_limit[@]}" -max_len=$max_len -artifact_prefix="$artifacts/$h-" -print_final_stats=1 "$work" >"$build/fuzz_$h.log" 2>&1; then
    echo "fuzz: $h FOUND A CRASH (see $build/fuzz_$h.log, inputs in $artifacts)"
    tail -30 "$build/fuzz_$h.log"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz_$h.log" | sed "s/^/fuzz: $h: /"
  rm -rf "$work"
done
exit $status

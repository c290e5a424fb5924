#!/usr/bin/env bash
# The whole test suite: build (CUDA sources compiled by nvcc when present) and
# run ctest (which includes the CUDA host-emulation tests under
# ThreadSanitizer); then the same suite under ASan+UBSan, bounded fuzzing of every parser, and a tiny
# end-to-end run under valgrind. `--quick` runs only the first stage.
set -euo pipefail
cd "$(dirname "$0")/.."
stage() { printf '\n==== %s ====\n' "$*"; }
failed=()

stage "build and ctest"
bash scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" -j "$(nproc)" --output-on-failure --timeout 900 || failed+=("ctest")

if [ "${1:-}" != "--quick" ]; then
  stage "ASan + UBSan"
  bash scripts/test-sanitize.sh || failed+=("sanitizers")
  # A fixed number of inputs from a fixed seed, so that a failure here
  # reproduces; longer, time-bounded fuzzing: FUZZ_SECONDS=600 bash scripts/fuzz.sh
  stage "fuzzing (${FUZZ_RUNS:-30000} inputs per harness, ${FUZZ_CHECKPOINT_RUNS:-4000} for checkpoints)"
  # Loading a checkpoint builds its model, so that harness runs fewer inputs.
  FUZZ_RUNS=${FUZZ_RUNS:-30000} FUZZ_HARNESSES="npy windows_text strace trace_input config_json dataset_h5" \
    bash scripts/fuzz.sh || failed+=("fuzz")
  FUZZ_RUNS=${FUZZ_CHECKPOINT_RUNS:-4000} FUZZ_HARNESSES=checkpoint bash scripts/fuzz.sh || failed+=("fuzz")
  if [ -f scripts/test-valgrind.sh ]; then
    stage "end-to-end under valgrind memcheck"
    bash scripts/test-valgrind.sh || failed+=("valgrind")
  fi
fi

stage "summary"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all stages passed"

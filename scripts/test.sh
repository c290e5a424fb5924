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
# Every stage's tests run on the OpenBLAS kernels the tools choose for this
# CPU (kernels/cpu/cpu_blas_kernels.c: vector kernels where OpenBLAS would fall
# back to its generic ones), unless OPENBLAS_CORETYPE is set already.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && core=$("${BUILD_DIR:-build}/bin/test_blas_kernels" child 2>/dev/null) &&
   [ -n "$core" ] && [ "$core" != none ]; then
  export OPENBLAS_CORETYPE=$core
  echo "tests run with OPENBLAS_CORETYPE=$core"
fi
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

#!/usr/bin/env bash
# Builds the CUDA host-emulation tests and the CPU worker pool's test with
# ThreadSanitizer in their own build directory (build-tsan, no nvcc needed)
# and runs them: a missing __syncthreads or a racy shared-memory access in any
# kernel, or a missing ordering between the pool's threads, is reported as a
# data race. Some kernels place memory where TSAN cannot map its shadow
# ("unexpected memory mapping"); then the tests are rerun with address-space
# randomisation disabled (setarch -R).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${TSAN_BUILD_DIR:-build-tsan}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSSD_TSAN=ON -DSSSD_WITH_CUDA=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target test_cuda_emu_runtime test_backend_ops test_cpu_pool tsan_probe_missing_barrier
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"

run() {
  local log
  log=$(mktemp)
  if "$@" >"$log" 2>&1; then cat "$log"; rm -f "$log"; return 0; fi
  if grep -q "unexpected memory mapping" "$log" && command -v setarch >/dev/null; then
    rm -f "$log"
    echo "(TSAN could not map its shadow memory; rerunning with setarch -R)"
    setarch "$(uname -m)" -R "$@"
    return $?
  fi
  cat "$log"
  rm -f "$log"
  return 1
}

# First the control: a kernel with a missing barrier must be reported.
probe_log=$(mktemp)
if run "$build/bin/tsan_probe_missing_barrier" >"$probe_log" 2>&1 || ! grep -q "data race" "$probe_log"; then
  cat "$probe_log"
  rm -f "$probe_log"
  echo "FAILED: ThreadSanitizer did not report the deliberate race; a clean run below would prove nothing" >&2
  exit 1
fi
rm -f "$probe_log"
echo "control: ThreadSanitizer reports the deliberate missing-barrier race"

run "$build/bin/test_cuda_emu_runtime"
run "$build/bin/test_backend_ops" --backend cuda-emu
echo "emulated CUDA kernels: no data races under ThreadSanitizer"
run "$build/bin/test_cpu_pool"
echo "CPU worker pool: no data races under ThreadSanitizer"

#!/usr/bin/env bash
# A tiny end-to-end run under valgrind memcheck: dataset build (from a short
# strace log) -> train --preset tiny --iters 2 (masked and bits encodings) ->
# generate (unmasking; DDIM for bits) -> evaluate, plus forward --init. Any memory error or definite leak in
# any stage fails the script. Stages whose tool is not built yet are skipped
# with a message. Suppressions cover third-party libraries only
# (tests/reliability/valgrind.supp); project frames are never suppressed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
if ! command -v valgrind >/dev/null; then
  echo "valgrind: not installed (scripts/install-deps.sh); skipped"
  exit 0
fi
if [ ! -x "$build/bin/dataset" ] || [ ! -x "$build/bin/evaluate" ]; then
  bash scripts/build.sh
fi
bin=$PWD/$build/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/sssd-valgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT
# One thread everywhere: faster under valgrind, and no thread-pool noise.
# Pin OpenBLAS to AVX2 kernels: valgrind does not decode AVX-512, so an
# AVX-512 core type (scripts/test.sh exports the one the tools choose for this
# CPU) gives way to Haswell's; another one set by the caller is kept.
core=${OPENBLAS_CORETYPE:-Haswell}
case "${core,,}" in skylakex | cooperlake | sapphirerapids) core=Haswell ;; esac
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_CORETYPE=$core
# --trace-children: the h5-trial-read-KIND helpers each HDF5 loader starts (io/h5_probe.h)
# runs under memcheck too; an error there fails the trial read, and so the stage.
vg=(valgrind --tool=memcheck --trace-children=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --track-origins=yes --num-callers=30
    --suppressions="$PWD/tests/reliability/valgrind.supp" --log-file="$work/valgrind.%p.log")
failed=()

# Runs one stage under valgrind; prints valgrind's report when it fails.
stage() {
  local name=$1
  shift
  echo "valgrind: $name"
  rm -f "$work"/valgrind.*.log
  if "${vg[@]}" "$@" >"$work/$name.out" 2>&1; then
    echo "valgrind: $name: no errors, no definite leaks"
  else
    local rc=$?
    echo "valgrind: $name FAILED (exit status $rc)"
    tail -20 "$work/$name.out"
    cat "$work"/valgrind.*.log | grep -v '^==[0-9]*== *$' | head -150
    failed+=("$name")
  fi
}
skip() { echo "valgrind: $1 skipped: $2"; }

# A short strace log: the first 600 lines of a shipped capture.
# (head closes the pipe early: xz's SIGPIPE is expected, hence `|| true`.)
xz -dc datasets/compress-gzip/raw/run-001.strace.xz | head -600 >"$work/run.strace" || true
[ -s "$work/run.strace" ] || { echo "valgrind: cannot read the shipped strace capture"; exit 1; }
stage dataset-build "$bin/dataset" build --name vg --from "$work/run.strace" --length 20 --stride 5 --split window \
      --test-fraction 0.25 --out "$work/ds"
stage dataset-info "$bin/dataset" info "$work/ds/vg.h5"

if [ -x "$bin/train" ]; then
  stage train "$bin/train" --dataset "$work/ds/vg.h5" --preset tiny --iters 2 --batch 4 --val-every 0 --threads 1 \
        --device cpu --out "$work/run"
  # the Gaussian path (bits encoding) too; the default is the masked encoding
  stage train-bits "$bin/train" --dataset "$work/ds/vg.h5" --preset tiny --encoding bits --iters 2 --batch 4 \
        --val-every 0 --threads 1 --device cpu --out "$work/run-bits"
else
  skip train "build/bin/train is not built yet"
fi

if [ -x "$bin/forward" ]; then
  stage forward-init "$bin/forward" --init --preset tiny --length 20 --save "$work/init.ckpt" --threads 1
else
  skip forward-init "build/bin/forward is not built yet"
fi

generated=""
if [ -x "$bin/generate" ] && [ -f "$work/run/last.ckpt" ]; then
  stage generate "$bin/generate" --checkpoint "$work/run/last.ckpt" --input "$work/ds/vg.h5" --limit 3 --mask mid:5 \
        --steps 3 --top 2 --threads 1 --device cpu --out "$work/gen.txt" --save-input "$work/real.txt"
  [ -f "$work/gen.txt" ] && generated="$work/gen.txt"
  if [ -f "$work/run-bits/last.ckpt" ]; then
    stage generate-bits "$bin/generate" --checkpoint "$work/run-bits/last.ckpt" --input "$work/ds/vg.h5" --limit 3 \
          --mask mid:5 --sampler ddim --steps 3 --threads 1 --device cpu --out "$work/gen-bits.txt"
  fi
elif [ -x "$bin/generate" ]; then
  skip generate "no checkpoint (the train stage did not run)"
else
  skip generate "build/bin/generate is not built yet"
fi

if [ -n "$generated" ]; then
  stage evaluate "$bin/evaluate" "$generated" "$work/real.txt" --train "$work/ds/vg.h5" --threads 1 \
        --json "$work/r.json" --html "$work/r.html"
else
  # Without generated traces, score the test split against itself (same code paths, metrics trivial).
  stage evaluate "$bin/evaluate" "$work/ds/sequence_length_20/testing" "$work/ds/vg.h5" --mask mid:5 \
        --train "$work/ds/vg.h5" --threads 1 --json "$work/r.json" --html "$work/r.html"
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "valgrind: FAILED stages: ${failed[*]}"
  exit 1
fi
echo "valgrind: all stages clean"

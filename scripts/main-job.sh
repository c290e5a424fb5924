#!/usr/bin/env bash
# The main job a new user runs: install dependencies, build, then on the CPU
# train a small SSSD-S4 model on the shipped dataset compress-gzip for a few
# minutes, reconstruct test windows with the ICSE'25 gap (mid:10), and
# evaluate the reconstructions. About 3 minutes on 2 cores once built.
# Knobs (environment): ITERS (default 400), WINDOWS (test windows to
# reconstruct, default 100), OUT (default runs/main-job), THREADS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh

bin=${BUILD_DIR:-build}/bin
out=${OUT:-runs/main-job}
iters=${ITERS:-400}
windows=${WINDOWS:-100}
threads=${THREADS:-$(nproc)}
start=$(date +%s)

# A fresh run each time. Only a previous main-job run (or an empty
# directory) is removed, never anything else that happens to be at $out.
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -f "$out/log.jsonl" ]; then
    echo "main-job: $out exists and is not a previous main-job run; set OUT to another directory" >&2
    exit 1
fi
rm -rf "$out"
mkdir -p "$out"

echo
echo "== 1/3 train: preset small (128 channels x 4 layers), $iters iterations on the CPU =="
# The default recipe (masked encoding, lr 1e-3, warm-up, cosine decay) at a
# small batch, so that it learns within minutes; validation reconstructs 16
# test windows every 100 iterations.
"$bin/train" --dataset compress-gzip --preset small --mask mid:10 --iters "$iters" --batch 16 \
    --val-every 100 --val-windows 16 --ckpt-every 50 \
    --device cpu --threads "$threads" --out "$out"

echo
echo "== 2/3 generate: reconstruct the gap mid:10 (events 100-109) of $windows test windows, at most one pass per event =="
"$bin/generate" --checkpoint "$out/best.ckpt" --input compress-gzip --limit "$windows" --mask mid:10 \
    --device cpu --threads "$threads" --batch 25 \
    --out "$out/generated.txt" --save-input "$out/real.txt"

echo
echo "== 3/3 evaluate: against the real windows, with the training data for memorisation and baselines =="
if [ -x "$bin/evaluate" ]; then
    "$bin/evaluate" "$out/generated.txt" "$out/real.txt" --train compress-gzip \
        --json "$out/evaluation.json" --html "$out/evaluation.html"
else
    echo "main-job: $bin/evaluate was not built; skipping the evaluation" >&2
fi

echo
echo "main-job: done in $(( $(date +%s) - start ))s; outputs in $out/ (log.jsonl, best.ckpt, generated.txt, evaluation.html)"

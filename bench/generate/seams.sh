#!/usr/bin/env bash
# Seams of long synthetic traces: trains a tiny model with --mask mix on a
# shipped dataset (unless --checkpoint is given), generates long traces with
# it, and runs bench_seams, which compares the n-grams crossing the seams
# between windows with those in the middle of windows and in real data.
# Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN:-build/bin}
dataset=compress-gzip checkpoint="" iters=300 num=8 length=10000 out=out/seams threads=1
while [ $# -gt 0 ]; do
    case "$1" in
    --checkpoint) checkpoint=$2 ;;
    --dataset) dataset=$2 ;;
    --iters) iters=$2 ;;
    --num) num=$2 ;;
    --length) length=$2 ;;
    --out) out=$2 ;;
    --threads) threads=$2 ;;
    -h|--help)
        echo "usage: bench/generate/seams.sh [--checkpoint FILE | --dataset compress-gzip --iters 300]"
        echo "                               [--num 8] [--length 10000] [--out out/seams] [--threads 1]"
        exit 0 ;;
    *) echo "seams.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift 2
done
mkdir -p "$out"
if [ -z "$checkpoint" ]; then
    echo "training a tiny model on $dataset with --mask mix for $iters iterations -> $out/model"
    "$bin/train" --dataset "$dataset" --preset tiny --mask mix --iters "$iters" --threads "$threads" \
        --val-every 0 --quiet --out "$out/model" >"$out/train.log" 2>&1
    checkpoint=$out/model/last.ckpt
fi
echo "generating $num traces of $length events with $checkpoint"
"$bin/generate" --checkpoint "$checkpoint" --num "$num" --length "$length" --batch "$num" --threads "$threads" \
    --out "$out/traces.txt" 2>&1 | tee "$out/generate.log"
# generate says "(R windows of W each, overlapping by O)"
window=$(sed -n 's/.* windows* of \([0-9]*\) each, overlapping by \([0-9]*\)).*/\1/p' "$out/generate.log")
overlap=$(sed -n 's/.* windows* of \([0-9]*\) each, overlapping by \([0-9]*\)).*/\2/p' "$out/generate.log")
"$bin/bench_seams" "$out/traces.txt" --window "$window" --overlap "$overlap" --real "$dataset"

#!/usr/bin/env python3
"""Which phase of tar-untar each window shows: archive creation (newfstatat,
ID 1, at least 5% of the window's events), extraction (utimensat, fchmod and
fchown, IDs 6-8, together at least 5%), or both mixed in one window.

Real tar-untar windows are one phase or the other (about 1% mix them), so
the share of mixed windows says whether a generator makes windows like the
real ones or averages of them. Usage: scripts/tar-phases.py WINDOWS.txt ...
(text layout: one window a line, comma-separated IDs of the shipped
tar-untar vocabulary)."""
import sys


def phases(path):
    counts = {"creation": 0, "extraction": 0, "mixed": 0, "neither": 0}
    windows = 0
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            ids = [int(v) for v in line.split(",")]
            create = sum(1 for e in ids if e == 1) / len(ids)
            extract = sum(1 for e in ids if e in (6, 7, 8)) / len(ids)
            kind = ("mixed" if create >= 0.05 and extract >= 0.05 else
                    "creation" if create >= 0.05 else "extraction" if extract >= 0.05 else "neither")
            counts[kind] += 1
            windows += 1
    return windows, counts


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for path in sys.argv[1:]:
        n, c = phases(path)
        shares = ", ".join(f"{k} {100.0 * v / max(n, 1):.1f}%" for k, v in c.items())
        print(f"{path}: {n} windows: {shares}")

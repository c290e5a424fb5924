#!/usr/bin/env bash
# Recaptures the shipped datasets (compress-gzip, tar-untar, sqlite-cli) with `dataset capture`
# on generated, deterministic inputs, then rebuilds NAME.h5 and sequence_length_200/ from the raw logs.
# Usage: scripts/capture-datasets.sh [NAME...]   (default: all three; needs strace, xz, gzip, tar, sqlite3, perl)
#        REBUILD_ONLY=1 scripts/capture-datasets.sh   rebuilds the datasets from the raw logs already there.
# Timings and pids differ from run to run, so the logs (and windows) are not byte-identical to the shipped ones.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tool=${DATASET_TOOL:-$root/${BUILD_DIR:-build}/bin/dataset}
if [ ! -x "$tool" ]; then
  echo "capture-datasets: $tool not found; build first (bash scripts/build.sh)" >&2
  exit 1
fi
needed="xz"; [ "${REBUILD_ONLY:-0}" = 1 ] || needed="strace xz gzip tar sqlite3 perl"
for cmd in $needed; do
  command -v "$cmd" >/dev/null || { echo "capture-datasets: '$cmd' is missing (bash scripts/install-deps.sh)" >&2; exit 1; }
done
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(compress-gzip tar-untar sqlite-cli)

work=$(mktemp -d "${TMPDIR:-/tmp}/capture-datasets.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Seeded pseudo-random English-like text: gen_text SEED MEGABYTES > FILE.
# Perl's rand() is its own drand48 since 5.20, so the bytes are the same everywhere.
gen_text() {
  perl -e '
    my ($seed, $mb) = @ARGV; srand($seed);
    my @w = qw(the of and to in is that for it as was with be by on not he this are or his from at which but
               have an they you were her she there been one all we their has would when if so no will more out
               kernel trace event system call process thread signal memory file buffer window model noise
               diffusion state space sequence sample latency schedule interrupt socket stream archive);
    my $target = $mb * 1024 * 1024; my $n = 0;
    while ($n < $target) {
      my $len = 6 + int(rand(14)); my @s;
      push @s, $w[int(rand(rand() < 0.7 ? 40 : @w))] for 1 .. $len;
      my $line = ucfirst(join(" ", @s)) . (rand() < 0.1 ? sprintf(" %d", int(rand(100000))) : "") . ".\n";
      print $line; $n += length($line);
    }' "$1" "$2"
}

# A directory tree of small files: gen_tree SEED DIR FILES
gen_tree() {
  perl -e '
    my ($seed, $dir, $files) = @ARGV; srand($seed);
    my @d = ($dir); mkdir $dir;
    for my $i (1 .. $files) {
      if (rand() < 0.08 || @d < 3) { my $p = $d[int(rand(@d))] . sprintf("/d%03d", $i); mkdir $p; push @d, $p; }
      my $p = $d[int(rand(@d))] . sprintf("/f%05d.%s", $i, (qw(txt c h dat log))[int(rand(5))]);
      open(my $f, ">", $p) or die "$p: $!"; my $size = int(exp(rand(log(65536)))) ;
      print $f chr(97 + int(rand(26))) x $size; close $f;
    }' "$1" "$2" "$3"
}

capture() { # capture NAME COMMAND...: one run, log kept xz-compressed in datasets/NAME/raw/
  local name=$1; shift
  "$tool" capture --name "$name" --out "$root/datasets/$name/raw" --xz -- "$@" >/dev/null
}

fresh_raw() { rm -rf "$root/datasets/$1/raw"; mkdir -p "$root/datasets/$1/raw"; }

for name in "${names[@]}"; do
  echo "capture-datasets: $name"
  case "$name" in
    compress-gzip)
      [ "${REBUILD_ONLY:-0}" = 1 ] || {
      # gzip -6 on files of 80..180 MB (different seeds): reads of 32-64 KiB, writes of 256 KiB (gzip 1.12),
      # like the paper's phoronix compress-gzip. Entry and exit as separate events, as LTTng records them.
      fresh_raw "$name"
      run=0
      for mb in 80 100 120 140 160 180; do
        run=$((run + 1))
        gen_text "$run" "$mb" > "$work/input.txt"
        capture "$name" gzip -6 -k -f "$work/input.txt"
        rm -f "$work/input.txt" "$work/input.txt.gz"
      done
      }
      "$tool" build --name "$name" --from datasets/$name/raw/run-*.strace.xz \
        --events entry-exit --split run --test-fraction 0.2 --length 200 --stride 5 --out "datasets/$name"
      ;;
    tar-untar)
      [ "${REBUILD_ONLY:-0}" = 1 ] || {
      # tar -c of a generated tree of small files, then tar -x of the archive (one run = both).
      fresh_raw "$name"
      for run in 1 2 3 4; do
        rm -rf "$work/t"; mkdir -p "$work/t/out"
        gen_tree "$((100 + run))" "$work/t/tree" 700
        (cd "$work/t" && capture "$name" sh -c 'tar -cf archive.tar tree && tar -xf archive.tar -C out')
      done
      rm -rf "$work/t"
      }
      "$tool" build --name "$name" --from datasets/$name/raw/run-*.strace.xz \
        --events call --split run --test-fraction 0.25 --length 200 --stride 5 --out "datasets/$name"
      ;;
    sqlite-cli)
      [ "${REBUILD_ONLY:-0}" = 1 ] || {
      # The sqlite3 shell running a generated SQL script: small transactions (journal create,
      # write, fsync, unlink), an index, queries, updates and deletes.
      fresh_raw "$name"
      for run in 1 2 3 4; do
        perl -e '
          my ($seed) = @ARGV; srand($seed);
          print "PRAGMA journal_mode=DELETE;\nCREATE TABLE ev(id INTEGER PRIMARY KEY, pid INT, name TEXT, dur REAL);\n";
          for my $t (1 .. 160) {
            print "BEGIN;\n";
            for (1 .. 1 + int(rand(30))) {
              printf "INSERT INTO ev(pid, name, dur) VALUES(%d, %s, %.6f);\n", int(rand(500)),
                "\x27" . (qw(read write openat close mmap futex))[int(rand(6))] . "\x27", rand();
            }
            print "COMMIT;\n";
            print "CREATE INDEX IF NOT EXISTS ev_name ON ev(name);\n" if $t == 40;
            printf "SELECT name, count(*), avg(dur) FROM ev WHERE pid < %d GROUP BY name;\n", int(rand(500)) if $t % 5 == 0;
            printf "UPDATE ev SET dur = dur * 2 WHERE pid = %d;\n", int(rand(500)) if $t % 7 == 0;
            printf "DELETE FROM ev WHERE pid = %d;\n", int(rand(500)) if $t % 11 == 0;
          }
          print "VACUUM;\nSELECT count(*) FROM ev;\n";' "$((200 + run))" > "$work/script.sql"
        rm -f "$work/db.sqlite"
        capture "$name" sqlite3 "$work/db.sqlite" ".read $work/script.sql"
      done
      rm -f "$work/db.sqlite" "$work/script.sql"
      }
      "$tool" build --name "$name" --from datasets/$name/raw/run-*.strace.xz \
        --events call --split run --test-fraction 0.25 --length 200 --stride 5 --out "datasets/$name"
      ;;
    *)
      echo "capture-datasets: unknown dataset '$name' (known: compress-gzip tar-untar sqlite-cli)" >&2
      exit 1
      ;;
  esac
done

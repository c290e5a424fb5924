#!/usr/bin/env bash
# Installs the Debian packages the project builds and runs with (needs root or sudo).
# The CUDA Toolkit is optional: with nvcc on PATH the CUDA backend is built too.
set -euo pipefail
packages=(build-essential cmake pkg-config clang libclang-rt-14-dev strace xz-utils valgrind sqlite3
          libhdf5-dev hdf5-tools libopenblas-dev liblapacke-dev libfftw3-dev liblzma-dev libjansson-dev
          libopenmpi-dev openmpi-bin  # training and generation across processes (mpirun)
          chromium)  # chromium: renders `dataset report --html` in its test (skipped without it)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# The main job a new user runs: install dependencies, build, then show a shipped dataset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh

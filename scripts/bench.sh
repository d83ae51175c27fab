#!/usr/bin/env bash
# Run every benchmark in bench/ (pass --smoke for the fast CI versions).
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
for bench in bench/bench_*.py; do
  echo "-- $bench $*"
  python "$bench" "$@"
done

#!/usr/bin/env bash
# The ownership checker (docs/ownership.md) on real host processes and a real 3-server ZooKeeper
# ensemble, for as many seeds as asked: builds what it needs, runs
# tests/ownership/ownership_check with the arguments given, and ends with its verdict line
#   ownership checker: N seeds, V violations, max unowned window X ms
# e.g. scripts/ownership-check.sh --seeds 20   (about a minute per seed)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" >&2
dir=${BERTH_OWNERSHIP_BUILD:-$root/build-ownership}
cmake -S "$root" -B "$dir" -DBERTH_WERROR=ON -DPython3_EXECUTABLE=/usr/bin/python3 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_BUILD_BINDINGS=OFF -DBERTH_BUILD_BENCHMARKS=OFF >&2
cmake --build "$dir" -j"$(nproc)" --target ownership_check >&2
exec "$dir/bin/ownership_check" "$@"

#!/usr/bin/env bash
# Berth's main job: build, then simulate a cluster on the embedded (memory) backend and print
# every step. Extra arguments go to `berth simulate` (try --help).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DBERTH_BUILD_TESTS=OFF -DBERTH_BUILD_BINDINGS=OFF \
  -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$root/build" -j"$(nproc)"
exec "$root/build/bin/berth" simulate "$@"

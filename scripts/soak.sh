#!/usr/bin/env bash
# The soak of the zookeeper backend (tests/zookeeper/zk_soak_test.cpp; docs/limits.md, "Soak"):
# five hosts and 100k streams on a real 3-server ensemble under a cycle of joins, leaves, drains,
# load drift, leader kills and ZooKeeper restarts, for 30 minutes unless told otherwise:
#   scripts/soak.sh [SECONDS] [STREAMS]      e.g. scripts/soak.sh 600
# Builds what it needs, then prints the figures ("soak: ..." lines: convergence times, znode count
# and data size at start and end, each host's RSS and its slope per hour) and the verdict.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" >&2
dir=${BERTH_SOAK_BUILD:-$root/build-soak}
cmake -S "$root" -B "$dir" -DBERTH_WERROR=ON -DPython3_EXECUTABLE=/usr/bin/python3 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_BUILD_BINDINGS=OFF -DBERTH_BUILD_BENCHMARKS=OFF >&2
cmake --build "$dir" -j"$(nproc)" --target zk_soak_test >&2
export BERTH_SOAK_SECONDS=${1:-1800} BERTH_SOAK_STREAMS=${2:-100000}
exec "$dir/bin/zk_soak_test" --gtest_brief=0

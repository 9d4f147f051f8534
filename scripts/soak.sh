#!/usr/bin/env bash
# The soak of the zookeeper backend (tests/zookeeper/zk_soak_test.cpp; docs/limits.md, "Soak"):
# five hosts and 100k streams on a real 3-server ensemble under a cycle of joins, leaves, drains,
# load drift, leader kills and ZooKeeper restarts, for 30 minutes unless told otherwise:
#   scripts/soak.sh [SECONDS] [STREAMS]      e.g. scripts/soak.sh 600
# Builds what it needs, then prints the figures ("soak: ..." lines: convergence times, znode count
# and data size at start and end, each ZooKeeper server's RSS at start, peak and end, each host's
# RSS at start and end with its slope per hour, marked when never restarted) and the verdict.
# The ensemble runs ZooKeeper's default settings with a 512 MB heap (BERTH_SOAK_ZK_HEAP=512m, the
# default here; another size such as 1g, or empty for the test servers' settings of zk_harness.cpp).
# BERTH_SOAK_BUILD names the build directory (default build-soak).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" >&2
dir=${BERTH_SOAK_BUILD:-$root/build-soak}
cmake -S "$root" -B "$dir" -DBERTH_WERROR=ON -DPython3_EXECUTABLE=/usr/bin/python3 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_BUILD_BINDINGS=OFF -DBERTH_BUILD_BENCHMARKS=OFF >&2
cmake --build "$dir" -j"$(nproc)" --target zk_soak_test >&2
export BERTH_SOAK_SECONDS=${1:-1800} BERTH_SOAK_STREAMS=${2:-100000} BERTH_SOAK_ZK_HEAP=${BERTH_SOAK_ZK_HEAP-512m}
exec "$dir/bin/zk_soak_test" --gtest_brief=0

#!/usr/bin/env bash
# Builds Berth with warnings as errors and runs every test suite through CTest (C++, Python, Java,
# real ZooKeeper), then the C++ unit suites under ASan+UBSan and the concurrent ones under TSan
# (the bindings' pytest and JUnit suites cannot run under sanitizers).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
jobs=$(nproc)

run_suite() {  # <build dir> <ctest label or ""> [cmake args...]
  local dir=$1 label=$2
  shift 2
  echo "== $(basename "$dir")${label:+ (tests labelled $label)}"
  cmake -S "$root" -B "$dir" -DBERTH_WERROR=ON -DBERTH_LINKER=lld -DPython3_EXECUTABLE=/usr/bin/python3 "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" ${label:+-L "$label"})
}

# Everything, as shipped.
run_suite "$root/build-test" "" -DCMAKE_BUILD_TYPE=RelWithDebInfo
# AddressSanitizer + UndefinedBehaviorSanitizer over the unit suites.
run_suite "$root/build-asan" unit -DCMAKE_BUILD_TYPE=Debug -DBERTH_SANITIZE=address,undefined \
  -DBERTH_BUILD_BENCHMARKS=OFF -DBERTH_BUILD_BINDINGS=OFF
# ThreadSanitizer over the suites that run many threads and engines at once.
run_suite "$root/build-tsan" unit-concurrent -DCMAKE_BUILD_TYPE=Debug -DBERTH_SANITIZE=thread \
  -DBERTH_BUILD_BENCHMARKS=OFF -DBERTH_BUILD_BINDINGS=OFF

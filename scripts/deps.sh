#!/usr/bin/env bash
# Installs the Debian 12 packages Berth builds and tests with, when any is missing.
# Sourced by demo.sh and test.sh; safe to run on its own.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libboost-dev libcapnp-dev capnproto libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev
  libxxhash-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  zookeeper libzookeeper-mt-dev liblua5.4-dev lua5.4 swig python3-dev python3-pytest python3-kazoo python3-matplotlib
  default-jdk-headless junit4 libslf4j-java netcat-openbsd
  python3-build python3-setuptools python3-wheel python3-venv  # the berth-placement wheel and its venv test
  clang libclang-rt-14-dev  # the snapshot decoder's libFuzzer target (libFuzzer is only recommended)
  lld  # scripts/test.sh links with it (BERTH_LINKER=lld)
  libcpp-httplib-dev prometheus  # the metrics endpoint; promtool checks what it serves
  help2man man-db  # man pages generated from --help at build time; tests/install reads them with man
  libssl-dev  # libcrypto: the zookeeper backend computes its digest ACL id
  libzstd-dev  # the zookeeper backend stores snapshot versions zstd-compressed
  libjemalloc-dev  # tests/engine: a host whose malloc is not glibc's returns freed heap
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

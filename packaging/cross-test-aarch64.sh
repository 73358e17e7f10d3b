#!/usr/bin/env bash
# Builds the kernels library and its Qt Test cases for arm64 (the NEON variant) with Debian's
# cross compiler and runs them under qemu-aarch64 through CTest. Works from a fresh Debian 12
# x86-64 machine; re-running only rebuilds what changed (ccache, cached packages).
#   packaging/cross-test-aarch64.sh [ctest args]
# The arm64 libraries the tests link (Qt Core/Test, xsimd) are Debian packages unpacked into
# $MOESCOPE_CROSS_CACHE (default ~/.cache/moescope/cross-aarch64) with a private apt state:
# the host's dpkg database and apt configuration are left as they are.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

cache=${MOESCOPE_CROSS_CACHE:-$HOME/.cache/moescope/cross-aarch64}
sysroot=$cache/root
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}

# qt6-base-dev: the host Qt (moc and its CMake files) serves the arm64 build too.
host_packages=(g++-aarch64-linux-gnu qemu-user cmake ninja-build ccache qt6-base-dev)
# Unpacked without their dependencies: headers, CMake files, Qt's mkspecs.
dev_packages=(qt6-base-dev qmake6 libxsimd-dev xtl-dev)
# Unpacked with every run-time dependency...
runtime_roots=(libqt6core6 libqt6test6)
# ...except the C and C++ run-times, which come with the cross compiler (mixing two glibc
# builds under one loader breaks).
toolchain_provided='^(libc6|libgcc-s1|libstdc\+\+6|gcc-12-base)$'

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

host_deps() {
  local missing=()
  for p in "${host_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "cross-test-aarch64: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# apt-get / apt-cache on a private state holding only the arm64 package lists.
apt_arm64() {
  local tool=$1
  shift
  "$tool" -q -o Dir::State="$cache/apt" -o Dir::State::status="$cache/apt/status" \
    -o Dir::Cache="$cache/apt/cache" -o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

arm64_root() {
  # The stamp names what was unpacked; a changed package list unpacks again.
  local want="${dev_packages[*]} ${runtime_roots[*]}"
  if [ -f "$sysroot/.packages" ] && [ "$(cat "$sysroot/.packages")" = "$want" ]; then
    return 0
  fi
  echo "cross-test-aarch64: fetching arm64 packages into $cache"
  rm -rf "$cache/debs"
  mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/debs"
  touch "$cache/apt/status"
  # A third-party source without arm64 lists fails the update; the Debian lists are what
  # counts, and the download below fails loudly if they are missing.
  apt_arm64 apt-get update >/dev/null ||
    echo "cross-test-aarch64: apt-get update (arm64 lists) reported errors; going on with what it fetched" >&2
  local runtime
  runtime=$(apt_arm64 apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
              --no-breaks --no-replaces --no-enhances "${runtime_roots[@]}" |
            grep -v '^[ <]' | sort -u | grep -Ev "$toolchain_provided")
  # shellcheck disable=SC2086  # one package name per word
  (cd "$cache/debs" && apt_arm64 apt-get download "${dev_packages[@]}" $runtime >/dev/null)
  rm -rf "$sysroot"
  mkdir -p "$sysroot"
  for deb in "$cache"/debs/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
  echo "$want" > "$sysroot/.packages"
}

start=$(date +%s)
host_deps
arm64_root
export MOESCOPE_CROSS_ROOT=$sysroot
# A build configured against another arm64 folder caches paths into it: configure afresh.
cached=$(sed -n 's/^MOESCOPE_CROSS_ROOT:[A-Z]*=//p' build/aarch64/CMakeCache.txt 2>/dev/null || true)
[ "$cached" = "$sysroot" ] || rm -f build/aarch64/CMakeCache.txt
# Configured every time (about a second): the preset takes the arm64 folder from the environment.
cmake --preset aarch64 >/dev/null
cmake --build build/aarch64 -j "$(nproc 2>/dev/null || echo 2)"
ctest --preset aarch64 -j "$(nproc 2>/dev/null || echo 2)" "$@"
echo "cross-test-aarch64: done in $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# MoEScope developer entry point: installs what is missing, builds, and runs.
#   packaging/dev.sh run [MODEL.gguf] [app args]   build (release) and start the GUI
#   packaging/dev.sh test                          build (ci preset) and run every CTest test, then
#                                                  the unit/conformance tests under ASan+UBSan and
#                                                  the arm64 kernel tests (MOESCOPE_CROSS_TEST=0 skips)
#   packaging/dev.sh cross [ctest args]            build the kernels for arm64 (NEON) and run their
#                                                  tests under qemu (packaging/cross-test-aarch64.sh)
#   packaging/dev.sh package                       build (release) and make the .deb / .tar.gz
#   packaging/dev.sh deps                          only install the Debian packages
# Idempotent and quiet when everything is already installed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  qt6-base-dev libqcustomplot-dev libqcustomplot2.1-qt6 libgl-dev
  libxsimd-dev xtl-dev libtbb-dev libspdlog-dev libpcre2-dev nlohmann-json3-dev
  libbenchmark-dev xvfb xauth lintian python3 python3-numpy
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

deps() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev.sh: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

jobs() { nproc 2>/dev/null || echo 2; }

build() {  # build PRESET
  local preset=$1
  [ -f "build/$preset/CMakeCache.txt" ] || cmake --preset "$preset" >/dev/null
  cmake --build "build/$preset" -j "$(jobs)"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  deps) deps ;;
  run)
    deps
    build release
    exec build/release/app/moescope "$@"
    ;;
  test)
    deps
    export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
    build ci
    ctest --preset ci -j "$(jobs)" "$@"
    # The unit and conformance suites again under AddressSanitizer + UBSan (any report fails).
    build asan
    ctest --preset asan -L "unit|conformance" -j "$(jobs)"
    # The NEON kernels, cross-built for arm64 and run under qemu (kernels only, a few minutes).
    if [ "${MOESCOPE_CROSS_TEST:-1}" != 0 ]; then
      packaging/cross-test-aarch64.sh
    else
      echo "dev.sh: skipping the arm64 kernel tests (MOESCOPE_CROSS_TEST=0)"
    fi
    # The installer test needs root (apt install/purge); CI runs as root.
    if [ "$(id -u)" -eq 0 ] && [ "${MOESCOPE_PACKAGE_TEST:-1}" != 0 ]; then
      packaging/test-package.sh ci
    else
      echo "dev.sh: skipping the package install test (needs root; MOESCOPE_PACKAGE_TEST=0 skips it)"
    fi
    ;;
  cross) exec packaging/cross-test-aarch64.sh "$@" ;;
  package)
    deps
    build release
    (cd build/release && cpack -G "DEB;TGZ")
    ;;
  *)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac

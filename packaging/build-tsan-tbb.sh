#!/usr/bin/env bash
# Builds oneTBB with -fsanitize=thread into build/tsan-tbb for the tsan preset.
#
# Why: Debian's libtbb12 is not instrumented, so ThreadSanitizer cannot see the synchronisation
# inside the TBB scheduler (task hand-off, work stealing, the join at the end of parallel_for)
# and reports every parallel_for body as racing with the code around it. Suppressing those
# reports would also hide real races in our task bodies, so instead TBB itself is built with
# TSan from Debian's own source package of the exact version libtbb-dev ships (same headers,
# same ABI). Only Debian's archive is used: the deb-src lines are derived from the system's
# own apt sources, in a private apt state under build/, without changing /etc/apt.
# Idempotent: does nothing when build/tsan-tbb already holds this version.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=$root/build/tsan-tbb
work=$root/build/tsan-tbb-work
version=$(dpkg-query -W -f='${source:Version}' libtbb-dev)
source_pkg=$(dpkg-query -W -f='${source:Package}' libtbb-dev)

if [ -f "$prefix/stamp" ] && [ "$(cat "$prefix/stamp")" = "$source_pkg $version" ]; then
  exit 0
fi
echo "build-tsan-tbb: building $source_pkg $version with -fsanitize=thread"
rm -rf "$work" "$prefix"
mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial"

# deb-src twins of the enabled Debian sources (one-line and deb822 formats).
if [ -f /etc/apt/sources.list ]; then
  sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list > "$work/sources.list"
else
  : > "$work/sources.list"
fi
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  case "$f" in
    *.sources) sed 's/^Types: *deb *$/Types: deb-src/' "$f" > "$work/parts/$(basename "$f")" ;;
    *.list) sed -n 's/^deb \(.*\)$/deb-src \1/p' "$f" > "$work/parts/$(basename "$f")" ;;
  esac
done
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
          -o "APT::Sandbox::User=root" -qq)
apt-get "${apt_opts[@]}" update
(cd "$work" && apt-get "${apt_opts[@]}" source "$source_pkg=$version" >/dev/null)
src=$(find "$work" -maxdepth 1 -type d -name "$source_pkg-*" | head -n 1)
[ -n "$src" ] || { echo "build-tsan-tbb: apt-get source $source_pkg=$version gave no source tree" >&2; exit 1; }

# The compiler the tsan preset uses (its TSan runtime must be the same one).
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib -DTBB_SANITIZE=thread \
  -DTBB_TEST=OFF -DTBB_STRICT=OFF -DTBBMALLOC_BUILD=OFF -DTBB_DISABLE_HWLOC_AUTOMATIC_SEARCH=ON \
  ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} >/dev/null
cmake --build "$work/build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
cmake --install "$work/build" >/dev/null
echo "$source_pkg $version" > "$prefix/stamp"
rm -rf "$work"
echo "build-tsan-tbb: installed in $prefix"

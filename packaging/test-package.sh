#!/usr/bin/env bash
# Builds the .deb, checks it with lintian, installs it with apt, runs the installed programs on
# the installed demo model, removes the package and checks that nothing is left behind.
# Needs root (apt). Used by `packaging/dev.sh test` on CI machines.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

step() { printf '\n== package test: %s\n' "$*"; }

preset=${1:-ci}  # the ci preset is release + -Werror: the same binaries users get
step "build the .deb ($preset preset)"
[ -f "build/$preset/CMakeCache.txt" ] || cmake --preset "$preset" >/dev/null
cmake --build "build/$preset" -j "$(nproc)" >/dev/null
rm -f "build/$preset"/moescope_*.deb
(cd "build/$preset" && cpack -G DEB >/dev/null)
deb=$(ls "build/$preset"/moescope_*.deb)

step "lintian (errors fail)"
lintian --allow-root --fail-on error "$deb"

step "install with apt"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$deb" >/dev/null
files=$(dpkg -L moescope | grep -v '^/\.$')

step "run the installed programs"
/usr/bin/moescope-cli --version
/usr/bin/moescope --version
test -f /usr/share/moescope/models/moescope-demo-q8_0.gguf
/usr/bin/moescope-cli run -p "What is a lantern?" -n 8 --temp 0 </dev/null
xvfb-run -a -s "-screen 0 1600x1000x24" /usr/bin/moescope --selftest

step "remove and check nothing is left"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq moescope >/dev/null
left=0
while IFS= read -r f; do
  # Shared folders such as /usr/share/icons/hicolor stay; files must not.
  if [ -e "$f" ] && [ ! -d "$f" ]; then echo "left behind: $f"; left=1; fi
done <<<"$files"
[ "$left" -eq 0 ]
echo "package test: passed"

#!/usr/bin/env bash
# scripts/packages against the build and the binary (tests/deploy/packages.py):
# the build group has every -dev package CMakeLists.txt's pkg-config
# modules come from, the runtime group (the image's runtime stage) every
# library the binary links and nothing else. Then the same check on copies
# of the list with one library left out and one extra package, which must fail.
source "$(dirname "$0")/../integration/lib.sh"
here=$(dirname "$0")

python3 "$here/packages.py" "$TC_SRC" "$TC_BIN" || fail "scripts/packages does not match the build"

mkdir -p "$TMP/src/scripts"
cp "$TC_SRC/CMakeLists.txt" "$TMP/src/"
cp "$TC_SRC/scripts/install-deps.sh" "$TMP/src/scripts/"
mutate() { sed "$1" "$TC_SRC/scripts/packages" >"$TMP/src/scripts/packages"; }

mutate 's/^\(runtime:.*\) libyaml-0-2/\1/'
"$TMP/src/scripts/install-deps.sh" --list runtime >"$TMP/list"
grep -qx libyaml-0-2 "$TMP/list" && fail "the mutation did not remove libyaml-0-2"
expect_exit 1 python3 "$here/packages.py" "$TMP/src" "$TC_BIN"
grep -q "runtime group lacks libyaml-0-2" "$TMP/out" || { cat "$TMP/out"; fail "a missing runtime library went unnoticed"; }

mutate 's/^runtime:/runtime: libgnutls30/'
expect_exit 1 python3 "$here/packages.py" "$TMP/src" "$TC_BIN"
grep -q "runtime group has libgnutls30" "$TMP/out" || { cat "$TMP/out"; fail "an unneeded runtime package went unnoticed"; }

mutate 's/ libzstd-dev//'
expect_exit 1 python3 "$here/packages.py" "$TMP/src" "$TC_BIN"
grep -q "build group lacks libzstd-dev" "$TMP/out" || { cat "$TMP/out"; fail "a missing build package went unnoticed"; }
echo "ok"

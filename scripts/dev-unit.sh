#!/usr/bin/env bash
# Developer shortcut: build one unit test against only the sources named,
# without the rest of the tree (which may be mid-change), and run it.
#   scripts/dev-unit.sh tests/unit/test_codec.c encoding/codec.c encoding/codec_zstd.c ...
# Uses src/util/*.c, tests/test.c and the generated protobuf code from build/.
set -euo pipefail
cd "$(dirname "$0")/.."
test_src=$1; shift
name=$(basename "$test_src" .c)
out=build-dev/$name
mkdir -p build-dev
[ -d build/proto-gen ] || { cmake -S . -B build >/dev/null && cmake --build build --target tc_proto >/dev/null; }
libs=$(pkg-config --cflags --libs libcurl openssl libprotobuf-c libzstd snappy yaml-0.1 libcjson zlib liblz4 libxxhash libmicrohttpd libmurmurhash libisal libxml-2.0)
san=${SAN:-"-fsanitize=address,undefined -fno-sanitize-recover=all"}
gcc -std=c11 -D_GNU_SOURCE -DTC_VERSION='"dev"' -g -O1 $san -Wall -Wextra -Werror -Wshadow -Wvla \
  -I. -Itests -Ibuild/proto-gen -o "$out" "$test_src" tests/test.c src/util/*.c build/proto-gen/*.c "$@" \
  $libs -lpthread -lm
TC_DATA=${TC_DATA:-$(pwd)/tests/data} "./$out" "${TEST_FILTER:-}"

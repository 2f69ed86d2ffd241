# The layer check (scripts/check-layers.py) against the real tree, and
# against copies of it with one forbidden include each, so that a check that
# stopped finding anything would fail here.
set -euo pipefail
: "${TC_SRC:?TC_SRC must point at the source tree}"
CHECK="$TC_SRC/scripts/check-layers.py"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tc-layers.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

python3 "$CHECK" "$TC_SRC" || fail "the source tree breaks docs/ARCHITECTURE.md's layers"

# bad NAME FILE LINE WANT: a copy of the tree with LINE appended to FILE
# must fail with WANT in the report.
bad() {
  local name=$1 file=$2 line=$3 want=$4 d="$TMP/$1"
  mkdir -p "$d"
  cp -r "$TC_SRC/src" "$TC_SRC/encoding" "$TC_SRC/bench" "$TC_SRC/docs" "$d/"
  mkdir -p "$(dirname "$d/$file")"
  printf '%s\n' "$line" >>"$d/$file"
  if python3 "$CHECK" "$d" >"$d.out" 2>&1; then
    fail "$name: the check passed a tree with '$line' in $file"
  fi
  grep -qF "$want" "$d.out" || { cat "$d.out" >&2; fail "$name: report lacks '$want'"; }
}
bad upward   src/backend/local.c '#include "src/compactor/store.h"' \
  'src/backend/local.c:'
bad sideways src/http/server.c '#include "src/config/config.h"' \
  'http must not include config'
bad impl     src/compactor/store.c '#include "src/backend/backend_impl.h"' \
  'is private to backend'
bad relative encoding/meta.c '#include "../src/util/buf.h"' \
  'is not root-relative'
bad banned   encoding/page.c '#include "src/util/log.h"' \
  'encoding must not include "src/util/log.h"'
bad newdir   src/newmod/x.c '#include "src/util/buf.h"' \
  "module 'newmod' is not in the layers table"
echo "layers: ok"

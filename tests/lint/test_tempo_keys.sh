# src/config/tempo_keys.c is what scripts/gen-tempo-keys.py makes of the
# committed list of Tempo 1.5's config keys (docs/CONFIG.md); and the check
# fails on a copy whose table lost a line, so it cannot pass vacuously.
set -euo pipefail
: "${TC_SRC:?TC_SRC must point at the source tree}"
python3 "$TC_SRC/scripts/gen-tempo-keys.py" --check
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tc-lint.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/scripts/tempo-config-keys" "$TMP/src/config"
cp "$TC_SRC/scripts/gen-tempo-keys.py" "$TMP/scripts/"
cp "$TC_SRC/scripts/tempo-config-keys/tempo-v1.5.0.tsv" "$TMP/scripts/tempo-config-keys/"
grep -v '"storage.trace.wal.path"' "$TC_SRC/src/config/tempo_keys.c" >"$TMP/src/config/tempo_keys.c"
if python3 "$TMP/scripts/gen-tempo-keys.py" --check 2>/dev/null; then
  echo "FAIL: --check passed on a table missing storage.trace.wal.path" >&2
  exit 1
fi
echo ok

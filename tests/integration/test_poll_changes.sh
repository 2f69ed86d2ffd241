# Incremental polling on the local backend (tests/integration/poll_changes_lib.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/poll_changes_lib.sh"
ROOT="$TMP/bucket"
config_backend() { printf '    backend: local\n    local: {path: %s, create: true}\n' "$ROOT"; }
cleanup_backend() { :; }
add_block() { "$TC_BIN" gen --path "$ROOT" --tenant "$1" --flushes 1 --replicas 1 --traces 20 --spans 3 --age "$3h" --seed "$2" >/dev/null; }
truth() {
  local t=$1 live="" comp="" quar="" d
  for d in "$ROOT/$t"/*/; do
    d=${d%/}; [ -d "$d" ] || continue
    if [ -f "$d/meta.json" ]; then live="$live $(basename "$d")"; [ -f "$d/nocompact.json" ] && quar="$quar $(basename "$d")"
    elif [ -f "$d/meta.compacted.json" ]; then comp="$comp $(basename "$d")"; fi
  done
  echo "live: $(echo $live | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
  echo "compacted: $(echo $comp | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
  echo "quarantined:$quar"
}
get_index() { cp "$ROOT/$1/index.json.gz" "$2"; }
mark_compacted() { mv "$ROOT/$1/$2/meta.json" "$ROOT/$1/$2/meta.compacted.json"; touch "$ROOT/$1/$2/meta.compacted.json"; }
quarantine() { echo '{"reason":"by hand"}' > "$ROOT/$1/$2/nocompact.json"; }
unquarantine() { rm "$ROOT/$1/$2/nocompact.json"; }
delete_block() { rm -rf "$ROOT/$1/$2"; }
# Rewritten in place, as Tempo's local backend writes (no rename): the directory does not change.
break_meta() { cp "$ROOT/$1/$2/meta.json" "$TMP/saved-meta"; mv "$ROOT/$1/$2/meta.json" "$TMP/moved"; echo '{"format":' > "$ROOT/$1/$2/meta.json"; }
fix_meta() { cp "$TMP/saved-meta" "$ROOT/$1/$2/meta.json"; }
run_changes

# Hostile config and overrides files are refused at start with exit 2, a
# message naming file and line, in at most 3 s and 300 MB (measured with GNU
# time): deep nesting, millions of tiny nodes, files over 4 MiB, alias bombs,
# a flood of tenants; anything but a regular file (directory, /dev/zero, a
# FIFO that would block open()) is refused too. Keys and values from the file
# and the flags are echoed with their control characters escaped.
# README "Security and robustness".
source "$(dirname "$0")/lib.sh"

TIME=/usr/bin/time
[ -x "$TIME" ] || fail "GNU time ($TIME) is missing: scripts/install-deps.sh installs it (package time)"

# The bounds are for a release build; the ASan+UBSan tree (Debug) is about
# 5 to 20 times slower and its shadow memory and quarantine add to the RSS.
MAX_S=3 MAX_MB=300
if ldd "$TC_BIN" 2>/dev/null | grep -q libasan; then MAX_S=30 MAX_MB=600; fi

mkdir -p "$TMP/b"
# bounded NAME WANT ARGS...: tracecompactor ARGS exits 2 within MAX_S and MAX_MB, naming WANT.
bounded() {
  local name=$1 want=$2; shift 2
  set +e
  timeout 60 "$TIME" -f '%e %M' -o "$TMP/$name.time" "$TC_BIN" "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$TMP/err" >&2; fail "$name: exit $rc, want 2"; }
  grep -qF -- "$want" "$TMP/err" || fail "$name: no \"$want\" in: $(head -c 2000 "$TMP/err")"
  read -r secs kb < <(tail -1 "$TMP/$name.time")
  python3 -c "import sys; sys.exit(0 if $secs <= $MAX_S else 1)" || fail "$name: took ${secs}s (limit ${MAX_S}s)"
  [ "$kb" -le $((MAX_MB * 1024)) ] || fail "$name: peak RSS ${kb} KB (limit $MAX_MB MB)"
  echo "$name: ${secs}s ${kb}KB"
}

python3 - "$TMP" <<'PY'
import sys
d = sys.argv[1]
def w(name, text):
    with open(f"{d}/{name}", "w") as f:
        f.write(text)
# 100,000 open brackets: libyaml alone took 15-40 s here.
w("deep.yaml", "server: " + "[" * 100000 + "\n")
# A 15 MB file of tiny nodes peaked at 1.2 GB.
w("huge.yaml", "server: [" + "1," * 7500000 + "1]\n")
# Under the size cap: millions of nodes would still cost GBs.
w("wide.yaml", "server: [" + "1," * 2000000 + "1]\n")
w("wide-empty.yaml", "server: [" + "[]," * 1300000 + "[]]\n")
# Billion laughs: 10^9 nodes if aliases were expanded.
s = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
for i in range(1, 10):
    s += f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]\n"
w("laughs.yaml", s)
# The same bombs as overrides files.
w("ov-deep.yaml", "overrides:\n  t: " + "[" * 100000 + "\n")
w("ov-wide.yaml", "overrides:\n  t: {search_tags_allow_list: [" + "a," * 2000000 + "a]}\n")
s = "overrides:\n  a0: {search_tags_allow_list: &a0 [x, x, x, x, x, x, x, x, x, x]}\n"
for i in range(1, 10):
    s += f"  a{i}: {{search_tags_allow_list: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]}\n"
w("ov-laughs.yaml", s + "  t: {nope: 1}\n")
# 120,000 tenants and a repeat at the end: comparing every pair took 86 s.
s = "overrides:\n  '*': &l {block_retention: 1h}\n"
s += "".join(f"  t{i}: *l\n" for i in range(120000))
w("ov-tenants.yaml", s + "  t7: {}\n")
PY

bounded deep 'deep.yaml:1: too deeply nested (limit 64)' -config.file="$TMP/deep.yaml"
bounded huge 'huge.yaml: file too large (limit 4194304 bytes)' -config.file="$TMP/huge.yaml"
bounded wide 'wide.yaml:1: too many nodes (limit 250000)' -config.file="$TMP/wide.yaml"
bounded wide-empty 'wide-empty.yaml:1: too many nodes (limit 250000)' -config.file="$TMP/wide-empty.yaml"
bounded laughs 'laughs.yaml:1: a0: unknown key' -config.file="$TMP/laughs.yaml"

# Overrides at start: the config names the file; its faults exit 2 too.
cat > "$TMP/c.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0}
storage: {trace: {backend: local, local: {path: $TMP/b}}}
YAML
for ov in ov-deep:'ov-deep.yaml:2: too deeply nested (limit 64)' \
          ov-wide:'ov-wide.yaml:2: too many nodes (limit 250000)' \
          ov-laughs:'ov-laughs.yaml:12: overrides.t.nope: unknown key' \
          ov-tenants:'ov-tenants.yaml:120003: overrides.t7: tenant already listed at line 10'; do
  bounded "${ov%%:*}" "${ov#*:}" -config.file="$TMP/c.yaml" \
    -overrides.per_tenant_override_config="$TMP/${ov%%:*}.yaml"
done

# Only regular files. A FIFO without a writer blocked open() for ever, so a
# timeout turns a regression into a failure instead of a hang.
mkfifo "$TMP/fifo.yaml"
mkdir "$TMP/dir.yaml"
bounded dir 'dir.yaml: not a regular file (a directory)' -config.file="$TMP/dir.yaml"
bounded devzero '/dev/zero: not a regular file (a character device)' -config.file=/dev/zero
bounded fifo 'fifo.yaml: not a regular file (a FIFO)' -config.file="$TMP/fifo.yaml"
bounded ov-fifo 'fifo.yaml: not a regular file (a FIFO)' -config.file="$TMP/c.yaml" \
  -overrides.per_tenant_override_config="$TMP/fifo.yaml"
grep -q 'msg="startup failed" exit=2' "$TMP/err" || fail "FIFO overrides: no startup failure logged: $(cat "$TMP/err")"

# Control characters from the file and the flags are shown escaped, never raw.
no_raw_controls() {
  ! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$TMP/err" || fail "$1: raw control characters in: $(cat -v "$TMP/err")"
}
printf 'server:\n  "log\\e[31m_level": info\n' > "$TMP/esc-key.yaml"
expect_exit 2 "$TC_BIN" -config.file="$TMP/esc-key.yaml"
grep -qF 'esc-key.yaml:2: server.log\x1b[31m_level: unknown key' "$TMP/err" || fail "escaped key: $(cat -v "$TMP/err")"
no_raw_controls "key"
printf 'server:\n  log_level: "info\\r\\e[2Kfine"\n' > "$TMP/esc-value.yaml"
expect_exit 2 "$TC_BIN" -config.file="$TMP/esc-value.yaml"
grep -qF 'esc-value.yaml:2: server.log_level: want one of debug|info|warn|warning|error, got "info\r\x1b[2Kfine"' "$TMP/err" ||
  fail "escaped value: $(cat -v "$TMP/err")"
no_raw_controls "value"
expect_exit 2 "$TC_BIN" serve $'-server.http_listen_port=1\r\e[2K'
grep -qF 'got "1\r\x1b[2K"' "$TMP/err" || fail "escaped flag value: $(cat -v "$TMP/err")"
no_raw_controls "flag value"
expect_exit 2 "$TC_BIN" serve $'-server.\e[31m=1'
grep -qF 'flag -server.\x1b[31m: unknown config key "server.\x1b[31m"' "$TMP/err" || fail "escaped flag key: $(cat -v "$TMP/err")"
no_raw_controls "flag key"
expect_exit 2 "$TC_BIN" serve $'stray\e]0;x\a'
grep -qF 'unexpected argument "stray\x1b]0;x\x07"' "$TMP/err" || fail "escaped argument: $(cat -v "$TMP/err")"
no_raw_controls "argument"
expect_exit 2 "$TC_BIN" serve $'-log.level=\e[31m'
grep -qF 'unknown level "\x1b[31m"' "$TMP/err" || fail "escaped log level: $(cat -v "$TMP/err")"
no_raw_controls "log level"
# The overrides file's name is a config value; the startup log line carries it escaped.
printf 'overrides:\n  "t\\e[1m": {max_bytes_per_trace: "5\\r"}\n' > "$TMP/esc-ov.yaml"
expect_exit 2 "$TC_BIN" -config.file="$TMP/c.yaml" -overrides.per_tenant_override_config="$TMP/esc-ov.yaml"
grep -qF 'overrides.t\\x1b[1m.max_bytes_per_trace: want an unsigned integer, got \"5\\r\"' "$TMP/err" ||
  fail "escaped overrides: $(cat -v "$TMP/err")"
no_raw_controls "overrides"
echo ok

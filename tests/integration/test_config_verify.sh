# -config.verify and -config.expand-env as the image and the compose stack
# call them, and a whole Tempo 1.5 config starting the service: exit 0 for a
# good config and 2 for a bad one, each problem named with file:line, nothing
# started (no listen, no bucket touched); flags in any order, with or without
# the serve command. docs/CONFIG.md, README "Running beside Tempo".
source "$(dirname "$0")/lib.sh"

D="$TC_DATA/tempo-configs"
[ -d "$D" ] || fail "missing $D"

# Good configs: exit 0, one line on stdout, nothing on stderr.
for f in s3.yaml single-binary-local.yaml scalable-single-binary.yaml; do
  expect_exit 0 "$TC_BIN" -config.verify -config.file="$D/$f"
  grep -qF "$D/$f: valid (" "$TMP/out" || fail "$f: $(cat "$TMP/out")"
  [ ! -s "$TMP/err" ] || fail "$f: stderr: $(cat "$TMP/err")"
done
# The spellings other parts use, in any order, with and without `serve`.
expect_exit 0 "$TC_BIN" -config.verify -config.expand-env=true -config.file="$D/s3.yaml"
expect_exit 0 "$TC_BIN" -config.file="$D/s3.yaml" -config.verify=true
expect_exit 0 "$TC_BIN" -config.expand-env=true -config.file "$D/s3.yaml" --config.verify
expect_exit 0 "$TC_BIN" serve -config.verify -config.file="$D/s3.yaml"
expect_exit 0 "$TC_BIN" -storage.trace.s3.bucket=other -config.verify -config.file="$D/s3.yaml"
# Tempo's whole default config, with the local path it leaves empty.
expect_exit 0 "$TC_BIN" -config.verify -config.file="$D/tempo-1.5-defaults.yaml" \
  -storage.trace.local.path="$TMP/nowhere"
[ ! -e "$TMP/nowhere" ] || fail "-config.verify created the local path"
# -config.verify=false is a start: here it fails at once on the missing path (exit 1).
expect_exit 1 "$TC_BIN" -config.verify=false -config.file="$D/tempo-1.5-defaults.yaml" \
  -storage.trace.local.path="$TMP/nowhere" -server.http_listen_port=0
expect_exit 2 "$TC_BIN" -config.verify=maybe -config.file="$D/s3.yaml"
grep -qF -- '-config.verify: want true or false' "$TMP/err" || fail "bad bool: $(cat "$TMP/err")"
expect_exit 2 "$TC_BIN" -config.verify
grep -qF -- '-config.verify needs -config.file' "$TMP/err" || fail "no file: $(cat "$TMP/err")"

# A typo in a whole Tempo config, and other faults: every one with file:line.
sed -e 's/    block_retention: 48h/    block_retenion: 48h/' \
    -e 's/  bind_port: 7946/  bind_prot: 7946/' \
    -e 's/    compaction_window: 30m/    compaction_window: 30x/' "$D/distributed-s3.yaml" >"$TMP/typo.yaml"
cmp -s "$TMP/typo.yaml" "$D/distributed-s3.yaml" && fail "sed changed nothing"
line() { grep -n -F -- "$1" "$TMP/typo.yaml" | head -1 | cut -d: -f1; }
expect_exit 2 "$TC_BIN" -config.verify -config.file="$TMP/typo.yaml"
for want in "$TMP/typo.yaml:$(line bind_prot): memberlist.bind_prot: unknown key" \
            "$TMP/typo.yaml:$(line block_retenion): compactor.compaction.block_retenion: unknown key" \
            "$TMP/typo.yaml:$(line 'compaction_window: 30x'): compactor.compaction.compaction_window: want a duration"; do
  grep -qF -- "$want" "$TMP/err" || fail "no \"$want\" in: $(cat "$TMP/err")"
done
[ "$(wc -l <"$TMP/err")" -eq 3 ] || fail "want 3 problems, got: $(cat "$TMP/err")"
# The service refuses it the same way.
expect_exit 2 "$TC_BIN" -config.file="$TMP/typo.yaml"
grep -qF "compactor.compaction.block_retenion: unknown key" "$TMP/err" || fail "serve: $(cat "$TMP/err")"

# Another target is refused with its line.
printf 'server:\n  http_listen_port: 0\ntarget: ingester\n' >"$TMP/target.yaml"
expect_exit 2 "$TC_BIN" -config.verify -config.file="$TMP/target.yaml"
grep -qF "$TMP/target.yaml:3: target: \"ingester\" is not supported" "$TMP/err" || fail "target: $(cat "$TMP/err")"

# gcs verifies (insecure: anonymous, as Tempo); so does azure, below.
expect_exit 0 "$TC_BIN" -config.verify -config.file="$D/gcs.yaml"
# A backend Tempo 1.5 does not have is refused with its line.
sed 's/backend: gcs/backend: swift/' "$D/gcs.yaml" >"$TMP/swift.yaml"
expect_exit 2 "$TC_BIN" -config.verify -config.file="$TMP/swift.yaml"
grep -qE "^$TMP/swift.yaml:[0-9]+: storage.trace.backend: " "$TMP/err" || fail "swift: $(cat "$TMP/err")"

# azure verifies; a managed identity is refused as not supported, naming the key.
expect_exit 0 "$TC_BIN" -config.verify -config.file="$D/azure.yaml"
sed 's/      storage-account-key:.*/      use-managed-identity: true/' "$D/azure.yaml" > "$TMP/msi.yaml"
expect_exit 2 "$TC_BIN" -config.verify -config.file="$TMP/msi.yaml"
grep -qF "storage.trace.azure.use-managed-identity: managed identities are not supported" "$TMP/err" ||
  fail "msi: $(cat "$TMP/err")"

# The overrides file is checked too, and named where the config sets it.
printf 'overrides:\n  "t1":\n    block_retention: 1x\n' >"$TMP/ov.yaml"
sed "s|/conf/overrides.yaml|$TMP/ov.yaml|" "$D/distributed-s3.yaml" >"$TMP/dist.yaml"
expect_exit 2 "$TC_BIN" -config.verify -config.file="$TMP/dist.yaml"
grep -qF "$TMP/ov.yaml:3: overrides.t1.block_retention: want a duration" "$TMP/err" || fail "overrides: $(cat "$TMP/err")"
printf 'overrides:\n  "t1":\n    block_retention: 24h\n' >"$TMP/ov.yaml"
expect_exit 0 "$TC_BIN" -config.verify -config.file="$TMP/dist.yaml"
expect_exit 2 "$TC_BIN" -config.verify -config.file="$D/distributed-s3.yaml"
grep -qE "distributed-s3.yaml:[0-9]+: overrides.per_tenant_override_config: /conf/overrides.yaml: cannot open" "$TMP/err" ||
  fail "missing overrides: $(cat "$TMP/err")"

# A ring without endpoints: a cross-key check, still with the line.
printf 'compactor:\n  ring:\n    kvstore:\n      store: etcd\nstorage:\n  trace:\n    local:\n      path: /x\n' >"$TMP/ring.yaml"
expect_exit 2 "$TC_BIN" -config.verify -config.file="$TMP/ring.yaml"
grep -qF "$TMP/ring.yaml:4: compactor.ring.kvstore.etcd.endpoints: must not be empty" "$TMP/err" || fail "ring: $(cat "$TMP/err")"

# -config.expand-env: ${VAR}, ${VAR:-default}, $$; off, the text stays as written.
cat >"$TMP/env.yaml" <<'YAML'
server:
  http_listen_port: ${TC_T_PORT:-0}
storage:
  trace:
    backend: ${TC_T_BACKEND}
    s3:
      bucket: tempo
      endpoint: ${TC_T_ENDPOINT:-minio:9000}
      access_key: "$${not_expanded}"
      secret_key: ${TC_T_SECRET:-s3cret}
YAML
TC_T_BACKEND=s3 expect_exit 0 "$TC_BIN" -config.expand-env=true -config.verify -config.file="$TMP/env.yaml"
TC_T_BACKEND=azure expect_exit 2 "$TC_BIN" -config.expand-env=true -config.verify -config.file="$TMP/env.yaml"
grep -qF "storage.trace.azure.container-name is required" "$TMP/err" || fail "env azure: $(cat "$TMP/err")"
TC_T_BACKEND=gcs expect_exit 2 "$TC_BIN" -config.expand-env=true -config.verify -config.file="$TMP/env.yaml"
grep -qF "storage.trace.gcs.bucket_name is required" "$TMP/err" || fail "env gcs: $(cat "$TMP/err")"
TC_T_BACKEND=s3 expect_exit 2 "$TC_BIN" -config.verify -config.file="$TMP/env.yaml"
grep -qF "$TMP/env.yaml:2: server.http_listen_port: want an unsigned integer" "$TMP/err" || fail "no expansion: $(cat "$TMP/err")"
printf 'server:\n  http_listen_port: ${TC_T_PORT:-0\n' >"$TMP/bad-env.yaml"
expect_exit 2 "$TC_BIN" -config.verify -config.expand-env=true -config.file="$TMP/bad-env.yaml"
grep -qF "$TMP/bad-env.yaml:2: -config.expand-env:" "$TMP/err" || fail "bad env: $(cat "$TMP/err")"

# A whole Tempo config starts the service unchanged: a local bucket, /ready, SIGTERM.
mkdir -p "$TMP/bucket"
sed -e "s|/tmp/tempo/blocks|$TMP/bucket|" -e "s|http_listen_port: 3200|http_listen_port: \${TC_T_PORT}|" \
  "$D/single-binary-local.yaml" >"$TMP/tempo.yaml"
TC_T_PORT=0 "$TC_BIN" -log.level=debug -config.expand-env=true -config.file="$TMP/tempo.yaml" \
  -server.http_listen_address=127.0.0.1 >"$TMP/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
port=$(wait_port "$TMP/log") || { cat "$TMP/log"; fail "no port"; }
ready=
for _ in $(seq 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready")" = 200 ] && { ready=1; break; }
  sleep 0.1
done
[ -n "$ready" ] || { cat "$TMP/log"; fail "/ready did not answer 200"; }
curl -sf "http://127.0.0.1:$port/config" | grep -qF "path: \"$TMP/bucket\"" || fail "/config lacks the bucket"
# One debug line for each ignored key, with its file:line.
wal_line=$(grep -n '      path: /tmp/tempo/wal' "$TMP/tempo.yaml" | cut -d: -f1)
grep -qE "level=debug .*key=\"?storage.trace.wal.path\"? at=\"?$TMP/tempo.yaml:$wal_line\"?\$" "$TMP/log" ||
  { cat "$TMP/log"; fail "no debug line for storage.trace.wal.path at line $wal_line"; }
n=$(grep -c 'Tempo config key accepted and ignored' "$TMP/log")
[ "$n" -eq 22 ] || fail "want 22 ignored-key lines, got $n"
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
[ "$rc" -eq 0 ] || { cat "$TMP/log"; fail "exit $rc after SIGTERM"; }
echo "ok"

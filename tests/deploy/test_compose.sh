#!/usr/bin/env bash
# deploy/docker-compose: Debian's docker-compose accepts the stack (`config`
# needs no Docker daemon; make test installs the package through
# install-deps.sh --compose), tests/deploy/compose.py checks its shape on the
# resolved file, and every tracecompactor*.yaml under deploy/ passes
# `-config.verify -config.expand-env=true` with the environment the
# replicas get. A compose file with a misspelt key must be refused.
source "$(dirname "$0")/../integration/lib.sh"
here=$(dirname "$0")
dir="$TC_SRC/deploy/docker-compose"
command -v docker-compose >/dev/null ||
  fail "docker-compose is missing: scripts/install-deps.sh --compose (make test installs it)"

# No daemon is needed or wanted: point DOCKER_HOST at nothing.
export DOCKER_HOST=unix://$TMP/no-docker.sock
docker-compose -f "$dir/docker-compose.yaml" config >"$TMP/resolved.yaml" 2>"$TMP/compose.err" ||
  { cat "$TMP/compose.err"; fail "docker-compose config refuses deploy/docker-compose/docker-compose.yaml"; }
python3 "$here/compose.py" "$TMP/resolved.yaml" "$dir" "$TC_SRC" >"$TMP/env" || fail "the stack's shape (above)"

# The same file with one key misspelt, its relative paths still resolved
# from deploy/docker-compose.
sed 's/^  image: grafana\/tempo:1.5.0$/  imagee: grafana\/tempo:1.5.0/' "$dir/docker-compose.yaml" >"$TMP/typo.yaml"
grep -q imagee "$TMP/typo.yaml" || fail "the typo was not made"
docker-compose --project-directory "$dir" -f "$TMP/typo.yaml" config >/dev/null 2>"$TMP/typo.err" &&
  fail "docker-compose config accepts a misspelt key"
grep -q imagee "$TMP/typo.err" || { cat "$TMP/typo.err"; fail "docker-compose config fails on the typo for another reason"; }

# The replicas' environment (S3 credentials), as compose would set it.
env=()
while read -r tag kv; do [ "$tag" = env ] && env+=("$kv"); done <"$TMP/env"
[ ${#env[@]} -gt 0 ] || fail "the replicas get no environment (their S3 secrets)"
n=0
while IFS= read -r -d '' f; do
  env "${env[@]}" "$TC_BIN" -config.verify -config.expand-env=true -config.file="$f" \
    >"$TMP/verify.out" 2>&1 || { cat "$TMP/verify.out"; fail "-config.verify refuses $f"; }
  n=$((n + 1))
done < <(find "$TC_SRC/deploy" -name 'tracecompactor*.yaml' -print0)
[ $n -ge 1 ] || fail "no tracecompactor*.yaml under deploy/"
echo "ok: $n tracecompactor config(s) verified"

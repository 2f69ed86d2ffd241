#!/usr/bin/env bash
# Installs the Debian packages the build and the test suite need, only those
# that are missing, so a second `make` costs nothing. The lists are in
# scripts/packages, by group.
#   scripts/install-deps.sh            build + unit/integration test deps
#   scripts/install-deps.sh --s3       also the single-node Ceph RGW used by S3 tests
#   scripts/install-deps.sh --etcd     also etcd (scale-out tests)
#   scripts/install-deps.sh --bench    also perf (make bench)
#   scripts/install-deps.sh --prometheus  also prometheus and promtool (the
#                                      mixin tests); no prometheus service is
#                                      left running
#   scripts/install-deps.sh --chromium also headless Chromium (the bucket page's browser test)
#   scripts/install-deps.sh --compose  also docker-compose (tests/deploy)
#   scripts/install-deps.sh --azurite  also node/npm (Debian's, unless node is
#                                      already there) and, with npm, Azurite and
#                                      @azure/storage-blob into .deps/azure (the
#                                      azure tests); skipped when .deps/azure
#                                      already matches tests/tools/azure
#   scripts/install-deps.sh --only GROUP   only that group (the Dockerfile: build, runtime)
#   scripts/install-deps.sh --list GROUP   print that group's packages, install nothing
set -euo pipefail
here=$(dirname "$0")

# group NAME: the packages of one group of scripts/packages, one a line. A
# group runs from "NAME:" to the next "word:" line; comments and blank lines
# end nothing.
group() {
  local out
  out=$(awk -v g="$1" '
    /^[[:space:]]*#/ || /^[[:space:]]*$/ { next }
    /^[a-z0-9-]+:/ { on = ($1 == g ":"); sub(/^[^:]*:/, "") }
    on { for (i = 1; i <= NF; i++) print $i }' "$here/packages")
  [ -n "$out" ] || { echo "install-deps.sh: no package group \"$1\" in $here/packages" >&2; exit 2; }
  printf '%s\n' "$out"
}

groups=(build test)
azurite=0
while [ $# -gt 0 ]; do
  case "$1" in
    --s3) groups+=(s3) ;;
    --etcd) groups+=(etcd) ;;
    --bench) groups+=(bench) ;;
    --prometheus) groups+=(prometheus) ;;
    --compose) groups+=(compose) ;;
    --chromium) groups+=(chromium) ;;
    --azurite) azurite=1; command -v npm >/dev/null 2>&1 || groups+=(azurite) ;;
    --only) [ $# -ge 2 ] || { echo "install-deps.sh: --only needs a group" >&2; exit 2; }
            groups=("$2"); shift ;;
    --list) [ $# -ge 2 ] || { echo "install-deps.sh: --list needs a group" >&2; exit 2; }
            group "$2"; exit 0 ;;
    *) echo "install-deps.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

pkgs=()
for g in "${groups[@]}"; do
  list=$(group "$g") || exit 2
  mapfile -t -O "${#pkgs[@]}" pkgs <<<"$list"
done

# --azurite: the npm packages of tests/tools/azure (a lock file pins them)
# into .deps/azure, once; afterwards this works offline.
npm_azurite() {
  local root dest
  root=$(cd "$here/.." && pwd)
  dest=$root/.deps/azure
  if [ -x "$dest/node_modules/.bin/azurite-blob" ] &&
     cmp -s "$root/tests/tools/azure/package-lock.json" "$dest/package-lock.json"; then
    return 0
  fi
  echo "install-deps: npm ci (Azurite, @azure/storage-blob) into $dest" >&2
  mkdir -p "$dest"
  cp "$root/tests/tools/azure/package.json" "$root/tests/tools/azure/package-lock.json" "$dest/"
  (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  [ $azurite = 0 ] || npm_azurite
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Debian's prometheus package starts a server on every interface (:9090) from
# its postinst; the tests only want the binaries and start their own on
# 127.0.0.1 (scripts/prometheus.sh). A policy-rc.d that refuses every start
# keeps invoke-rc.d / deb-systemd-invoke from starting it during the install.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# install-deps.sh: no service starts during this install\nexit 101\n' |
    $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  own_policy=1
fi
status=0
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
[ $own_policy = 0 ] || $SUDO rm -f "$policy"
[ $status = 0 ] || exit $status

# And should one have started anyway (systemd without policy-rc.d support),
# stop it and keep it from starting at boot.
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
[ $azurite = 0 ] || npm_azurite

#!/usr/bin/env bash
# Installs the Debian packages the build and the test suite need, only those
# that are missing, so a second `make` costs nothing.
#   scripts/install-deps.sh            build + unit/integration test deps
#   scripts/install-deps.sh --s3       also the single-node Ceph RGW used by S3 tests
#   scripts/install-deps.sh --etcd     also etcd (scale-out tests)
#   scripts/install-deps.sh --bench    also perf (make bench)
#   scripts/install-deps.sh --prometheus  also prometheus and promtool (the
#                                      mixin tests); no prometheus service is
#                                      left running
set -euo pipefail

pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libcurl4-openssl-dev libssl-dev libprotobuf-c-dev protobuf-c-compiler
      libzstd-dev libsnappy-dev libyaml-dev libcjson-dev zlib1g-dev liblz4-dev
      libxxhash-dev libmicrohttpd-dev libmurmurhash-dev libisal-dev libxml2-dev
      curl ca-certificates valgrind python3
      time)  # GNU time: make bench and the tests that measure peak RSS and run time
for arg in "$@"; do
  case "$arg" in
    --s3) pkgs+=(radosgw ceph-mon ceph-osd ceph-common) ;;
    --etcd) pkgs+=(etcd-server etcd-client) ;;
    --bench) pkgs+=(linux-perf) ;;
    --prometheus) pkgs+=(prometheus python3-yaml) ;;
    *) echo "install-deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

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

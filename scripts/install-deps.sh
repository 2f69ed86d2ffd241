#!/usr/bin/env bash
# Installs the Debian packages the build and the test suite need, only those
# that are missing, so a second `make` costs nothing.
#   scripts/install-deps.sh            build + unit/integration test deps
#   scripts/install-deps.sh --s3       also the single-node Ceph RGW used by S3 tests
#   scripts/install-deps.sh --etcd     also etcd (scale-out tests)
#   scripts/install-deps.sh --bench    also perf (make bench)
#   scripts/install-deps.sh --chromium also headless Chromium (the bucket page's browser test)
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
    --chromium) pkgs+=(chromium) ;;
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
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# shellcheck shell=bash
# The Azure (Azurite fixture) side of the backend-neutral scenarios
# (service_scenario.sh, sigterm_scenario.sh), with Tempo 1.5's azure keys;
# the checks go through Microsoft's client (tests/tools/azure/blob.js).
# Same functions as store_s3.sh.
: "${TC_AZURE_ENDPOINT:?TC_AZURE_ENDPOINT not set: this test needs the azurite fixture}"
STORE_SECRET=${TC_AZURE_KEY:?}
STORE_BACKEND=azure
# Azure answers a bad signature with AuthenticationFailed; Azurite with AuthorizationFailure.
STORE_BAD_CODE="AuthenticationFailed|AuthorizationFailure"
STORE_MISSING_CODE=ContainerNotFound
STORE_STREAM_EXTRA="buffer-size: 262144"
blob() { node "$TC_SRC/tests/tools/azure/blob.js" "$@"; }
store_create() { blob create "$1"; }
store_drop() { blob drop "$1" >/dev/null 2>&1 || true; }
store_yaml() {
  echo "azure: {container-name: $2, storage-account-name: ${TC_AZURE_ACCOUNT:-devstoreaccount1}, storage-account-key: \"$1\", endpoint-suffix: \"$TC_AZURE_ENDPOINT\"${3:+, $3}}"
}
store_ls() { blob ls "$1" "$2"; }
store_get() { blob get "$1" "$2" "$3"; }
# Staged blocks of an abandoned stream are invisible (not blobs) and Azure's to expire.
store_pending() { :; }

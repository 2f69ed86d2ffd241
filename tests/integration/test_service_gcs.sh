# The service end to end on GCS, against the fake of tests/fake_gcs.py with a
# service-account key whose short-lived tokens must be renewed, configured
# with Tempo 1.5's storage.trace.gcs keys: the scenario of
# service_scenario.sh with the functions (and the GCS checks) of store_gcs.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_gcs.sh"
source "$(dirname "$0")/service_scenario.sh"

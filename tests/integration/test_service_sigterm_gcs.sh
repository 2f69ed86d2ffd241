# SIGTERM in the middle of a compaction on GCS (the fake of tests/fake_gcs.py):
# sigterm_scenario.sh with the functions of store_gcs.sh; no resumable
# upload session of the abandoned output is left open.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_gcs.sh"
source "$(dirname "$0")/sigterm_scenario.sh"

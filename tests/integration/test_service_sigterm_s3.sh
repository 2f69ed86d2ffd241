# SIGTERM in the middle of a compaction on S3 (RGW fixture): sigterm_scenario.sh
# with the S3 functions of store_s3.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_s3.sh"
source "$(dirname "$0")/sigterm_scenario.sh"

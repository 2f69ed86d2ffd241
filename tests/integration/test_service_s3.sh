# The service end to end on S3 (the Ceph RGW the test fixture starts): the
# scenario of service_scenario.sh with the S3 functions of store_s3.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_s3.sh"
source "$(dirname "$0")/service_scenario.sh"

# SIGTERM in the middle of a compaction on Azure (Azurite fixture):
# sigterm_scenario.sh with the functions of store_azure.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_azure.sh"
source "$(dirname "$0")/sigterm_scenario.sh"

# The service end to end on Azure Blob Storage (the Azurite the test fixture
# starts), configured with Tempo 1.5's storage.trace.azure keys: the scenario
# of service_scenario.sh with the functions of store_azure.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_azure.sh"
source "$(dirname "$0")/service_scenario.sh"

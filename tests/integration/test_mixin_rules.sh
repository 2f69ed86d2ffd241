# deploy/mixin on its own: promtool accepts the rules, the rules' unit tests
# (alerts_test.yaml: each alert fires on a bad series, stays quiet on a
# healthy one) pass, and the dashboards parse and carry PromQL targets.
source "$(dirname "$0")/lib.sh"
MIXIN="$TC_SRC/deploy/mixin"
command -v promtool >/dev/null || fail "promtool not found: scripts/install-deps.sh --prometheus"
promtool check rules "$MIXIN/alerts.yaml" > "$TMP/out" 2>&1 || { cat "$TMP/out"; fail "promtool check rules"; }
(cd "$MIXIN" && promtool test rules alerts_test.yaml) > "$TMP/out" 2>&1 || { cat "$TMP/out"; fail "promtool test rules"; }
python3 "$(dirname "$0")/mixin_check.py" static "$MIXIN"
echo ok

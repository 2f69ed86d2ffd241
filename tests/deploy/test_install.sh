#!/usr/bin/env bash
# make install into a DESTDIR: the binary (0755, runs), the example config
# and overrides file in /etc/tracecompactor (0644; a second install keeps an
# edited config and puts the new one beside it as .example), and the unit
# (0644) in PREFIX/lib/systemd/system with ExecStart naming PREFIX's binary
# and that config. Then the unit itself (test_systemd.sh checks it further).
source "$(dirname "$0")/../integration/lib.sh"

inst() { make -s -C "$TC_SRC" install BUILD="$TC_BUILD" DESTDIR="$TMP/root" "$@" >"$TMP/install.log" ||
  { cat "$TMP/install.log"; fail "make install $*"; }; }
mode() { [ -f "$TMP/root$1" ] || fail "make install did not write $1"
  [ "$(stat -c %a "$TMP/root$1")" = "$2" ] || fail "$1 has mode $(stat -c %a "$TMP/root$1"), want $2"; }

inst
mode /usr/local/bin/tracecompactor 755
mode /etc/tracecompactor/tracecompactor.yaml 644
mode /etc/tracecompactor/overrides.yaml 644
mode /usr/local/lib/systemd/system/tracecompactor.service 644
cmp -s "$TC_SRC/configs/tracecompactor.yaml" "$TMP/root/etc/tracecompactor/tracecompactor.yaml" ||
  fail "the installed config is not configs/tracecompactor.yaml"
"$TMP/root/usr/local/bin/tracecompactor" version | grep -q '^tracecompactor ' || fail "the installed binary does not run"
grep -qx 'ExecStart=/usr/local/bin/tracecompactor -config.file=/etc/tracecompactor/tracecompactor.yaml' \
  "$TMP/root/usr/local/lib/systemd/system/tracecompactor.service" || fail "unit's ExecStart for PREFIX=/usr/local"
find "$TMP/root" -type f | sort >"$TMP/files"
[ "$(wc -l <"$TMP/files")" -eq 4 ] || { cat "$TMP/files"; fail "make install wrote other files than these four"; }

# Another prefix: the unit follows it; an edited config survives.
echo "# edited" >>"$TMP/root/etc/tracecompactor/tracecompactor.yaml"
inst PREFIX=/opt/tc
mode /opt/tc/bin/tracecompactor 755
grep -qx 'ExecStart=/opt/tc/bin/tracecompactor -config.file=/etc/tracecompactor/tracecompactor.yaml' \
  "$TMP/root/opt/tc/lib/systemd/system/tracecompactor.service" || fail "unit's ExecStart for PREFIX=/opt/tc"
tail -1 "$TMP/root/etc/tracecompactor/tracecompactor.yaml" | grep -qx '# edited' ||
  fail "a second make install overwrote the edited config"
mode /etc/tracecompactor/tracecompactor.yaml.example 644
cmp -s "$TC_SRC/configs/tracecompactor.yaml" "$TMP/root/etc/tracecompactor/tracecompactor.yaml.example" ||
  fail "the new example beside the kept config is not configs/tracecompactor.yaml"

# Without a build there is nothing to install: a message, not a build.
expect_exit 2 make -s -C "$TC_SRC" install BUILD="$TMP/no-build" DESTDIR="$TMP/root2"
grep -q "run make build first" "$TMP/err" || fail "make install without a build: $(cat "$TMP/err")"
[ ! -e "$TMP/root2" ] || fail "make install without a build wrote something"
echo "ok"

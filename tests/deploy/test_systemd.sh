#!/usr/bin/env bash
# deploy/systemd/tracecompactor.service as make install writes it:
# `systemd-analyze verify` accepts it without a word (its ExecStart pointed
# at the installed binary, which verify requires to exist), it carries the
# hardening the README lists, `systemd-analyze security --offline` rates it
# at most 2.0 of 10, and the service starts as the unit starts it (ExecStart
# with WorkingDirectory, the example config's ./data relative to it).
source "$(dirname "$0")/../integration/lib.sh"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (Debian package systemd)"

make -s -C "$TC_SRC" install BUILD="$TC_BUILD" DESTDIR="$TMP/root" >/dev/null || fail "make install"
unit="$TMP/root/usr/local/lib/systemd/system/tracecompactor.service"
mkdir -p "$TMP/units"
sed "s#^ExecStart=/usr/local/#ExecStart=$TMP/root/usr/local/#" "$unit" >"$TMP/units/tracecompactor.service"
verify() { (cd "$TMP/units" && systemd-analyze verify "$1" 2>&1); }

out=$(verify tracecompactor.service) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
# verify only warns about an unknown key; this test must not let one pass.
cp "$TMP/units/tracecompactor.service" "$TMP/units/bad.service"
sed -i 's/^ProtectHome=yes/ProtectHomee=yes/' "$TMP/units/bad.service"
out=$(verify bad.service) || true
[ -n "$out" ] || fail "systemd-analyze verify said nothing about an unknown key"

for want in DynamicUser=yes ProtectSystem=strict ReadWritePaths=/var/lib/tracecompactor \
    StateDirectory=tracecompactor ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' Restart=on-failure \
    'ExecReload=/bin/kill -HUP $MAINPID'; do
  grep -qxF "$want" "$unit" || fail "the unit lacks $want"
done
(cd "$TMP/units" && systemd-analyze security --offline=true --threshold=20 tracecompactor.service) \
  >"$TMP/security" 2>&1 || { tail -5 "$TMP/security"; fail "systemd-analyze security rates the unit above 2.0"; }

# ExecStart as the unit runs it, from its WorkingDirectory (here a stand-in
# for /var/lib/tracecompactor), on a free port.
wd=$(sed -n 's/^WorkingDirectory=//p' "$unit")
[ "$wd" = /var/lib/tracecompactor ] || fail "WorkingDirectory is $wd"
cmd=$(sed -n 's/^ExecStart=//p' "$unit")
cfg=${cmd#* -config.file=}
[ -f "$TMP/root$cfg" ] || fail "ExecStart's config $cfg is not what make install wrote"
mkdir -p "$TMP/state"
(cd "$TMP/state" && exec "$TMP/root${cmd%% *}" -config.file="$TMP/root$cfg" \
  -server.http_listen_address=127.0.0.1 -server.http_listen_port=0) >"$TMP/svc.log" 2>&1 &
svc=$!
trap 'kill $svc 2>/dev/null || true; wait $svc 2>/dev/null || true; rm -rf "$TMP"' EXIT
port=$(wait_port "$TMP/svc.log") || { cat "$TMP/svc.log"; fail "the service did not start as the unit starts it"; }
curl -fsS "http://127.0.0.1:$port/ready" >/dev/null || fail "/ready"
[ -d "$TMP/state/data" ] || fail "the example config's bucket is not under the working directory"
# ExecReload's SIGHUP reloads the overrides and the service keeps running.
kill -HUP $svc; sleep 0.3
kill -0 $svc || fail "SIGHUP stopped the service"
kill $svc; wait $svc || fail "SIGTERM: exit $?"
echo "ok"

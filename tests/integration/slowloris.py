#!/usr/bin/env python3
"""A slowloris attack on the service's HTTP port, with probes of /ready and
/metrics from another loopback address while it lasts (test_http_slowloris.sh).

Phase 1 (fairness): --per-ip-conns connections from --per-ip-source; the
server must keep exactly --per-ip-limit of them and close the rest at once.
Phase 2 (attack): --conns connections spread over --sources, each sending a
request line and then one header line every --trickle seconds, never the
blank line that ends the header; one the server closes is opened again.
Meanwhile /ready and /metrics are fetched from 127.0.0.1 every --probe-every
seconds and must answer 200 within 1 s. Every attack connection must be
closed by the server --deadline seconds after it was opened (give or take
--slack), none sooner and none left open longer.
After --duration seconds the file --done is created and the attack goes on
(without reopening) until the server is gone or --hold seconds pass, so the
caller can stop the service in the middle of it.
Exits 1 naming what failed, 0 otherwise; prints a one-line summary.
"""
import argparse
import http.client
import os
import selectors
import socket
import sys
import threading
import time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--conns", type=int, default=200)
    p.add_argument("--sources", default="127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8")
    p.add_argument("--trickle", type=float, default=1.5)
    p.add_argument("--deadline", type=float, required=True)
    p.add_argument("--slack", type=float, default=2.0)
    p.add_argument("--duration", type=float, default=18.0)
    p.add_argument("--probe-every", type=float, default=1.0)
    p.add_argument("--per-ip-source", default="127.0.0.9")
    p.add_argument("--per-ip-conns", type=int, default=40)
    p.add_argument("--per-ip-limit", type=int, default=32)
    p.add_argument("--done", required=True)
    p.add_argument("--hold", type=float, default=15.0)
    return p.parse_args()


def connect(src, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(2.0)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    return s


def closed_by_peer(s):
    """True when the server has closed s (EOF or reset); drains any bytes it sent."""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def fairness(a):
    """Phase 1: the per-IP limit keeps per_ip_limit connections of one address, closes the rest."""
    socks = []
    for _ in range(a.per_ip_conns):
        socks.append(connect(a.per_ip_source, a.port))
        socks[-1].send(b"GET /ready HTTP/1.1\r\n")
    time.sleep(1.0)
    closed = sum(1 for s in socks if closed_by_peer(s))
    for s in socks:
        s.close()
    want = a.per_ip_conns - a.per_ip_limit
    if closed != want:
        return "per-IP limit: %d of %d connections from %s closed at once, want %d" % (
            closed, a.per_ip_conns, a.per_ip_source, want)
    return None


class Prober(threading.Thread):
    """Fetches /ready and /metrics every probe_every seconds; records failures and the slowest answer."""

    def __init__(self, port, every):
        super().__init__(daemon=True)
        self.port, self.every = port, every
        self.stop = threading.Event()
        self.failures, self.count, self.slowest = [], 0, 0.0

    def probe(self, path):
        t0 = time.monotonic()
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1.0)
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            c.close()
            dt = time.monotonic() - t0
            if r.status != 200 or (path == "/ready" and body != b"ready\n"):
                return "%s: status %d %r" % (path, r.status, body[:80]), dt
            if dt > 1.0:
                return "%s: answered after %.2fs" % (path, dt), dt
            return None, dt
        except OSError as e:
            return "%s: no answer within 1s (%s)" % (path, e), time.monotonic() - t0

    def run(self):
        while not self.stop.is_set():
            for path in ("/ready", "/metrics"):
                err, dt = self.probe(path)
                self.count += 1
                self.slowest = max(self.slowest, dt)
                if err:
                    self.failures.append(err)
            self.stop.wait(self.every)


def main():
    a = parse()
    err = fairness(a)
    if err:
        print("FAIL: " + err)
        return 1

    sources = a.sources.split(",")
    sel = selectors.DefaultSelector()
    conns = {}  # socket -> [opened, next trickle, header lines sent]
    problems, lifetimes = [], []
    reopen = True

    def open_one(i):
        try:
            s = connect(sources[i % len(sources)], a.port)
            s.send(b"GET /ready HTTP/1.1\r\nHost: x\r\n")
        except OSError as e:
            if reopen:
                problems.append("cannot open attack connection: %s" % e)
            return
        now = time.monotonic()
        conns[s] = [now, now + a.trickle, 0]
        sel.register(s, selectors.EVENT_READ)

    def gone(s, now):
        opened = conns.pop(s)[0]
        sel.unregister(s)
        s.close()
        life = now - opened
        lifetimes.append(life)
        if reopen and not (a.deadline - 0.5 <= life <= a.deadline + a.slack):
            problems.append("attack connection closed after %.2fs, want %.1fs" % (life, a.deadline))

    for i in range(a.conns):
        open_one(i)
    prober = Prober(a.port, a.probe_every)
    prober.start()
    start = time.monotonic()
    end = start + a.duration
    done_at = None
    while True:
        now = time.monotonic()
        if reopen and now >= end:
            reopen = False
            prober.stop.set()
            prober.join()
            # Still open: none may be older than the deadline allows.
            for s, (opened, _, _) in conns.items():
                if now - opened > a.deadline + a.slack:
                    problems.append("attack connection still open after %.2fs" % (now - opened))
            with open(a.done, "w") as f:
                f.write("probing done\n")
            done_at = now
        if not reopen and (not conns or now - done_at > a.hold):
            break
        for key, _ in sel.select(timeout=0.05):
            if closed_by_peer(key.fileobj):
                gone(key.fileobj, time.monotonic())
                if reopen:
                    open_one(len(lifetimes))
        now = time.monotonic()
        for s, st in list(conns.items()):
            if now >= st[1]:
                st[1] += a.trickle
                st[2] += 1
                try:
                    s.send(b"X-Slow-%d: x\r\n" % st[2])
                except OSError:
                    gone(s, now)
                    if reopen:
                        open_one(len(lifetimes))
    left = len(conns)
    for s in list(conns):
        s.close()
    problems = prober.failures + problems
    if left:
        problems.append("%d attack connections still open %.0fs after the probes ended" % (left, a.hold))
    if not lifetimes:
        problems.append("no attack connection was ever closed by the server")
    print("probes=%d slowest=%.3fs attack_closed=%d longest_life=%.2fs problems=%d" % (
        prober.count, prober.slowest, len(lifetimes), max(lifetimes or [0]), len(problems)))
    for p in problems[:12]:
        print("FAIL: " + p)
    if len(problems) > 12:
        print("FAIL: ... and %d more" % (len(problems) - 12))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A fake Google Cloud Storage for the GCS backend's tests: the JSON API
calls the backend issues and the OAuth2 token exchange, as Google documents
them, in memory, with the checks a real server makes (and a few it does not
make but our client must honour) recorded as violations.

    fake_gcs.py --port-file F --bucket B [--bucket B2 ...]
                [--auth --client-email E --public-key PEM] [--token-lifetime S]
                [--violations FILE]

Storage (https://cloud.google.com/storage/docs/json_api/v1):
  GET    /storage/v1/b/B                        bucket resource
  GET    /storage/v1/b/B/o?prefix&delimiter&pageToken&maxResults
                                                items, prefixes, nextPageToken;
                                                at most 1000 entries (items and
                                                prefixes together) a page
  GET    /storage/v1/b/B/o/NAME                 object resource
  GET    /storage/v1/b/B/o/NAME?alt=media       content; Range "bytes=a-b", "bytes=a-"
                                                (206, Content-Range; 416 past the end)
  DELETE /storage/v1/b/B/o/NAME                 204; 404 notFound
  POST   /storage/v1/b/B/o/SRC/rewriteTo/b/B2/o/DST   done: true (or false with a
                                                rewriteToken first, see faults)
  POST   /upload/storage/v1/b/B/o?uploadType=media&name=N      simple upload
  POST   /upload/storage/v1/b/B/o?uploadType=multipart         metadata + media
                                                (multipart/related)
  POST   /upload/storage/v1/b/B/o?uploadType=resumable         JSON metadata; 200
                                                with Location: the session URI
  PUT    SESSION  Content-Range "bytes a-b/*" (a chunk: 308 with Range
                  "bytes=0-b"; its length must be a multiple of 256 KiB),
                  "bytes a-b/T" (the last chunk: 200 + object),
                  "bytes */T" (finalize with no more bytes), "bytes */*" (status)
  DELETE SESSION  cancels the session (499)
OAuth2 (https://developers.google.com/identity/protocols/oauth2/service-account):
  POST /token  grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT
               The JWT's RS256 signature is verified with `openssl dgst -verify`
               against --public-key; iss, scope, aud (this URL), iat and exp are
               checked; the answer is {access_token, token_type, expires_in}.
With --auth every storage request must carry "Authorization: Bearer T" with a
token issued here and not expired: otherwise 401 authError, and a violation.
Without --auth (an emulator) any or no Authorization is accepted.

Test control (no auth, not part of GCS):
  POST /_fake/faults  JSON {"status": 503, "count": 2, "match": "alt=media",
                      "method": "GET", "min_length": 0} : the next `count` requests
                      whose method and "path?query" match and whose body has at least
                      min_length bytes answer `status` (429:
                      rateLimitExceeded, 5xx: backendError); status 0 closes the
                      connection without an answer; status -1 ("lost") carries the
                      request out, then answers only a 503 status line and closes
                      (the client cannot know it took effect);
                      {"rewrite_steps": N} makes each rewrite take N calls.
  POST /_fake/bucket?name=B            creates bucket B.
  GET  /_fake/list?bucket=B&prefix=P   the names under P, one a line.
  GET  /_fake/stats   JSON: requests per kind, tokens issued, open upload
                      sessions (their object names), violations.
  GET  /_fake/object?bucket=B&name=N   raw content (no auth), for tests;
                      with &meta=1 the object resource instead.
A violation (a missing or stale token, a chunk of the wrong size, a chunk at
the wrong offset, a bad JWT) is one line appended to --violations; the tests
assert the file is empty.
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import secrets
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

CHUNK = 256 * 1024
PAGE_MAX = 1000
SCOPES_OK = ("https://www.googleapis.com/auth/devstorage.read_write",
             "https://www.googleapis.com/auth/devstorage.full_control",
             "https://www.googleapis.com/auth/cloud-platform")

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--bucket", action="append", default=[])
ap.add_argument("--auth", action="store_true")
ap.add_argument("--client-email", default="")
ap.add_argument("--public-key", default="")
ap.add_argument("--token-lifetime", type=int, default=3600)
ap.add_argument("--violations", default="")
ap.add_argument("--parent", type=int, default=0, help="exit when this process is gone")
args = ap.parse_args()
if args.auth and not (args.client_email and args.public_key):
    ap.error("--auth needs --client-email and --public-key")

lock = threading.Lock()
buckets = {b: {} for b in args.bucket}  # bucket -> name -> object dict
sessions = {}                           # upload id -> session dict
tokens = {}                             # access token -> expiry (time.time())
faults = []                             # [{status, count, match, method}]
state = {"rewrite_steps": 1, "tokens_issued": 0, "violations": 0, "generation": 1}
counts = {}
rewrites = {}                           # rewriteToken -> calls left


def violation(msg):
    with lock:
        state["violations"] += 1
    if args.violations:
        with open(args.violations, "a") as f:
            f.write(msg.replace("\n", " ") + "\n")


def now_rfc3339():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def resource(bucket, o):
    r = {"kind": "storage#object", "id": "%s/%s/%d" % (bucket, o["name"], o["generation"]),
         "name": o["name"], "bucket": bucket, "generation": str(o["generation"]),
         "metageneration": "1", "contentType": o["contentType"], "size": str(len(o["data"])),
         "md5Hash": base64.b64encode(hashlib.md5(o["data"]).digest()).decode(),
         "timeCreated": o["updated"], "updated": o["updated"]}
    if o.get("cacheControl"):
        r["cacheControl"] = o["cacheControl"]
    if o.get("metadata"):
        r["metadata"] = o["metadata"]
    return r


def bad_name(name):
    """Why GCS refuses an object name (its naming rules), or None. A
    backslash, like any other UTF-8 but CR and LF, is a valid name byte."""
    if "\r" in name or "\n" in name:
        return "carriage return or line feed"
    if not 1 <= len(name.encode("utf-8", "surrogatepass")) <= 1024:
        return "length not 1..1024 bytes"
    if name in (".", "..") or name.startswith(".well-known/acme-challenge/"):
        return "reserved name"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "not UTF-8"
    return None


def store(bucket, name, data, meta):
    with lock:
        state["generation"] += 1
        o = {"name": name, "data": bytes(data), "generation": state["generation"],
             "updated": now_rfc3339(),
             "contentType": meta.get("contentType") or "application/octet-stream",
             "cacheControl": meta.get("cacheControl"), "metadata": meta.get("metadata")}
        buckets[bucket][name] = o
        return resource(bucket, o)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):  # quiet
        pass

    # ---- plumbing ----
    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    lost = False

    def setup(self):
        super().setup()
        # headers and body go out in two writes: without this, Nagle and the
        # client's delayed ACK hold every answer 40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, status, obj=None, raw=None, headers=None, ctype="application/json"):
        if self.lost:
            # the request took effect, but all the client gets is a 503 status line
            # (curl would silently resend a request that got no byte at all)
            self.wfile.write(b"HTTP/1.1 503 Service Unavailable\r\n")
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        data = raw if raw is not None else (json.dumps(obj).encode() if obj is not None else b"")
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if data or status not in (204, 304):
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def error(self, status, reason, message):
        self.send(status, {"error": {"code": status, "message": message, "errors": [
            {"domain": "global", "reason": reason, "message": message}]}})

    def count(self, kind):
        with lock:
            counts[kind] = counts.get(kind, 0) + 1

    def fault(self):
        """Answers an injected fault; True if it did."""
        target = self.path
        with lock:
            for f in faults:
                if f["count"] > 0 and f.get("method", self.command) == self.command and \
                        f.get("match", "") in target and \
                        int(self.headers.get("Content-Length") or 0) >= f.get("min_length", 0):
                    f["count"] -= 1
                    st = f["status"]
                    break
            else:
                return False
        self.count("fault")
        if st == -1:
            self.lost = True
            return False
        self.body()
        if st == 0:
            self.close_connection = True
            self.connection.shutdown(2)
            return True
        reason = "rateLimitExceeded" if st == 429 else "backendError"
        self.error(st, reason, "injected fault")
        return True

    def authorized(self):
        if not args.auth:
            return True
        h = self.headers.get("Authorization", "")
        tok = h[7:] if h.startswith("Bearer ") else None
        with lock:
            exp = tokens.get(tok) if tok else None
        why = None
        if tok is None:
            why = "no bearer token"
        elif exp is None:
            why = "unknown token"
        elif exp <= time.time():
            why = "expired token (%.1fs ago)" % (time.time() - exp)
        if why is None:
            return True
        violation("%s %s: %s" % (self.command, self.path.split("?")[0], why))
        self.body()
        self.error(401, "authError", "Invalid Credentials")
        return False

    def dispatch(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        raw = u.path  # still percent-encoded: object names may hold '/'
        if raw.startswith("/_fake/"):
            return self.control(raw, q)
        if raw == "/token" and self.command == "POST":
            return self.token()
        if self.fault():
            return
        if not self.authorized():
            return
        parts = raw.split("/")
        # /storage/v1/b/B..., /upload/storage/v1/b/B/o
        if parts[1:4] == ["upload", "storage", "v1"] and len(parts) == 7 and parts[4] == "b" \
                and parts[6] == "o":
            return self.upload(urllib.parse.unquote(parts[5]), q)
        if parts[1:3] != ["storage", "v1"] or len(parts) < 5 or parts[3] != "b":
            return self.error(404, "notFound", "Not Found")
        bucket = urllib.parse.unquote(parts[4])
        if bucket not in buckets:
            self.body()
            return self.error(404, "notFound", "The specified bucket does not exist.")
        rest = parts[5:]
        if not rest and self.command == "GET":
            self.count("bucket")
            return self.send(200, {"kind": "storage#bucket", "name": bucket, "id": bucket})
        if rest == ["o"] and self.command == "GET":
            return self.list(bucket, q)
        if len(rest) == 2 and rest[0] == "o":
            name = urllib.parse.unquote(rest[1])
            if self.command == "GET":
                return self.get(bucket, name, q)
            if self.command == "DELETE":
                return self.delete(bucket, name)
        if len(rest) == 6 and rest[0] == "o" and rest[2] == "rewriteTo" and rest[3] == "b" \
                and rest[5] == "o" and self.command == "POST":
            return self.rewrite(bucket, urllib.parse.unquote(rest[1]),
                                urllib.parse.unquote(rest[4]), None, q)
        if len(rest) == 7 and rest[0] == "o" and rest[2] == "rewriteTo" and rest[3] == "b" \
                and rest[5] == "o" and self.command == "POST":
            return self.rewrite(bucket, urllib.parse.unquote(rest[1]),
                                urllib.parse.unquote(rest[4]), urllib.parse.unquote(rest[6]), q)
        self.body()
        return self.error(404, "notFound", "Not Found")

    do_GET = do_POST = do_PUT = do_DELETE = lambda self: self.dispatch()

    # ---- OAuth2 ----
    def token(self):
        self.count("token")
        form = dict(urllib.parse.parse_qsl(self.body().decode()))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self.send(400, {"error": "unsupported_grant_type"})
        why = self.check_jwt(form.get("assertion", ""))
        if why:
            violation("token: " + why)
            return self.send(400, {"error": "invalid_grant", "error_description": why})
        tok = "ya29.fake-" + secrets.token_urlsafe(24)
        with lock:
            tokens[tok] = time.time() + args.token_lifetime
            state["tokens_issued"] += 1
        self.send(200, {"access_token": tok, "token_type": "Bearer",
                        "expires_in": args.token_lifetime})

    def check_jwt(self, jwt):
        if not args.auth:
            return "no --auth: this fake issues no tokens"
        parts = jwt.split(".")
        if len(parts) != 3:
            return "assertion is not a JWT"
        try:
            head = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except (ValueError, json.JSONDecodeError) as e:
            return "undecodable JWT: %s" % e
        if head.get("alg") != "RS256" or head.get("typ") != "JWT":
            return "header %r: want alg RS256, typ JWT" % head
        with tempfile.NamedTemporaryFile() as s, tempfile.NamedTemporaryFile() as d:
            s.write(sig)
            s.flush()
            d.write((parts[0] + "." + parts[1]).encode())
            d.flush()
            r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", args.public_key,
                                "-signature", s.name, d.name], capture_output=True)
            if r.returncode != 0:
                return "RS256 signature does not verify"
        now = time.time()
        aud = "http://%s:%d/token" % self.server.server_address[:2]
        if claims.get("iss") != args.client_email:
            return "iss %r is not %r" % (claims.get("iss"), args.client_email)
        if claims.get("aud") != aud:
            return "aud %r is not %r" % (claims.get("aud"), aud)
        if not any(s in SCOPES_OK for s in str(claims.get("scope", "")).split()):
            return "scope %r grants no storage access" % claims.get("scope")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int):
            return "iat/exp missing or not integers"
        if iat > now + 60 or exp < now or exp - iat > 3600:
            return "iat %d / exp %d out of bounds (now %d)" % (iat, exp, now)
        return None

    # ---- objects ----
    def list(self, bucket, q):
        self.count("list")
        prefix, delim = q.get("prefix", ""), q.get("delimiter", "")
        try:
            maxr = min(int(q.get("maxResults", PAGE_MAX)), PAGE_MAX)
        except ValueError:
            return self.error(400, "invalid", "Invalid maxResults")
        with lock:
            names = sorted(n for n in buckets[bucket] if n.startswith(prefix))
            objs = {n: resource(bucket, buckets[bucket][n]) for n in names}
        entries = []  # (sort key, kind, value); a prefix sorts where its first name does
        seen = set()
        for n in names:
            rest = n[len(prefix):]
            if delim and delim in rest:
                p = prefix + rest[:rest.index(delim) + len(delim)]
                if p not in seen:
                    seen.add(p)
                    entries.append((p, "p", p))
            else:
                entries.append((n, "o", objs[n]))
        start = 0
        if q.get("pageToken"):
            try:
                after = b64url_decode(q["pageToken"]).decode()
            except ValueError:
                return self.error(400, "invalid", "Invalid pageToken")
            while start < len(entries) and entries[start][0] <= after:
                start += 1
        page = entries[start:start + maxr]
        out = {"kind": "storage#objects"}
        items = [e[2] for e in page if e[1] == "o"]
        prefixes = [e[2] for e in page if e[1] == "p"]
        if items:
            out["items"] = items
        if prefixes:
            out["prefixes"] = prefixes
        if start + maxr < len(entries):
            out["nextPageToken"] = base64.urlsafe_b64encode(page[-1][0].encode()).decode()
        self.send(200, out)

    def get(self, bucket, name, q):
        with lock:
            o = buckets[bucket].get(name)
        if o is None:
            self.count("get_missing")
            return self.error(404, "notFound", "No such object: %s/%s" % (bucket, name))
        if q.get("alt") != "media":
            self.count("meta")
            return self.send(200, resource(bucket, o))
        self.count("media")
        data, size = o["data"], len(o["data"])
        hdr = {"X-Goog-Generation": str(o["generation"]), "Last-Modified":
               time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                             time.strptime(o["updated"][:19], "%Y-%m-%dT%H:%M:%S"))}
        rng = self.headers.get("Range")
        if not rng:
            return self.send(200, raw=data, headers=hdr, ctype=o["contentType"])
        self.count("range")
        try:
            unit, spec = rng.split("=", 1)
            a, b = spec.split("-", 1)
            a = int(a)
            b = int(b) if b else size - 1
            assert unit == "bytes" and a <= b
        except (ValueError, AssertionError):
            violation("GET %s: malformed Range %r" % (name, rng))
            return self.send(200, raw=data, headers=hdr, ctype=o["contentType"])
        if a >= size:
            hdr["Content-Range"] = "bytes */%d" % size
            return self.error(416, "requestedRangeNotSatisfiable",
                              "The requested range cannot be satisfied.")
        b = min(b, size - 1)
        hdr["Content-Range"] = "bytes %d-%d/%d" % (a, b, size)
        self.send(206, raw=data[a:b + 1], headers=hdr, ctype=o["contentType"])

    def delete(self, bucket, name):
        with lock:
            o = buckets[bucket].pop(name, None)
        self.count("delete" if o else "delete_missing")
        if o is None:
            return self.error(404, "notFound", "No such object: %s/%s" % (bucket, name))
        self.send(204)

    def rewrite(self, bucket, src, dbucket, dst, q):
        self.count("rewrite")
        meta = self.body()
        if dst is None or dbucket not in buckets:
            return self.error(404, "notFound", "No such bucket or object")
        if self.refuse_name(dst):
            return
        with lock:
            o = buckets[bucket].get(src)
        if o is None:
            return self.error(404, "notFound", "No such object: %s/%s" % (bucket, src))
        tok = q.get("rewriteToken")
        with lock:
            if tok is None and state["rewrite_steps"] > 1:
                tok = secrets.token_hex(8)
                rewrites[tok] = state["rewrite_steps"] - 1
                return self.send(200, {"kind": "storage#rewriteResponse", "done": False,
                                       "rewriteToken": tok, "totalBytesRewritten": "0",
                                       "objectSize": str(len(o["data"]))})
            if tok is not None:
                left = rewrites.get(tok)
                if left is None:
                    return self.error(400, "invalid", "Invalid rewrite token")
                if left > 1:
                    rewrites[tok] = left - 1
                    return self.send(200, {"kind": "storage#rewriteResponse", "done": False,
                                           "rewriteToken": tok, "totalBytesRewritten": "0",
                                           "objectSize": str(len(o["data"]))})
                del rewrites[tok]
        m = {"contentType": o["contentType"], "cacheControl": o.get("cacheControl"),
             "metadata": o.get("metadata")}
        if meta:
            m.update(json.loads(meta))
        r = store(dbucket, dst, o["data"], m)
        self.send(200, {"kind": "storage#rewriteResponse", "done": True, "resource": r,
                        "totalBytesRewritten": r["size"], "objectSize": r["size"]})

    def refuse_name(self, name):
        """Answers 400 invalid, as GCS, for a name it refuses (and records
        it: our keys never are such names). True when it did."""
        why = bad_name(name)
        if why:
            violation("object name %r: %s" % (name, why))
            self.error(400, "invalid", "The specified object name is not valid.")
        return why is not None

    # ---- uploads ----
    def upload(self, bucket, q):
        if bucket not in buckets:
            self.body()
            return self.error(404, "notFound", "The specified bucket does not exist.")
        kind = q.get("uploadType")
        if self.command == "POST" and kind == "media":
            self.count("upload_media")
            if not q.get("name"):
                return self.error(400, "required", "Required parameter: name")
            data = self.body()
            if self.refuse_name(q["name"]):
                return
            return self.send(200, store(bucket, q["name"], data, {}))
        if self.command == "POST" and kind == "multipart":
            self.count("upload_multipart")
            return self.multipart(bucket, q)
        if self.command == "POST" and kind == "resumable":
            self.count("upload_resumable_start")
            body = self.body()
            meta = json.loads(body) if body else {}
            name = meta.get("name") or q.get("name")
            if not name:
                return self.error(400, "required", "Required parameter: name")
            if self.refuse_name(name):
                return
            uid = secrets.token_urlsafe(16)
            with lock:
                sessions[uid] = {"bucket": bucket, "name": name, "meta": meta,
                                 "data": bytearray()}
            loc = "http://%s:%d/upload/storage/v1/b/%s/o?uploadType=resumable&upload_id=%s" % (
                self.server.server_address[0], self.server.server_address[1],
                urllib.parse.quote(bucket, safe=""), uid)
            return self.send(200, {}, headers={"Location": loc})
        if kind == "resumable" and q.get("upload_id") and self.command in ("PUT", "DELETE"):
            return self.chunk(q["upload_id"])
        self.body()
        return self.error(400, "invalid", "Unsupported upload")

    def multipart(self, bucket, q):
        ctype = self.headers.get("Content-Type", "")
        body = self.body()
        if not ctype.startswith("multipart/related") or "boundary=" not in ctype:
            violation("multipart upload with Content-Type %r" % ctype)
            return self.error(400, "invalid", "Bad multipart Content-Type")
        boundary = ctype.split("boundary=", 1)[1].strip('"').encode()
        sep = b"--" + boundary
        pieces = body.split(sep)
        # "", part1, part2, "--\r\n"
        if len(pieces) != 4 or not pieces[3].startswith(b"--"):
            violation("multipart upload: %d pieces" % len(pieces))
            return self.error(400, "invalid", "Malformed multipart body")
        parts = []
        for p in pieces[1:3]:
            if not p.startswith(b"\r\n") or not p.endswith(b"\r\n") or b"\r\n\r\n" not in p:
                violation("multipart upload: malformed part")
                return self.error(400, "invalid", "Malformed multipart part")
            head, content = p[2:-2].split(b"\r\n\r\n", 1)
            parts.append((head.decode(), content))
        if "application/json" not in parts[0][0].lower():
            violation("multipart upload: first part is not JSON metadata")
            return self.error(400, "invalid", "Metadata part must be JSON")
        meta = json.loads(parts[0][1])
        name = meta.get("name") or q.get("name")
        if not name:
            return self.error(400, "required", "Required parameter: name")
        if self.refuse_name(name):
            return
        self.send(200, store(bucket, name, parts[1][1], meta))

    def chunk(self, uid):
        with lock:
            s = sessions.get(uid)
        if s is None:
            self.body()
            return self.error(404, "notFound", "No such upload session")
        if self.command == "DELETE":
            self.count("upload_cancel")
            with lock:
                sessions.pop(uid, None)
            return self.send(499, raw=b"")
        cr = self.headers.get("Content-Range", "")
        data = self.body()
        have = len(s["data"])
        rng_hdr = {"Range": "bytes=0-%d" % (have - 1)} if have else {}
        try:
            assert cr.startswith("bytes ")
            span, total = cr[6:].split("/", 1)
        except (AssertionError, ValueError):
            violation("upload %s: bad Content-Range %r" % (s["name"], cr))
            return self.error(400, "invalid", "Bad Content-Range")
        if span == "*":
            if data:
                violation("upload %s: bytes with Content-Range %r" % (s["name"], cr))
            if total == "*":
                self.count("upload_status")
                return self.send(308, raw=b"", headers=rng_hdr)
            a, b = have, have - 1
        else:
            a, b = (int(x) for x in span.split("-", 1))
            if b - a + 1 != len(data):
                violation("upload %s: Content-Range %r but %d bytes" % (s["name"], cr, len(data)))
                return self.error(400, "invalid", "Content-Range does not match the body")
            if a < have and bytes(s["data"][a:a + len(data)]) == data[:have - a]:
                # a resend of bytes the session has (as GCS: only the new ones count)
                data, a = data[have - a:], have
            elif a != have:
                violation("upload %s: chunk at %d, but %d bytes were received" % (
                    s["name"], a, have))
                return self.send(308, raw=b"", headers=rng_hdr)
        final = total != "*"
        if not final and len(data) % CHUNK:
            violation("upload %s: non-final chunk of %d bytes (not a multiple of 256 KiB)" % (
                s["name"], len(data)))
            return self.error(400, "invalid", "Chunk size must be a multiple of 256 KiB")
        self.count("upload_chunk")
        with lock:
            s["data"] += data
        if not final:
            return self.send(308, raw=b"", headers={"Range": "bytes=0-%d" % b})
        if int(total) != len(s["data"]):
            violation("upload %s: final size %s but %d bytes were received" % (
                s["name"], total, len(s["data"])))
            return self.error(400, "invalid", "Size mismatch")
        with lock:
            sessions.pop(uid, None)
        self.send(200, store(s["bucket"], s["name"], s["data"], s["meta"]))

    # ---- test control ----
    def control(self, path, q):
        if path == "/_fake/faults" and self.command == "POST":
            f = json.loads(self.body())
            with lock:
                if "rewrite_steps" in f:
                    state["rewrite_steps"] = int(f["rewrite_steps"])
                if "status" in f:
                    faults.append(f)
            return self.send(200, {})
        if path == "/_fake/stats":
            with lock:
                st = {"requests": dict(counts), "tokens_issued": state["tokens_issued"],
                      "open_uploads": sorted(s["name"] for s in sessions.values()),
                      "violations": state["violations"],
                      "objects": sum(len(b) for b in buckets.values())}
            return self.send(200, st)
        if path == "/_fake/object":
            with lock:
                o = buckets.get(q.get("bucket"), {}).get(q.get("name"))
            if o is None:
                return self.send(404, raw=b"")
            if q.get("meta"):
                return self.send(200, resource(q["bucket"], o))
            return self.send(200, raw=o["data"], ctype="application/octet-stream")
        if path == "/_fake/list":
            with lock:
                names = sorted(n for n in buckets.get(q.get("bucket"), {})
                               if n.startswith(q.get("prefix", "")))
            return self.send(200, raw="".join(n + "\n" for n in names).encode(),
                             ctype="text/plain")
        if path == "/_fake/bucket" and self.command == "POST":
            with lock:
                buckets.setdefault(q["name"], {})
            return self.send(200, {})
        self.body()
        return self.send(404, raw=b"")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def watch_parent():
    while True:
        time.sleep(0.5)
        try:
            os.kill(args.parent, 0)
        except OSError:
            os._exit(0)


def main():
    if args.parent:
        threading.Thread(target=watch_parent, daemon=True).start()
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A fake S3 endpoint whose listings misbehave, for the service's tests of
bounded listings (test_service_listing_loop.sh). Python stdlib only.

    fake_s3_lister.py --port-file F --control FILE --log FILE [--delay S]

The mode is read from the control file before every request:

  normal          root lists tenant "t/"; every other listing is empty
  badkey          as normal, plus a root name that cannot be a key ("a%00b/")
  same            every ListObjectsV2 page is truncated with the same token
  endless         every ListObjectsV2 page is truncated with a new token
  tenant-endless  root as normal; the listing of "t/" is endless

ListMultipartUploads lists nothing; PUTs succeed; anything else is 404.
Every request is appended to the log file as "METHOD prefix=P token=T".
Each ListObjectsV2 answer waits --delay seconds (a store's latency).
"""
import argparse, os, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--control", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--delay", type=float, default=0.0)
args = ap.parse_args()
log_lock = threading.Lock()


def mode():
    try:
        with open(args.control) as f:
            return f.read().strip() or "normal"
    except OSError:
        return "normal"


def listing(prefixes, token=None):
    body = "<ListBucketResult><EncodingType>url</EncodingType>"
    body += "<IsTruncated>%s</IsTruncated>" % ("true" if token else "false")
    body += "".join("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % p for p in prefixes)
    if token:
        body += "<NextContinuationToken>%s</NextContinuationToken>" % token
    return body + "</ListBucketResult>"


def endless(token):
    n = int(token[1:]) if token else 0
    return listing([], "p%d" % (n + 1))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body=b""):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", "Wed, 12 Oct 2022 17:50:00 GMT")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def note(self, q):
        with log_lock, open(args.log, "a") as f:
            f.write("%s prefix=%s token=%s\n" % (self.command, q.get("prefix", [""])[0],
                                                  q.get("continuation-token", [""])[0]))

    def body_in(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)

    def do_GET(self):
        q = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        self.note(q)
        if "uploads" in q:
            return self.reply(200, "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
                                   "</ListMultipartUploadsResult>")
        if "list-type" not in q:
            return self.reply(404, "<Error><Code>NoSuchKey</Code><Message>no</Message></Error>")
        m, prefix = mode(), q.get("prefix", [""])[0]
        token = q.get("continuation-token", [""])[0]
        time.sleep(args.delay)
        if m == "same":
            return self.reply(200, listing(["t/"], "same-token"))
        if m == "endless" or (m == "tenant-endless" and prefix == "t/"):
            return self.reply(200, endless(token))
        if prefix == "":
            return self.reply(200, listing(["t/"] + (["a%00b/"] if m == "badkey" else [])))
        return self.reply(200, listing([]))

    def do_HEAD(self):
        self.note({})
        self.reply(404)

    def do_PUT(self):
        self.body_in()
        self.note({})
        self.reply(200)

    def do_POST(self):
        self.body_in()
        self.note({})
        self.reply(404, "<Error><Code>NoSuchKey</Code><Message>no</Message></Error>")

    def do_DELETE(self):
        self.note({})
        self.reply(204)


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()

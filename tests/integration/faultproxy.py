#!/usr/bin/env python3
"""A small HTTP/1.1 proxy between the service and the S3 server (or etcd's
JSON gateway) that injects faults at random (seeded): 500 InternalError
answers, connections reset without an answer, and answers stalled for a
while. The fault rate is read from a control file before every request, so
a test can raise it to 1.0 (persistent faults) and lower it again.

    faultproxy.py --listen-port-file F --upstream HOST:PORT --seed N --control FILE
                  [--faults error500,reset,stall] [--max-faults N]

--faults picks the kinds injected (equal shares of the rate); besides the
three above, "lost" forwards the request and resets the connection instead
of returning the answer, so the client cannot know the request took effect.
--max-faults stops injecting after N faults (default: never).

Prints nothing; writes the port it listens on (127.0.0.1) to the port file.
Stats (requests, faults per kind) are appended to FILE.stats on exit.
"""
import argparse, asyncio, random, signal, socket

ap = argparse.ArgumentParser()
ap.add_argument("--listen-port-file", required=True)
ap.add_argument("--upstream", required=True)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--control", required=True)
ap.add_argument("--stall", type=float, default=1.5)
ap.add_argument("--faults", default="error500,reset,stall")
ap.add_argument("--max-faults", type=int, default=-1)
args = ap.parse_args()
rng = random.Random(args.seed)
up_host, up_port = args.upstream.rsplit(":", 1)
kinds = args.faults.split(",")
stats = {"requests": 0, "error500": 0, "reset": 0, "stall": 0, "lost": 0}
for k in kinds:
    if k not in stats or k == "requests":
        ap.error("unknown fault kind %r" % k)


def rate():
    try:
        with open(args.control) as f:
            return float(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0.0


async def read_message(reader, is_response=False, method=b""):
    """Reads one HTTP message; returns (head bytes, body bytes) or None at EOF."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            headers[k.strip().lower()] = v.strip()
    body = b""
    if is_response and (method == b"HEAD" or lines[0].split(b" ")[1] in (b"204", b"304")):
        return head, body
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            body += size_line
            if size == 0:
                # the trailer (etcd's gateway sends one), up to the empty line
                while True:
                    line = await reader.readuntil(b"\r\n")
                    body += line
                    if line == b"\r\n":
                        break
                break
            body += await reader.readexactly(size + 2)
    elif b"content-length" in headers:
        body = await reader.readexactly(int(headers[b"content-length"]))
    return head, body


def reset(cwriter):
    """Closes the client's connection with a RST: no answer, no clean EOF."""
    sock = cwriter.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    cwriter.close()


async def handle(creader, cwriter):
    try:
        while True:
            try:
                head, body = await read_message(creader)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            stats["requests"] += 1
            method = head.split(b" ", 1)[0]
            r, x = rate(), rng.random()
            kind = None
            injected = sum(stats[k] for k in stats if k != "requests")
            if x < r and (args.max_faults < 0 or injected < args.max_faults):
                kind = kinds[min(int(x / r * len(kinds)), len(kinds) - 1)]
                stats[kind] += 1
            if kind == "error500":
                msg = b"<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>injected</Message></Error>"
                cwriter.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\n"
                              b"Content-Length: %d\r\n\r\n%s" % (len(msg), msg))
                await cwriter.drain()
                continue
            if kind == "reset":
                reset(cwriter)
                return
            if kind == "stall":
                await asyncio.sleep(args.stall)
            ureader, uwriter = await asyncio.open_connection(up_host, int(up_port))
            uwriter.write(head + body)
            await uwriter.drain()
            rhead, rbody = await read_message(ureader, True, method)
            uwriter.close()
            if kind == "lost":
                reset(cwriter)
                return
            cwriter.write(rhead + rbody)
            await cwriter.drain()
    except (Exception, asyncio.CancelledError):
        cwriter.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(args.listen_port_file, "w") as f:
        f.write(str(port))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with server:
        await stop.wait()
    with open(args.control + ".stats", "a") as f:
        f.write(" ".join("%s=%d" % kv for kv in stats.items()) + "\n")


asyncio.run(main())

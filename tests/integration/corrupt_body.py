#!/usr/bin/env python3
"""Damages one trace body in place in a block written with `--encoding none`
(uncompressed pages, so the framing, index and bloom stay valid and only
the body is bad). Usage: corrupt_body.py BLOCK_DIR TRACE_HEX MODE, MODE:
  wiretype   the Trace's first tag gets wire type 7 ("illegal wire type")
  length     the Trace's length claims more bytes than the body holds
Prints "PAGE_OFFSET OBJECT_POSITION": the data offset of the page and the
object's position in the page, as the error message must name them."""
import struct
import sys


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        v |= (c & 0x7F) << shift
        i += 1
        if c < 0x80:
            return v, i
        shift += 7


def main():
    block, want, mode = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3]
    path = block.rstrip("/") + "/data"
    data = bytearray(open(path, "rb").read())
    page = 0
    while page < len(data):
        total, hlen = struct.unpack_from("<IH", data, page)
        assert hlen == 0, "page header length"
        pos = 0
        payload = page + 6
        while pos < total - 6:
            obj_total, id_len = struct.unpack_from("<II", data, payload + pos)
            oid = bytes(data[payload + pos + 8:payload + pos + 8 + id_len])
            body = payload + pos + 8 + id_len
            if oid == want:
                assert data[body + 8] == 0x0A, "TraceBytes.traces tag"
                n, trace = varint(data, body + 9)
                if mode == "wiretype":
                    assert data[trace] == 0x0A, "Trace.batches tag"
                    data[trace] = 0x0F
                elif mode == "length":
                    # Every byte of the length varint but the last gets all bits: far past the end.
                    for i in range(body + 9, trace - 1):
                        data[i] = 0xFF
                    data[trace - 1] = 0x7F
                    left = body + obj_total - 8 - id_len - trace
                    assert (1 << (7 * (trace - body - 9))) - 1 > left, "length still fits"
                else:
                    sys.exit("unknown mode " + mode)
                open(path, "wb").write(data)
                print(page, pos)
                return
            pos += obj_total
        page += total
    sys.exit("trace %s not in %s" % (sys.argv[2], path))


main()

#!/usr/bin/env python3
"""pngcheck.py FILE WIDTH HEIGHT: fails unless FILE is a WIDTHxHEIGHT PNG
that shows something: at least 16 distinct colours, and at least 2% of its
pixels different from the most common one (the background). Decodes with
the standard library only (zlib, PNG filters), so a blank or uniform
screenshot cannot pass on file size alone."""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        sys.exit(f"{path}: unsupported PNG (depth {depth}, colour type {ctype}, interlace {interlace})")
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, out = bytearray(stride), []
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.extend(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return w, h, out


def main():
    path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    w, h, px = pixels(path)
    if (w, h) != (want_w, want_h):
        sys.exit(f"{path}: {w}x{h}, want {want_w}x{want_h}")
    counts = {}
    for p in px:
        counts[p] = counts.get(p, 0) + 1
    background = max(counts.values())
    other = 1 - background / len(px)
    print(f"{path}: {w}x{h}, {len(counts)} colours, {other:.1%} not background")
    if len(counts) < 16 or other < 0.02:
        sys.exit(f"{path}: looks blank ({len(counts)} colours, {other:.1%} not background)")


main()

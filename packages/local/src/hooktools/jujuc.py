#!/usr/bin/env python3
# Fallback hook-tool client for machines without a C compiler: same wire format as jujuc.c.
import os, socket, struct, sys
sock, ctx = os.environ.get("JUJU_AGENT_SOCKET_ADDRESS"), os.environ.get("JUJU_CONTEXT_ID")
for name, value in (("JUJU_CONTEXT_ID", ctx), ("JUJU_AGENT_SOCKET_ADDRESS", sock)):
    if not value:
        sys.stderr.write("ERROR %s not set\n" % name); sys.exit(1)
args = sys.argv[1:]
want = any(a == "--file=-" or (a == "--file" and i + 1 < len(args) and args[i + 1] == "-") for i, a in enumerate(args))
data = sys.stdin.buffer.read() if want else b""
fields = [ctx.encode(), os.getcwd().encode(), data, os.path.basename(sys.argv[0]).encode()] + [os.fsencode(a) for a in args]
msg = struct.pack("<I", len(fields)) + b"".join(struct.pack("<I", len(f)) + f for f in fields)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sock)
except OSError as e:
    sys.stderr.write("ERROR cannot connect to %s: %s\n" % (sock, e)); sys.exit(1)
s.sendall(msg)
chunks = []
while True:
    c = s.recv(65536)
    if not c: break
    chunks.append(c)
r = b"".join(chunks)
code, olen = struct.unpack_from("<II", r, 0)
(elen,) = struct.unpack_from("<I", r, 8 + olen)
sys.stdout.buffer.write(r[8:8 + olen]); sys.stdout.flush()
sys.stderr.buffer.write(r[12 + olen:12 + olen + elen]); sys.stderr.flush()
sys.exit(code)

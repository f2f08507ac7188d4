/**
 * The hook-tool wire format shared with `jujuc.c` / `jujuc.py`, and the unix-socket server that
 * answers tool calls. Request: u32 field count, then u32-length-prefixed fields
 * `[contextId, cwd, stdin, tool, ...args]`. Reply: u32 exit code, u32 + stdout, u32 + stderr.
 */
import { createServer, type Server } from "node:net";

/** One hook-tool invocation as the controller sees it. */
export interface ToolRequest {
  readonly contextId: string;
  readonly cwd: string;
  readonly stdin: Buffer;
  readonly tool: string;
  readonly args: readonly string[];
  /**
   * Set by the runtime, not the wire: the path on this machine of a file the tool names
   * (`--file PATH`, `key#file=PATH`, made absolute against `cwd`); throws an ENOENT error when the
   * runtime cannot see it. A pod's charm container sees its files at other paths than the runtime
   * does. Absent: paths are the runtime's own.
   */
  readonly resolvePath?: (path: string) => string;
}

/** What the tool process prints and exits with. */
export interface ToolReply {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Parses one complete request, or returns `undefined` when `buf` does not hold all of it yet. */
export function decodeRequest(buf: Buffer): ToolRequest | undefined {
  if (buf.length < 4) return undefined;
  const n = buf.readUInt32LE(0);
  let off = 4;
  const fields: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    if (off + 4 > buf.length) return undefined;
    const len = buf.readUInt32LE(off);
    off += 4;
    if (off + len > buf.length) return undefined;
    fields.push(buf.subarray(off, off + len));
    off += len;
  }
  if (fields.length < 4) throw new Error("malformed hook-tool request");
  return {
    contextId: fields[0]!.toString(),
    cwd: fields[1]!.toString(),
    stdin: Buffer.from(fields[2]!),
    tool: fields[3]!.toString(),
    args: fields.slice(4).map((f) => f.toString()),
  };
}

/** Encodes a request (used by tests and by in-process callers). */
export function encodeRequest(r: ToolRequest): Buffer {
  const fields = [
    Buffer.from(r.contextId),
    Buffer.from(r.cwd),
    r.stdin,
    Buffer.from(r.tool),
    ...r.args.map((a) => Buffer.from(a)),
  ];
  const parts: Buffer[] = [u32(fields.length)];
  for (const f of fields) parts.push(u32(f.length), f);
  return Buffer.concat(parts);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** Encodes a reply. */
export function encodeReply(r: ToolReply): Buffer {
  const out = Buffer.from(r.stdout);
  const err = Buffer.from(r.stderr);
  return Buffer.concat([u32(r.code), u32(out.length), out, u32(err.length), err]);
}

/** Serves tool calls on `socketPath`; `handle` must not throw (errors become `ERROR` replies). */
export function serveHookTools(
  socketPath: string,
  handle: (req: ToolRequest) => ToolReply | Promise<ToolReply>,
): Promise<Server> {
  const server = createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on("data", async (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      let req: ToolRequest | undefined;
      try {
        req = decodeRequest(buf);
      } catch (e) {
        sock.end(encodeReply({ code: 1, stdout: "", stderr: `ERROR ${(e as Error).message}\n` }));
        return;
      }
      if (!req) return;
      let reply: ToolReply;
      try {
        reply = await handle(req);
      } catch (e) {
        reply = { code: 1, stdout: "", stderr: `ERROR ${(e as Error).message}\n` };
      }
      sock.end(encodeReply(reply));
    });
    sock.on("error", () => {});
  });
  return new Promise((res, rej) => {
    server.once("error", rej);
    server.listen(socketPath, () => res(server));
  });
}

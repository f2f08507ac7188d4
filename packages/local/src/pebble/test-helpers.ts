/**
 * Test helpers for the Pebble server tests: a server on a temporary socket and root, the real
 * `PebbleClient` pointed at it, a raw HTTP requester for envelope checks, and a unique container
 * directory whose host mount point is removed afterwards.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PebbleClient } from "@charmkit/ops/pebble";
import { PebbleServer, type PebbleServerOptions } from "./server.js";

/** A running server with its client. */
export interface Harness {
  server: PebbleServer;
  client: PebbleClient;
  base: string;
  rootDir: string;
  socketPath: string;
  /** A fresh container directory (under /srv) for this harness; its host mount point is cleaned up. */
  dir: string;
  raw: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<RawReply>;
  close: () => Promise<void>;
}

/** A raw HTTP reply. */
export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: () => Record<string, unknown>;
}

/** Starts a server on a temporary socket and root. */
export async function startHarness(opts: Partial<PebbleServerOptions> = {}): Promise<Harness> {
  const base = mkdtempSync(join(tmpdir(), "ck-pebble-"));
  const rootDir = join(base, "root");
  const socketPath = join(base, "pebble.socket");
  const lines: string[] = [];
  const server = new PebbleServer({ socketPath, rootDir, log: (l) => lines.push(l), ...opts });
  await server.start();
  const client = new PebbleClient({ socketPath });
  const dir = `/srv/ck-pebble-test-${randomBytes(4).toString("hex")}`;
  const raw = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    rawRequest(socketPath, method, path, body, headers);
  return {
    server,
    client,
    base,
    rootDir,
    socketPath,
    dir,
    raw,
    close: async () => {
      await server.stop();
      rmSync(base, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One HTTP request over the unix socket. */
export function rawRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const payload =
      body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const req = request({ socketPath, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const buf = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: buf,
          json: () => JSON.parse(buf.toString()) as Record<string, unknown>,
        });
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** Polls `fn` until it returns true or `ms` pass. */
export async function eventually(fn: () => Promise<boolean> | boolean, ms = 5000, step = 50): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, step));
  }
}

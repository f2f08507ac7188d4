/**
 * The controller daemon: opens the model under `$CHARMKIT_HOME` (named `$CHARMKIT_MODEL` when it
 * is new, default `local`) and serves a small JSON API on `<home>/controller.sock` for the
 * `charmkit` CLI. Run as `node --import tsx daemon.ts`. Also exports the API client the CLI uses.
 */
import { request } from "node:http";
import { createServer, type Server } from "node:http";
import { join, resolve } from "node:path";
import { loadBundle } from "./bundle.js";
import { Controller, ControllerError } from "./controller.js";

/** Path of the control socket of the model under `home`. */
export function controlSocket(home: string): string {
  return join(home, "controller.sock");
}

/** An error reported by the daemon (a bad request, unknown app/unit/endpoint, ...). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Calls the daemon; rejects with `ApiError` on an error answer, or a connection error. */
export function callDaemon<T = unknown>(
  home: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  return new Promise((res, rej) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath: controlSocket(home),
        method,
        path,
        headers: data ? { "content-type": "application/json", "content-length": data.length } : {},
      },
      (resp) => {
        const chunks: Buffer[] = [];
        resp.on("data", (c: Buffer) => chunks.push(c));
        resp.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = { error: text };
          }
          if ((resp.statusCode ?? 500) >= 400) {
            rej(new ApiError((parsed as { error?: string })?.error ?? text, resp.statusCode ?? 500));
          } else res(parsed as T);
        });
      },
    );
    req.on("error", rej);
    if (data) req.write(data);
    req.end();
  });
}

type Handler = (c: Controller, body: Record<string, unknown>, query: URLSearchParams) => unknown;

const ROUTES: Record<string, Handler> = {
  "GET /status": (c) => c.status(),
  "GET /idle": (c) => ({ idle: c.isIdle() }),
  "POST /deploy": async (c, b) => {
    const { bundle } = await loadBundle(resolve(String(b.bundle)));
    await c.deploy(bundle);
    return { ok: true };
  },
  "POST /relate": (c, b) => ({ id: c.relate(String(b.a), String(b.b)) }),
  "POST /remove-relation": (c, b) => {
    c.removeRelation(String(b.a), String(b.b));
    return { ok: true };
  },
  "POST /remove-application": async (c, b) => {
    await c.removeApplication(String(b.app));
    return { ok: true };
  },
  "GET /config": (c, _b, q) => c.getConfig(q.get("app") ?? ""),
  "GET /show-unit": (c, _b, q) => c.showUnit(q.get("unit") ?? ""),
  "POST /config": (c, b) => {
    c.setConfig(String(b.app), (b.values ?? {}) as Record<string, unknown>);
    return { ok: true };
  },
  "POST /scale": async (c, b) => {
    await c.scale(String(b.app), Number(b.n));
    return { ok: true };
  },
  "POST /run-action": (c, b) =>
    c.runAction(String(b.unit), String(b.action), (b.params ?? {}) as Record<string, unknown>),
  "POST /exec": (c, b) => c.exec(String(b.unit), Array.isArray(b.argv) ? b.argv.map(String) : []),
  "POST /resolve": (c, b) => {
    c.resolveUnit(String(b.unit));
    return { ok: true };
  },
  "POST /wait": async (c, b) => {
    await c.waitIdle({ timeoutMs: Number(b.timeoutMs ?? 300_000) });
    return { idle: true };
  },
};

/** Serves the API for `c` until `POST /down`; resolves with the server. */
export async function serveControl(c: Controller, onDown: () => void): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const key = `${req.method} ${url.pathname}`;
      const send = (code: number, v: unknown) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify(v));
      };
      if (key === "POST /down") {
        send(200, { ok: true });
        onDown();
        return;
      }
      const h = ROUTES[key];
      if (!h) return send(404, { error: `no such endpoint ${key}` });
      try {
        const body = chunks.length
          ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>)
          : {};
        send(200, await h(c, body, url.searchParams));
      } catch (e) {
        const known = e instanceof ControllerError || (e as Error).name === "BundleError";
        send(known ? 400 : 500, { error: (e as Error).message });
      }
    });
  });
  await new Promise<void>((r) => server.listen(controlSocket(c.home), r));
  return server;
}

async function main(): Promise<void> {
  const { rmSync } = await import("node:fs");
  const c = await Controller.open({
    ...(process.env.CHARMKIT_MODEL ? { modelName: process.env.CHARMKIT_MODEL } : {}),
    log: (l) => console.log(`${new Date().toISOString()} ${l}`),
    updateStatusIntervalMs: Number(process.env.CHARMKIT_UPDATE_STATUS_MS ?? 300_000),
  });
  rmSync(controlSocket(c.home), { force: true });
  const server = await serveControl(c, async () => {
    // Stop everything before the socket goes: `charmkit down` takes its disappearance as the
    // signal that the home can be removed.
    await c.close();
    server.close();
    rmSync(controlSocket(c.home), { force: true });
    process.exit(0);
  });
  const stop = async () => {
    await c.close();
    rmSync(controlSocket(c.home), { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  console.log(`controller ready at ${controlSocket(c.home)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  void main();
}

/**
 * Tests of `PebbleClient` and `Container` against a scripted server on a unix socket that speaks
 * Pebble's exact envelopes, multipart bodies and exec websockets.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { WebSocketServer } from "ws";
import { PebbleClient } from "./client.js";
import { Container } from "./container.js";
import { APIError, ChangeError, ConnectionError, ExecError, PathError, TimeoutError } from "./errors.js";
import { parseLayer } from "./layer.js";
import { boundaryOf, decodeMultipart, encodeMultipart } from "./multipart.js";

type Handler = (
  req: IncomingMessage,
  body: Buffer,
  url: URL,
) => { status: number; body: unknown; type?: string };

const sync = (result: unknown) => ({
  status: 200,
  body: { type: "sync", "status-code": 200, status: "OK", result },
});
const async = (change: string, result: unknown = null) => ({
  status: 202,
  body: { type: "async", "status-code": 202, status: "Accepted", change, result },
});
const error = (status: number, message: string, kind?: string) => ({
  status,
  body: {
    type: "error",
    "status-code": status,
    status: "Bad Request",
    result: { message, ...(kind ? { kind } : {}) },
  },
});
const change = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  kind: "x",
  summary: "s",
  status: "Done",
  ready: true,
  tasks: [{ id: "t1", kind: "x", summary: "s", status: "Done", log: [] }],
  ...extra,
});

let dir: string;
let socket: string;
let server: Server;
let wss: WebSocketServer;
let routes: Map<string, Handler>;
let requests: {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Buffer;
  headers: IncomingMessage["headers"];
}[];
let execScript: (name: string, ws: import("ws").WebSocket) => void;

function route(method: string, path: string, h: Handler): void {
  routes.set(`${method} ${path}`, h);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "pebble-client-"));
  socket = join(dir, "pebble.socket");
  wss = new WebSocketServer({ noServer: true });
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        body,
        headers: req.headers,
      });
      const h = routes.get(`${req.method} ${url.pathname}`);
      const out: ReturnType<Handler> = h ? h(req, body, url) : error(404, "not found", "not-found");
      if (Buffer.isBuffer(out.body)) {
        res.writeHead(out.status, { "Content-Type": out.type ?? "application/octet-stream" });
        res.end(out.body);
      } else {
        res.writeHead(out.status, { "Content-Type": out.type ?? "application/json" });
        res.end(typeof out.body === "string" ? out.body : JSON.stringify(out.body));
      }
    });
  });
  server.on("upgrade", (req, sock, head) => {
    const name = (req.url ?? "").split("/").pop() ?? "";
    wss.handleUpgrade(req, sock, head, (ws) => execScript(name, ws));
  });
  await new Promise<void>((r) => server.listen(socket, r));
});

after(() => {
  wss.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  routes = new Map();
  requests = [];
  execScript = () => {};
});

const client = () => new PebbleClient({ socketPath: socket, timeout: 2 });

describe("envelope and errors", () => {
  it("returns sync results and sends Host/Accept", async () => {
    route("GET", "/v1/system-info", () => sync({ version: "1.10.0", "boot-id": "b" }));
    assert.deepEqual(await client().getSystemInfo(), { version: "1.10.0", "boot-id": "b" });
    assert.equal(requests[0]?.headers.accept, "application/json");
  });

  it("turns error envelopes into APIError with code, status, message and kind", async () => {
    route("GET", "/v1/system-info", () => error(403, "access denied", "permission-denied"));
    await assert.rejects(client().getSystemInfo(), (e: unknown) => {
      assert.ok(e instanceof APIError);
      assert.equal(e.code, 403);
      assert.equal(e.status, "Bad Request");
      assert.equal(e.message, "access denied");
      assert.equal(e.kind, "permission-denied");
      return true;
    });
  });

  it("reports a non-JSON body as APIError describing the parse failure", async () => {
    route("GET", "/v1/system-info", () => ({ status: 500, body: "<html>oops", type: "text/html" }));
    await assert.rejects(
      client().getSystemInfo(),
      (e: unknown) => e instanceof APIError && /cannot decode/.test(e.message),
    );
  });

  it("maps a missing socket to ConnectionError and canConnect to false", async () => {
    const c = new PebbleClient({ socketPath: join(dir, "nope.socket") });
    await assert.rejects(
      c.getSystemInfo(),
      (e: unknown) => e instanceof ConnectionError && /ENOENT/.test(e.message),
    );
    assert.equal(await new Container("x", c).canConnect(), false);
    route("GET", "/v1/system-info", () => sync({ version: "1" }));
    assert.equal(await new Container("x", client()).canConnect(), true);
  });

  it("times out a request that never answers", async () => {
    const hang = createServer(() => {});
    const hangSock = join(dir, "hang.socket");
    await new Promise<void>((r) => hang.listen(hangSock, r));
    try {
      await assert.rejects(
        new PebbleClient({ socketPath: hangSock, timeout: 0.2 }).getSystemInfo(),
        (e: unknown) => e instanceof TimeoutError,
      );
    } finally {
      hang.closeAllConnections();
      hang.close();
    }
  });
});

describe("plan and layers", () => {
  it("gets the plan as YAML and parses it", async () => {
    route("GET", "/v1/plan", (_r, _b, url) => {
      assert.equal(url.searchParams.get("format"), "yaml");
      return sync("services:\n  web:\n    override: replace\n    command: /bin/web\n    startup: enabled\n");
    });
    const plan = await client().getPlan();
    assert.equal(plan.services?.web?.command, "/bin/web");
  });

  it("adds a layer as YAML text with label and combine", async () => {
    route("POST", "/v1/layers", () => sync(true));
    await new Container("c", client()).addLayer(
      "web",
      { services: { web: { override: "replace", command: "/bin/web" } } },
      { combine: true },
    );
    const sent = JSON.parse(requests[0]!.body.toString()) as Record<string, unknown>;
    assert.equal(sent.action, "add");
    assert.equal(sent.label, "web");
    assert.equal(sent.combine, true);
    assert.equal(sent.format, "yaml");
    assert.equal(parseLayer(sent.layer as string).services?.web?.command, "/bin/web");
  });

  // canonical/pebble internals/plan/plan.go: Plan.Sections keeps extension sections (`workloads`)
  // and Service has fields newer than this client (`workload`); a plan from a newer Pebble
  // must still parse, keeping what it does not know.
  it("tolerates plan fields and sections it does not know, and keeps them", async () => {
    route("GET", "/v1/plan", () =>
      sync(
        [
          "services:",
          "  web:",
          "    override: replace",
          "    command: /bin/web",
          "    workload: web-workload",
          "    on-failure: some-future-action",
          "    future-field: {nested: [1, 2]}",
          "checks:",
          "  up:",
          "    override: replace",
          "    level: ready",
          "    http: {url: 'http://localhost/', future: true}",
          "workloads:",
          "  web-workload:",
          "    override: replace",
          "    user: web",
          "some-new-section: {x: 1}",
          "",
        ].join("\n"),
      ),
    );
    const plan = (await client().getPlan()) as Record<string, unknown> &
      Awaited<ReturnType<PebbleClient["getPlan"]>>;
    assert.equal(plan.services?.web?.command, "/bin/web");
    const web = plan.services?.web as Record<string, unknown> | undefined;
    assert.equal(web?.workload, "web-workload");
    assert.equal(plan.services?.web?.["on-failure"], "some-future-action");
    assert.deepEqual(web?.["future-field"], { nested: [1, 2] });
    assert.equal(plan.checks?.up?.http?.url, "http://localhost/");
    assert.deepEqual(plan.workloads, { "web-workload": { override: "replace", user: "web" } });
    assert.deepEqual(plan["some-new-section"], { x: 1 });
  });

  // canonical/pebble internals/plan/plan.go Layer.Validate refuses labels starting with
  // "pebble-" (reserved for Pebble's own layers); internals/daemon/api_plan.go refuses an empty one.
  it("refuses a pebble- label or an empty one before sending anything", async () => {
    route("POST", "/v1/layers", () => sync(true));
    await assert.rejects(client().addLayer("pebble-base", "{}"), (e: unknown) => {
      return (
        e instanceof APIError && e.code === 400 && e.message === 'cannot use reserved label prefix "pebble-"'
      );
    });
    await assert.rejects(client().addLayer("", "{}"), /label must be set/);
    assert.equal(requests.length, 0);
    await client().addLayer("my-pebble-layer", "{}");
    assert.equal(requests.length, 1);
  });

  it("passes layer errors through as APIError", async () => {
    route("POST", "/v1/layers", () => error(400, 'layer "web" already exists'));
    await assert.rejects(client().addLayer("web", "{}"), /already exists/);
  });
});

describe("services and changes", () => {
  it("lists services with a names filter", async () => {
    route("GET", "/v1/services", (_r, _b, url) =>
      sync([{ name: url.searchParams.get("names") ?? "all", startup: "enabled", current: "active" }]),
    );
    const map = await new Container("c", client()).getServices("a", "b");
    assert.deepEqual([...map.keys()], ["a,b"]);
  });

  it("starts services and waits through a 504 then a ready change", async () => {
    route("POST", "/v1/services", (_r, body) => {
      assert.deepEqual(JSON.parse(body.toString()), { action: "start", services: ["web"] });
      return async("7");
    });
    let waits = 0;
    route("GET", "/v1/changes/7/wait", (_r, _b, url) => {
      assert.match(url.searchParams.get("timeout") ?? "", /^\d+\.\d{3}s$/);
      waits++;
      return waits === 1 ? error(504, "timed out waiting for change") : sync(change("7"));
    });
    await client().startServices(["web"]);
    assert.equal(waits, 2);
  });

  it("falls back to polling when /wait is 404", async () => {
    route("POST", "/v1/services", () => async("8"));
    let polls = 0;
    route("GET", "/v1/changes/8", () => {
      polls++;
      return sync(change("8", polls < 3 ? { ready: false, status: "Doing" } : {}));
    });
    await client().stopServices(["web"], { delay: 0.01 });
    assert.equal(polls, 3);
  });

  it("raises ChangeError with task logs when the change failed", async () => {
    route("POST", "/v1/services", () => async("9"));
    route("GET", "/v1/changes/9/wait", () =>
      sync(
        change("9", {
          status: "Error",
          err: 'cannot perform the following tasks:\n- Start service "web"',
          tasks: [
            {
              id: "1",
              kind: "start",
              summary: "",
              status: "Error",
              log: ["2024 ERROR exited quickly with code 1"],
            },
          ],
        }),
      ),
    );
    await assert.rejects(client().replan(), (e: unknown) => {
      assert.ok(e instanceof ChangeError);
      assert.match(e.message, /exited quickly with code 1/);
      assert.match(e.err, /Start service/);
      return true;
    });
    assert.deepEqual(JSON.parse(requests[0]!.body.toString()), { action: "replan", services: [] });
  });

  it("gives up at the overall deadline with TimeoutError", async () => {
    route("POST", "/v1/services", () => async("10"));
    route("GET", "/v1/changes/10/wait", () => error(504, "timeout"));
    await assert.rejects(client().restartServices(["web"], { timeout: 0.05 }), TimeoutError);
  });

  // canonical/pebble internals/daemon/api_changes.go v1GetChangeWait: timeout 0 (or none) waits
  // until the change is ready, however long. A nearly spent deadline must time out on our side.
  it("never sends timeout=0 to /wait, even with a deadline under a millisecond", async () => {
    route("POST", "/v1/services", () => async("12"));
    route("GET", "/v1/changes/12/wait", () => error(504, "timeout"));
    for (const timeout of [0.0004, 0.002, 0]) {
      requests = [];
      await assert.rejects(client().restartServices(["web"], { timeout }), TimeoutError);
      for (const r of requests.filter((x) => x.path.endsWith("/wait"))) {
        const t = r.query.get("timeout") ?? "";
        assert.match(t, /^\d+\.\d{3}s$/);
        assert.ok(Number.parseFloat(t) > 0, `timeout ${t} must be positive`);
      }
    }
  });

  // canonical/pebble internals/daemon/api_changes.go changeInfo: `tasks` is omitempty.
  it("a change without tasks is fine, done or failed", async () => {
    route("POST", "/v1/services", () => async("13"));
    const { tasks: _omit, ...noTasks } = change("13");
    route("GET", "/v1/changes/13/wait", () => sync(noTasks));
    await client().startServices(["web"]);
    route("GET", "/v1/changes/13/wait", () => sync({ ...noTasks, status: "Error", err: "cannot start" }));
    await assert.rejects(
      client().startServices(["web"]),
      (e: unknown) => e instanceof ChangeError && /cannot start/.test(e.message),
    );
  });

  it("validates service lists before calling", async () => {
    await assert.rejects(client().startServices([]), TypeError);
    assert.equal(requests.length, 0);
  });

  it("autostart reports no-default-services as APIError kind", async () => {
    route("POST", "/v1/services", () => error(400, "no default services", "no-default-services"));
    await assert.rejects(
      client().autostart(),
      (e: unknown) => e instanceof APIError && e.kind === "no-default-services",
    );
  });

  it("Container.restart falls back to stop+start on old Pebble", async () => {
    const actions: string[] = [];
    route("POST", "/v1/services", (_r, body) => {
      const { action, services } = JSON.parse(body.toString()) as { action: string; services: string[] };
      actions.push(`${action}:${services.join(",")}`);
      return action === "restart" ? error(400, 'invalid action "restart"') : async("11");
    });
    route("GET", "/v1/changes/11/wait", () => sync(change("11")));
    route("GET", "/v1/services", () =>
      sync([
        { name: "a", startup: "enabled", current: "active" },
        { name: "b", startup: "enabled", current: "inactive" },
      ]),
    );
    await new Container("c", client()).restart("a", "b");
    assert.deepEqual(actions, ["restart:a,b", "stop:a", "start:a,b"]);
  });

  it("sends signals", async () => {
    route("POST", "/v1/signals", () => sync(true));
    await new Container("c", client()).sendSignal("SIGHUP", "web");
    assert.deepEqual(JSON.parse(requests[0]!.body.toString()), { signal: "SIGHUP", services: ["web"] });
  });
});

describe("files", () => {
  it("pushes multipart with a 32+ char boundary, JSON request part and the full path as filename", async () => {
    let seen: ReturnType<typeof decodeMultipart> = [];
    route("POST", "/v1/files", (req, body) => {
      const b = boundaryOf(req.headers["content-type"]);
      assert.ok(b && b.length >= 32);
      seen = decodeMultipart(body, b);
      return sync([{ path: '/etc/a b/"q".conf' }]);
    });
    await new Container("c", client()).push('/etc/a b/"q".conf', Buffer.from([0, 1, 2, 255]), {
      makeDirs: true,
      permissions: 0o600,
      user: "app",
      groupId: 7,
    });
    assert.equal(seen.length, 2);
    assert.equal(seen[0]?.name, "request");
    assert.equal(seen[0]?.contentType, "application/json");
    assert.deepEqual(JSON.parse(seen[0]!.body.toString()), {
      action: "write",
      files: [
        { path: '/etc/a b/"q".conf', "make-dirs": true, permissions: "600", user: "app", "group-id": 7 },
      ],
    });
    assert.equal(seen[1]?.name, "files");
    assert.equal(seen[1]?.filename, '/etc/a b/"q".conf');
    assert.deepEqual([...seen[1]!.body], [0, 1, 2, 255]);
  });

  it("raises PathError for per-path errors inside a 200 response", async () => {
    route("POST", "/v1/files", () =>
      sync([{ path: "/x", error: { kind: "permission-denied", message: "open /x: permission denied" } }]),
    );
    await assert.rejects(client().push("/x", "data"), (e: unknown) => {
      assert.ok(e instanceof PathError);
      assert.equal(e.kind, "permission-denied");
      assert.equal(e.path, "/x");
      return true;
    });
    await assert.rejects(client().makeDir("/x"), PathError);
    await assert.rejects(client().removePath("/x"), PathError);
  });

  it("pulls a file from a multipart response", async () => {
    route("GET", "/v1/files", (req, _b, url) => {
      assert.equal(req.headers.accept, "multipart/form-data");
      const path = url.searchParams.get("path") ?? "";
      const boundary = "0123456789abcdef0123456789abcdef";
      return {
        status: 200,
        type: `multipart/form-data; boundary=${boundary}`,
        body: encodeMultipart(boundary, [
          {
            name: "files",
            filename: path,
            contentType: "application/octet-stream",
            body: "hello\r\n--not-a-boundary",
          },
          { name: "response", contentType: "application/json", body: JSON.stringify(sync([{ path }]).body) },
        ]),
      };
    });
    assert.equal(await new Container("c", client()).pull("/etc/hello"), "hello\r\n--not-a-boundary");
  });

  it("pull checks the per-path error, the file count and the file name", async () => {
    const boundary = "0123456789abcdef0123456789abcdef";
    let parts: Parameters<typeof encodeMultipart>[1] = [];
    route("GET", "/v1/files", () => ({
      status: 200,
      type: `multipart/form-data; boundary=${boundary}`,
      body: encodeMultipart(boundary, parts),
    }));
    const resp = (result: unknown) => ({
      name: "response",
      contentType: "application/json",
      body: JSON.stringify(sync(result).body),
    });
    parts = [resp([{ path: "/a", error: { kind: "not-found", message: "stat /a: no such file" } }])];
    await assert.rejects(
      client().pull("/a"),
      (e: unknown) => e instanceof PathError && e.kind === "not-found",
    );
    parts = [resp([{ path: "/a" }])];
    await assert.rejects(client().pull("/a"), /exactly one file, got 0/);
    parts = [
      { name: "files", filename: "/b", contentType: "application/octet-stream", body: "x" },
      resp([{ path: "/a" }]),
    ];
    await assert.rejects(client().pull("/a"), /path not expected/);
  });

  it("pull surfaces a JSON error envelope", async () => {
    route("GET", "/v1/files", () => error(400, "must be absolute", "generic-file-error"));
    await assert.rejects(client().pull("rel"), (e: unknown) => e instanceof APIError && e.code === 400);
  });

  it("lists files, and exists/isDir map not-found to false", async () => {
    route("GET", "/v1/files", (_r, _b, url) => {
      if (url.searchParams.get("path") === "/missing")
        return error(404, "stat /missing: no such file", "not-found");
      assert.equal(url.searchParams.get("action"), "list");
      return sync([
        {
          path: "/d",
          name: "d",
          type: "directory",
          permissions: "755",
          "last-modified": "2024-01-01T00:00:00Z",
        },
      ]);
    });
    const c = new Container("c", client());
    assert.equal((await c.listFiles("/d", { pattern: "*.conf" }))[0]?.type, "directory");
    assert.equal(requests[0]?.query.get("pattern"), "*.conf");
    assert.equal(await c.exists("/d"), true);
    assert.equal(requests[1]?.query.get("itself"), "true");
    assert.equal(await c.isDir("/d"), true);
    assert.equal(await c.exists("/missing"), false);
    assert.equal(await c.isDir("/missing"), false);
  });

  it("makes dirs and removes paths with Pebble's JSON bodies", async () => {
    route("POST", "/v1/files", () => sync([{ path: "/d" }]));
    const c = new Container("c", client());
    await c.makeDir("/d", { makeParents: true });
    await c.remove("/d", { recursive: true });
    assert.deepEqual(JSON.parse(requests[0]!.body.toString()), {
      action: "make-dirs",
      dirs: [{ path: "/d", "make-parents": true, permissions: "755" }],
    });
    assert.deepEqual(JSON.parse(requests[1]!.body.toString()), {
      action: "remove",
      paths: [{ path: "/d", recursive: true }],
    });
  });
});

describe("exec", () => {
  function scriptExec(exitCode: number, opts: { err?: string } = {}): { stdin: Buffer[] } {
    const seen = { stdin: [] as Buffer[] };
    route("POST", "/v1/exec", () => async("20", { "task-id": "T20", environment: {}, "working-dir": "/" }));
    let stdinDone: () => void;
    const stdinEnded = new Promise<void>((r) => {
      stdinDone = r;
    });
    execScript = (name, ws) => {
      if (name === "stdio") {
        ws.on("message", (data, isBinary) => {
          if (isBinary) seen.stdin.push(Buffer.from(data as Buffer));
          else if ((JSON.parse(String(data)) as { command: string }).command === "end") {
            stdinDone();
            ws.send(Buffer.from(`out:${Buffer.concat(seen.stdin).toString()}`), { binary: true });
            ws.send(JSON.stringify({ command: "end" }));
          }
        });
      }
      if (name === "stderr") {
        void stdinEnded.then(() => {
          ws.send(Buffer.from("warn"), { binary: true });
          ws.send(JSON.stringify({ command: "end" }));
        });
      }
    };
    route("GET", "/v1/changes/20/wait", () =>
      sync(
        change("20", {
          ...(opts.err ? { err: opts.err, status: "Error" } : {}),
          tasks: [{ id: "T20", kind: "exec", summary: "", status: "Done", data: { "exit-code": exitCode } }],
        }),
      ),
    );
    return seen;
  }

  it("runs a command over websockets with stdin and returns stdout/stderr/exit code", async () => {
    const seen = scriptExec(0);
    const res = await new Container("c", client()).exec(["cat"], {
      stdin: "hi",
      environment: { A: "1" },
      timeout: 5,
    });
    assert.deepEqual(res, { stdout: "out:hi", stderr: "warn", exitCode: 0 });
    assert.equal(Buffer.concat(seen.stdin).toString(), "hi");
    const body = JSON.parse(requests[0]!.body.toString()) as Record<string, unknown>;
    assert.deepEqual(body.command, ["cat"]);
    assert.deepEqual(body.environment, { A: "1" });
    assert.equal(body.timeout, "5.000s");
    assert.equal(body["split-stderr"], true);
  });

  it("raises ExecError with output on a non-zero exit", async () => {
    scriptExec(3);
    await assert.rejects(client().exec(["false"]), (e: unknown) => {
      assert.ok(e instanceof ExecError);
      assert.equal(e.exitCode, 3);
      assert.deepEqual(e.command, ["false"]);
      assert.equal(e.stdout, "out:");
      assert.equal(e.stderr, "warn");
      return true;
    });
  });

  it("raises ChangeError when the exec change failed (e.g. timeout)", async () => {
    scriptExec(-1, { err: "timed out after 1s" });
    await assert.rejects(client().exec(["sleep", "9"]), ChangeError);
  });

  it("reports a missing executable as APIError", async () => {
    route("POST", "/v1/exec", () => error(400, 'cannot find executable "nope"'));
    await assert.rejects(client().exec(["nope"]), /cannot find executable/);
  });
});

describe("checks and notices", () => {
  it("lists, starts and stops checks", async () => {
    route("GET", "/v1/checks", (_r, _b, url) =>
      sync([
        {
          name: url.searchParams.get("names") ?? "",
          level: url.searchParams.get("level"),
          status: "up",
          threshold: 3,
        },
      ]),
    );
    route("POST", "/v1/checks", (_r, body) => {
      const { checks } = JSON.parse(body.toString()) as { checks: string[] };
      return sync({ changed: [...checks].sort() });
    });
    const c = new Container("c", client());
    assert.equal((await c.getChecks("up"))?.get("up")?.status, "up");
    assert.equal((await client().getChecks({ level: "ready" }))[0]?.level, "ready");
    assert.deepEqual(await c.startChecks("b", "a"), ["a", "b"]);
    assert.deepEqual(await c.stopChecks("a"), ["a"]);
    assert.deepEqual(JSON.parse(requests.at(-1)!.body.toString()), { action: "stop", checks: ["a"] });
  });

  it("treats a null changed list (old Pebble) as empty", async () => {
    route("POST", "/v1/checks", () => sync({ changed: null }));
    assert.deepEqual(await client().startChecks(["a"]), []);
  });

  it("lists, gets and adds notices", async () => {
    const n = {
      id: "1",
      type: "custom",
      key: "example.com/a",
      "first-occurred": "t",
      "last-occurred": "t",
      "last-repeated": "t",
      occurrences: 1,
    };
    route("GET", "/v1/notices", () => sync([n]));
    route("GET", "/v1/notices/1", () => sync(n));
    route("POST", "/v1/notices", () => sync({ id: "2" }));
    const c = new Container("c", client());
    assert.deepEqual(await c.getNotices({ types: ["custom"], keys: ["example.com/a"], after: new Date(0) }), [
      n,
    ]);
    assert.equal(requests[0]?.query.get("types"), "custom");
    assert.equal(requests[0]?.query.get("after"), "1970-01-01T00:00:00.000Z");
    assert.deepEqual(await c.getNotice("1"), n);
    assert.equal(await c.notify("example.com/b", { data: { k: "v" }, repeatAfter: 3600 }), "2");
    assert.deepEqual(JSON.parse(requests[2]!.body.toString()), {
      action: "add",
      type: "custom",
      key: "example.com/b",
      data: { k: "v" },
      "repeat-after": "3600.000s",
    });
    route("GET", "/v1/notices/9", () => error(404, "cannot find notice", "not-found"));
    await assert.rejects(c.getNotice("9"), (e: unknown) => e instanceof APIError && e.kind === "not-found");
  });
});

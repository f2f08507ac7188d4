/**
 * `PebbleClient`: the `Pebble` interface over Pebble's HTTP API on a unix socket (its `/v1/*` endpoints), with
 * node:http for requests, `ws` for exec's websockets, change waiting, multipart file transfer and
 * typed errors. One instance per container socket; it holds no connection between calls.
 */
import { type IncomingHttpHeaders, request as httpRequest } from "node:http";
import { connect } from "node:net";
import type WebSocket from "ws";
import { APIError, ChangeError, ConnectionError, ExecError, PathError, TimeoutError } from "./errors.js";
import { type Layer, layerToYaml, type Plan, parsePlan } from "./layer.js";
import {
  boundaryOf,
  decodeMultipart,
  encodeMultipart,
  multipartContentType,
  newBoundary,
} from "./multipart.js";
import {
  type Change,
  type CheckInfo,
  type ExecOptions,
  type ExecResult,
  type FileInfo,
  goDuration,
  type MakeDirOptions,
  type Notice,
  type NoticeFilter,
  type Pebble,
  type PushOptions,
  permissionsString,
  type ServiceInfo,
  type SystemInfo,
  type WaitOptions,
} from "./types.js";

/** Options of {@link PebbleClient}. */
export interface PebbleClientOptions {
  /** Path of the Pebble unix socket, e.g. `/charm/containers/web/pebble.socket`. */
  readonly socketPath: string;
  /** Per-request timeout in seconds (default 5, as in ops). */
  readonly timeout?: number;
}

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

interface Envelope {
  type?: string;
  "status-code"?: number;
  status?: string;
  change?: string;
  result?: unknown;
}

const CONNECTION_CODES = new Set(["ENOENT", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOTSOCK", "EACCES"]);
const DEFAULT_WAIT = 30;

/**
 * The HTTP client for one container's Pebble.
 *
 * @example
 * const pebble = new PebbleClient({ socketPath: "/charm/containers/web/pebble.socket" });
 * await pebble.addLayer("web", { services: { web: { override: "replace", command: "/bin/web" } } }, { combine: true });
 * await pebble.replan();
 */
export class PebbleClient implements Pebble {
  readonly socketPath: string;
  readonly timeout: number;

  constructor(options: PebbleClientOptions) {
    this.socketPath = options.socketPath;
    this.timeout = options.timeout ?? 5;
  }

  /** Sends one request and collects the whole response body. */
  private raw(
    method: string,
    path: string,
    query?: Readonly<Record<string, string | readonly string[] | undefined>>,
    body?: Buffer,
    headers: Record<string, string> = {},
    timeout = this.timeout,
  ): Promise<RawResponse> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (typeof v === "string") qs.set(k, v);
      else for (const x of v ?? []) qs.append(k, x);
    }
    const url = qs.size ? `${path}?${qs.toString()}` : path;
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          // A connection of its own instead of http's agent: the agent's bookkeeping (and its
          // IP-address test of the host name, which compiles Node's IPv4/IPv6 patterns) costs a
          // hook several milliseconds for a socket that is used once.
          createConnection: () => connect(this.socketPath),
          path: url,
          method,
          headers: {
            Host: "localhost",
            ...headers,
            ...(body ? { "Content-Length": String(body.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on("error", (e) => reject(toConnectionError(e, this.socketPath)));
        },
      );
      req.setTimeout(timeout * 1000, () => {
        req.destroy(new TimeoutError(`timed out after ${timeout}s: ${method} ${url}`));
      });
      req.on("error", (e) => reject(e instanceof TimeoutError ? e : toConnectionError(e, this.socketPath)));
      req.end(body);
    });
  }

  /** Sends a JSON request and returns the envelope, throwing `APIError` for error envelopes. */
  private async call(
    method: string,
    path: string,
    query?: Readonly<Record<string, string | undefined>>,
    body?: unknown,
    timeout?: number,
  ): Promise<Envelope> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Accept: "application/json" };
    if (data) headers["Content-Type"] = "application/json";
    const res = await this.raw(method, path, query, data, headers, timeout);
    return parseEnvelope(res);
  }

  async getSystemInfo(): Promise<SystemInfo> {
    return (await this.call("GET", "/v1/system-info")).result as SystemInfo;
  }

  async getPlan(): Promise<Plan> {
    const env = await this.call("GET", "/v1/plan", { format: "yaml" });
    return parsePlan(typeof env.result === "string" ? env.result : "");
  }

  async addLayer(label: string, layer: Layer | string, opts: { combine?: boolean } = {}): Promise<void> {
    checkLayerLabel(label);
    const text = typeof layer === "string" ? layer : layerToYaml(layer);
    await this.call("POST", "/v1/layers", undefined, {
      action: "add",
      combine: opts.combine ?? false,
      label,
      format: "yaml",
      layer: text,
    });
  }

  async getServices(names?: readonly string[]): Promise<ServiceInfo[]> {
    const env = await this.call("GET", "/v1/services", {
      names: names?.length ? names.join(",") : undefined,
    });
    return (env.result as ServiceInfo[] | null) ?? [];
  }

  startServices(names: readonly string[], opts?: WaitOptions): Promise<void> {
    return this.servicesAction("start", names, opts);
  }

  stopServices(names: readonly string[], opts?: WaitOptions): Promise<void> {
    return this.servicesAction("stop", names, opts);
  }

  restartServices(names: readonly string[], opts?: WaitOptions): Promise<void> {
    return this.servicesAction("restart", names, opts);
  }

  replan(opts?: WaitOptions): Promise<void> {
    return this.servicesAction("replan", [], opts);
  }

  autostart(opts?: WaitOptions): Promise<void> {
    return this.servicesAction("autostart", [], opts);
  }

  private async servicesAction(
    action: string,
    services: readonly string[],
    opts?: WaitOptions,
  ): Promise<void> {
    if ((action === "replan" || action === "autostart") !== (services.length === 0)) {
      throw new TypeError(`${action} needs ${services.length ? "no" : "a non-empty list of"} services`);
    }
    const env = await this.call("POST", "/v1/services", undefined, { action, services: [...services] });
    if (!env.change) throw new APIError(200, "OK", `${action} returned no change id`, undefined, env);
    const change = await this.waitChange(env.change, opts);
    throwIfFailed(change);
  }

  async waitChange(id: string, opts: WaitOptions = {}): Promise<Change> {
    const deadline = Date.now() + (opts.timeout ?? DEFAULT_WAIT) * 1000;
    for (;;) {
      const remaining = (deadline - Date.now()) / 1000;
      // Pebble reads `timeout=0` (or no timeout) as "wait until ready" (internals/daemon/
      // api_changes.go v1GetChangeWait), so a wait under a millisecond is never sent: it times out.
      if (remaining < 0.001)
        throw new TimeoutError(`timed out waiting for change ${id} (${opts.timeout ?? DEFAULT_WAIT}s)`);
      // Ask the server to wait a little less than our own request timeout so it answers first.
      const wait = Math.min(remaining, Math.max(this.timeout - 1, 0.5));
      try {
        const env = await this.call(
          "GET",
          `/v1/changes/${encodeURIComponent(id)}/wait`,
          { timeout: goDuration(wait) },
          undefined,
          wait + this.timeout,
        );
        const change = env.result as Change;
        if (change.ready) return change;
      } catch (e) {
        if (e instanceof APIError && e.code === 504) continue;
        if (e instanceof APIError && e.code === 404) return this.pollChange(id, deadline, opts.delay ?? 0.1);
        throw e;
      }
    }
  }

  private async pollChange(id: string, deadline: number, delay: number): Promise<Change> {
    for (;;) {
      const change = (await this.call("GET", `/v1/changes/${encodeURIComponent(id)}`)).result as Change;
      if (change.ready) return change;
      if (Date.now() + delay * 1000 > deadline) throw new TimeoutError(`timed out waiting for change ${id}`);
      await new Promise((r) => setTimeout(r, delay * 1000));
    }
  }

  async push(path: string, data: string | Uint8Array, opts: PushOptions = {}): Promise<void> {
    const boundary = newBoundary();
    const meta = {
      action: "write",
      files: [
        {
          path,
          "make-dirs": opts.makeDirs ?? false,
          permissions: permissionsString(opts.permissions, "644"),
          ...ownerFields(opts),
        },
      ],
    };
    const body = encodeMultipart(boundary, [
      { name: "request", contentType: "application/json", body: JSON.stringify(meta) },
      { name: "files", filename: path, contentType: "application/octet-stream", body: data },
    ]);
    const res = await this.raw("POST", "/v1/files", undefined, body, {
      Accept: "application/json",
      "Content-Type": multipartContentType(boundary),
    });
    throwPathErrors(parseEnvelope(res).result);
  }

  async pull(path: string): Promise<Buffer> {
    const { status, result, files } = await this.readFiles([path]);
    throwPathErrors(result);
    if (files.length !== 1) throw new APIError(status, "", `expected exactly one file, got ${files.length}`);
    const file = files[0]!;
    if (file.filename !== path) {
      throw new APIError(status, "", `path not expected: got "${file.filename}", asked for "${path}"`);
    }
    return file.body;
  }

  /**
   * Reads several regular files, a request per {@link PULL_BATCH} paths instead of one per file
   * (Pebble's files API reads every `path` parameter of one request: canonical/pebble
   * internals/daemon/api_files.go v1GetFiles). Each path maps to its
   * content, or to the `PathError` Pebble reported for it; a failure of the request itself throws.
   */
  async pullMany(paths: readonly string[]): Promise<Map<string, Buffer | PathError>> {
    const out = new Map<string, Buffer | PathError>();
    for (let i = 0; i < paths.length; i += PULL_BATCH) {
      const batch = paths.slice(i, i + PULL_BATCH);
      const { status, result, files } = await this.readFiles(batch);
      const bodies = new Map<string, Buffer>();
      for (const f of files) if (f.filename !== undefined) bodies.set(f.filename, f.body);
      const entries = Array.isArray(result) ? (result as PathResult[]) : [];
      for (const p of batch) {
        const entry = entries.find((e) => e?.path === p);
        const body = bodies.get(p);
        if (entry?.error) {
          out.set(
            p,
            new PathError(entry.error.kind ?? "generic-file-error", entry.error.message ?? "file error", p),
          );
        } else if (body !== undefined) {
          out.set(p, body);
        } else {
          throw new APIError(status, "", `no file and no error for "${p}" in the response`);
        }
      }
    }
    return out;
  }

  /** One `GET /v1/files?action=read`: the envelope's per-path results and the file parts. */
  private async readFiles(
    paths: readonly string[],
  ): Promise<{ status: number; result: unknown; files: ReturnType<typeof decodeMultipart> }> {
    const res = await this.raw("GET", "/v1/files", { action: "read", path: paths }, undefined, {
      Accept: "multipart/form-data",
    });
    const type = String(res.headers["content-type"] ?? "");
    if (!type.startsWith("multipart/")) {
      parseEnvelope(res); // throws the APIError the server sent
      throw new APIError(res.status, "", `expected a multipart response, got "${type}"`);
    }
    let parts: ReturnType<typeof decodeMultipart>;
    try {
      parts = decodeMultipart(res.body, boundaryOf(type));
    } catch (e) {
      throw new APIError(
        res.status,
        "",
        `cannot parse multipart response: ${(e as Error).message}`,
        undefined,
        undefined,
        {
          cause: e,
        },
      );
    }
    const response = parts.find((p) => p.name === "response");
    if (!response) throw new APIError(res.status, "", "multipart response has no response part");
    let env: Envelope;
    try {
      env = JSON.parse(response.body.toString("utf8")) as Envelope;
    } catch (e) {
      throw new APIError(res.status, "", "response part is not JSON", undefined, undefined, { cause: e });
    }
    if (env.type === "error") throw envelopeError(env["status-code"] ?? res.status, env);
    return { status: res.status, result: env.result, files: parts.filter((p) => p.name === "files") };
  }

  async listFiles(path: string, opts: { pattern?: string; itself?: boolean } = {}): Promise<FileInfo[]> {
    const env = await this.call("GET", "/v1/files", {
      action: "list",
      path,
      pattern: opts.pattern,
      itself: opts.itself ? "true" : undefined,
    });
    return (env.result as FileInfo[] | null) ?? [];
  }

  async makeDir(path: string, opts: MakeDirOptions = {}): Promise<void> {
    const env = await this.call("POST", "/v1/files", undefined, {
      action: "make-dirs",
      dirs: [
        {
          path,
          "make-parents": opts.makeParents ?? false,
          permissions: permissionsString(opts.permissions, "755"),
          ...ownerFields(opts),
        },
      ],
    });
    throwPathErrors(env.result);
  }

  async removePath(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const env = await this.call("POST", "/v1/files", undefined, {
      action: "remove",
      paths: [{ path, recursive: opts.recursive ?? false }],
    });
    throwPathErrors(env.result);
  }

  async exec(command: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (command.length === 0) throw new TypeError("exec needs a non-empty command");
    const env = await this.call("POST", "/v1/exec", undefined, {
      command: [...command],
      "service-context": opts.serviceContext ?? null,
      environment: opts.environment ?? {},
      "working-dir": opts.workingDir ?? null,
      timeout: opts.timeout === undefined ? null : goDuration(opts.timeout),
      "user-id": opts.userId ?? null,
      user: opts.user ?? null,
      "group-id": opts.groupId ?? null,
      group: opts.group ?? null,
      "split-stderr": true,
    });
    const taskId = (env.result as { "task-id"?: string } | undefined)?.["task-id"];
    if (!env.change || !taskId)
      throw new APIError(202, "Accepted", "exec returned no change or task id", undefined, env);
    const base = `ws+unix:${this.socketPath}:/v1/tasks/${encodeURIComponent(taskId)}/websocket`;
    const [control, stdio, stderr] = await Promise.all(
      ["control", "stdio", "stderr"].map((name) => openSocket(`${base}/${name}`, this.timeout)),
    );
    try {
      const out = collect(stdio!);
      const err = collect(stderr!);
      if (opts.stdin !== undefined && opts.stdin.length > 0)
        stdio!.send(Buffer.from(opts.stdin), { binary: true });
      stdio!.send(JSON.stringify({ command: "end" }), { binary: false });
      const [stdout, stderrText] = await Promise.all([out, err]);
      const waitFor = opts.timeout === undefined ? DEFAULT_WAIT : opts.timeout + 1;
      const change = await this.waitChange(env.change, { timeout: waitFor });
      throwIfFailed(change);
      const code = change.tasks?.[0]?.data?.["exit-code"];
      const exitCode = typeof code === "number" ? code : -1;
      if (exitCode !== 0) throw new ExecError(command, exitCode, stdout, stderrText);
      return { stdout, stderr: stderrText, exitCode };
    } finally {
      for (const ws of [control, stdio, stderr]) ws?.close();
    }
  }

  async sendSignal(signal: string, services: readonly string[]): Promise<void> {
    await this.call("POST", "/v1/signals", undefined, { signal, services: [...services] });
  }

  async getChecks(opts: { level?: "alive" | "ready"; names?: readonly string[] } = {}): Promise<CheckInfo[]> {
    const env = await this.call("GET", "/v1/checks", {
      level: opts.level,
      names: opts.names?.length ? opts.names.join(",") : undefined,
    });
    return (env.result as CheckInfo[] | null) ?? [];
  }

  startChecks(names: readonly string[]): Promise<string[]> {
    return this.checksAction("start", names);
  }

  stopChecks(names: readonly string[]): Promise<string[]> {
    return this.checksAction("stop", names);
  }

  private async checksAction(action: string, names: readonly string[]): Promise<string[]> {
    if (names.length === 0) throw new TypeError(`${action} checks needs a non-empty list of checks`);
    const env = await this.call("POST", "/v1/checks", undefined, { action, checks: [...names] });
    return (env.result as { changed?: string[] | null } | null)?.changed ?? [];
  }

  async getNotices(filter: NoticeFilter = {}): Promise<Notice[]> {
    const after = filter.after instanceof Date ? filter.after.toISOString() : filter.after;
    const env = await this.call("GET", "/v1/notices", {
      types: filter.types?.length ? filter.types.join(",") : undefined,
      keys: filter.keys?.length ? filter.keys.join(",") : undefined,
      after,
    });
    return (env.result as Notice[] | null) ?? [];
  }

  async getNotice(id: string): Promise<Notice> {
    return (await this.call("GET", `/v1/notices/${encodeURIComponent(id)}`)).result as Notice;
  }

  async notify(
    key: string,
    opts: { data?: Readonly<Record<string, string>>; repeatAfter?: number } = {},
  ): Promise<string> {
    const body: Record<string, unknown> = { action: "add", type: "custom", key };
    if (opts.data) body.data = opts.data;
    if (opts.repeatAfter !== undefined) body["repeat-after"] = goDuration(opts.repeatAfter);
    const env = await this.call("POST", "/v1/notices", undefined, body);
    return String((env.result as { id?: string }).id ?? "");
  }
}

/**
 * Pebble refuses a layer label that is empty or starts with `pebble-` (reserved for Pebble's own
 * layers: internals/plan/plan.go `Layer.Validate`, internals/daemon/api_plan.go); refused here with
 * the same message before any request.
 */
function checkLayerLabel(label: string): void {
  if (label === "") throw new APIError(400, "Bad Request", "label must be set");
  if (label.startsWith("pebble-")) {
    throw new APIError(400, "Bad Request", `cannot use reserved label prefix "pebble-"`);
  }
}

function toConnectionError(e: Error, socketPath: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code && CONNECTION_CODES.has(code)) {
    return new ConnectionError(`cannot connect to Pebble at ${socketPath}: ${code}`, { cause: e });
  }
  return new ConnectionError(`Pebble request failed: ${e.message}`, { cause: e });
}

function envelopeError(code: number, env: Envelope): APIError {
  const result = (env.result ?? {}) as { message?: unknown; kind?: unknown };
  const message = typeof result.message === "string" ? result.message : `HTTP ${code}`;
  const kind = typeof result.kind === "string" ? result.kind : undefined;
  return new APIError(code, env.status ?? "", message, kind, env);
}

function parseEnvelope(res: RawResponse): Envelope {
  let env: Envelope;
  try {
    env = JSON.parse(res.body.toString("utf8")) as Envelope;
  } catch (e) {
    const snippet = res.body.toString("utf8").slice(0, 100);
    throw new APIError(
      res.status,
      "",
      `cannot decode response body as JSON: ${JSON.stringify(snippet)}`,
      undefined,
      undefined,
      {
        cause: e,
      },
    );
  }
  if (typeof env !== "object" || env === null) {
    throw new APIError(res.status, "", "response body is not a JSON object", undefined, env);
  }
  if (env.type === "error" || res.status >= 400) throw envelopeError(res.status, env);
  return env;
}

function throwIfFailed(change: Change): void {
  if (!change.err) return;
  const logs = (change.tasks ?? []).flatMap((t) => t.log ?? []);
  throw new ChangeError(change.err, change, logs);
}

/**
 * Paths per read request in {@link PebbleClient.pullMany}: each adds its length to the request
 * line, which HTTP servers bound (Node's at 16 KiB of headers; Go's at 1 MiB).
 */
export const PULL_BATCH = 100;

interface PathResult {
  path?: string;
  error?: { kind?: string; message?: string };
}

function throwPathErrors(result: unknown): void {
  if (!Array.isArray(result)) return;
  for (const entry of result as { path?: string; error?: { kind?: string; message?: string } }[]) {
    if (entry?.error) {
      throw new PathError(
        entry.error.kind ?? "generic-file-error",
        entry.error.message ?? "file error",
        entry.path,
      );
    }
  }
}

function ownerFields(opts: {
  user?: string;
  userId?: number;
  group?: string;
  groupId?: number;
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (opts.userId !== undefined) out["user-id"] = opts.userId;
  if (opts.user !== undefined) out.user = opts.user;
  if (opts.groupId !== undefined) out["group-id"] = opts.groupId;
  if (opts.group !== undefined) out.group = opts.group;
  return out;
}

async function openSocket(url: string, timeout: number): Promise<WebSocket> {
  // Loaded on first exec only: most hooks never exec, and start-up time is paid by every hook.
  const { default: WS } = await import("ws");
  return new Promise((resolve, reject) => {
    const ws = new WS(url, { handshakeTimeout: timeout * 1000 });
    ws.once("open", () => resolve(ws));
    ws.once("error", (e) =>
      reject(new ConnectionError(`cannot open exec websocket: ${e.message}`, { cause: e })),
    );
  });
}

/** Gathers binary frames until the `{"command":"end"}` text frame (or the socket closes). */
function collect(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = () => resolve(Buffer.concat(chunks).toString("utf8"));
    ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) {
        chunks.push(buf);
        return;
      }
      try {
        if ((JSON.parse(buf.toString("utf8")) as { command?: string }).command === "end") done();
      } catch {
        // Text frames other than the end marker carry nothing we need.
      }
    });
    ws.once("close", done);
  });
}

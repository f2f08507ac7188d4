/**
 * PebbleServer: a Pebble-compatible HTTP/1.1 API on a unix socket for ONE container of ONE unit
 * of the local runtime. It speaks Pebble's envelope and `/v1/*` endpoints (canonical/pebble internals/daemon) and
 * supervises real processes in the container's mount namespace (see sandbox.ts).
 *
 * Differences from Pebble worth knowing: there is no peer-credential check (everything on this
 * machine that can open the socket is admin); `shutdown` actions do not stop the server; exec
 * has no pseudo-terminal (`terminal: true` runs with pipes); layers are kept in memory only,
 * like layers added through a real Pebble's API. Service output goes to `<rootDir>/../logs/<service>.log`.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import type { Duplex } from "node:stream";
import {
  addLayer,
  combinePlan,
  type LabeledLayer,
  LayerError,
  type Layer,
  type Plan,
  planToYaml,
  servicesEqual,
  validateLayer,
  validatePlan,
} from "@charmkit/ops/pebble";
import { boundaryOf, decodeMultipart, MIN_BOUNDARY, type Part } from "@charmkit/ops/internal";
import { parse as parseYaml } from "yaml";
import { WebSocketServer } from "ws";
import { type Change, ChangeStore, type Task } from "./changes.js";
import { CheckManager } from "./checks.js";
import { formatDuration, parseDuration } from "./duration.js";
import {
  ApiError,
  async,
  asyncBody,
  badRequest,
  errorBody,
  type HandlerResult,
  notFound,
  sync,
  syncBody,
} from "./envelope.js";
import { ExecManager } from "./exec.js";
import { FilesApi } from "./files.js";
import { LogForwarder } from "./logforward.js";
import { NoticeStore } from "./notices.js";
import {
  combineExtensions,
  type LayerExtensions,
  type PlanExtensions,
  takeExtensions,
  withExtensions,
} from "./plan-extensions.js";
import { ensureIsolation, type Mount } from "./sandbox.js";
import { ServiceManager, startOrder, stopOrder } from "./services.js";

/** The version string `GET /v1/system-info` reports. */
export const PEBBLE_VERSION = "1.19.0";

const DEFAULT_ENV: Readonly<Record<string, string>> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C.UTF-8",
};

/** Options of a {@link PebbleServer}. */
export interface PebbleServerOptions {
  /** Unix socket to listen on (its directory is created). */
  socketPath: string;
  /** Host directory that holds this container's filesystem (container "/" maps here). */
  rootDir: string;
  /** Storage mounts: container path -> host directory. */
  mounts?: readonly Mount[];
  /** Base environment of services and exec (merged over a PATH/LANG default). */
  env?: Readonly<Record<string, string>>;
  /** Daemon log lines (service starts, exits, check failures). */
  log?: (line: string) => void;
  /** Namespaces every process enters first: the pod's (see `IsolatedCommand.enter`). */
  enter?: readonly string[];
}

type Handler = (req: IncomingMessage, url: URL, params: string[]) => Promise<HandlerResult> | HandlerResult;

/**
 * A Pebble-compatible server for one container.
 *
 * @example
 * const pebble = new PebbleServer({ socketPath: "/tmp/u0/pebble.socket", rootDir: "/tmp/u0/root" });
 * await pebble.start();
 * // ... PebbleClient({ socketPath }) talks to it ...
 * await pebble.stop();
 */
export class PebbleServer {
  readonly socketPath: string;
  readonly rootDir: string;
  /** Where service output is written: `<rootDir>/../logs/<service>.log`. */
  readonly logDir: string;
  /** Resolves once the socket listens; rejects when start fails. */
  readonly ready: Promise<void>;

  readonly #bootId = randomUUID();
  readonly #mounts: readonly Mount[];
  readonly #env: Readonly<Record<string, string>>;
  readonly #log: (line: string) => void;
  readonly #changes = new ChangeStore();
  readonly #notices = new NoticeStore();
  readonly #logs: LogForwarder;
  readonly #services: ServiceManager;
  readonly #checks: CheckManager;
  readonly #exec: ExecManager;
  readonly #files: FilesApi;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #routes: { method: string; pattern: RegExp; handler: Handler }[] = [];
  #layers: LabeledLayer[] = [];
  #plan: Plan = {};
  /** Per label, the workloads parts of each layer combined into it (see plan-extensions.ts). */
  #ext = new Map<string, LayerExtensions[]>();
  #planExt: PlanExtensions = { workloads: {}, serviceWorkloads: {} };
  /** Change id to the services it was asked for (a change's "service-names", for `?for=`). */
  readonly #serviceNames = new Map<string, string[]>();
  #server: Server | undefined;
  #resolveReady!: () => void;
  #rejectReady!: (e: Error) => void;
  #started = false;

  constructor(options: PebbleServerOptions) {
    this.socketPath = options.socketPath;
    this.rootDir = options.rootDir;
    this.logDir = join(dirname(options.rootDir), "logs");
    this.#mounts = options.mounts ?? [];
    this.#env = { ...DEFAULT_ENV, ...options.env };
    this.#log = options.log ?? (() => {});
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Callers that only use start() should not see an unhandled rejection from `ready`.
    this.ready.catch(() => {});
    const common = {
      rootDir: this.rootDir,
      mounts: this.#mounts,
      env: this.#env,
      log: this.#log,
      enter: options.enter,
    };
    const plan = () => this.#plan;
    this.#logs = new LogForwarder({ userAgent: `pebble/${PEBBLE_VERSION}`, log: this.#log });
    this.#services = new ServiceManager({
      ...common,
      logDir: this.logDir,
      plan,
      onLine: (service, line, time) => this.#logs.line(service, line, time),
    });
    this.#checks = new CheckManager({
      ...common,
      plan,
      changes: this.#changes,
      onDown: (check) => this.#checkDown(check),
    });
    this.#exec = new ExecManager({ ...common, plan, changes: this.#changes });
    this.#files = new FilesApi(this.rootDir, this.#mounts);
    this.#routeTable();
  }

  /**
   * Checks that processes can be isolated, then listens on the socket.
   *
   * @throws IsolationError when private mount namespaces are unavailable (nothing is started).
   */
  async start(): Promise<void> {
    if (this.#started) return this.ready;
    this.#started = true;
    try {
      await ensureIsolation();
      mkdirSync(dirname(this.socketPath), { recursive: true });
      mkdirSync(this.rootDir, { recursive: true });
      if (existsSync(this.socketPath)) rmSync(this.socketPath);
      const server = createServer((req, res) => void this.#handle(req, res));
      server.on("upgrade", (req, socket, head) => this.#upgrade(req, socket, head));
      this.#server = server;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(this.socketPath, () => {
          server.off("error", reject);
          resolve();
        });
      });
      this.#resolveReady();
    } catch (e) {
      this.#rejectReady(e as Error);
      throw e;
    }
  }

  /** Stops checks and every service (honouring kill-delay), then closes the socket. */
  async stop(): Promise<void> {
    this.#checks.stopAll();
    await this.#services.stopAll();
    await this.#logs.stop();
    for (const ws of this.#wss.clients) ws.terminate();
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    rmSync(this.socketPath, { force: true });
  }

  /** The combined plan (a copy). */
  get plan(): Plan {
    return structuredClone(this.#plan);
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing.

  #route(method: string, path: string, handler: Handler): void {
    const pattern = new RegExp(`^${path.replace(/\{[a-z-]+\}/g, "([^/]+)")}$`);
    this.#routes.push({ method, pattern, handler });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    let result: HandlerResult;
    try {
      const matches = this.#routes.filter((r) => r.pattern.test(url.pathname));
      if (!matches.length) throw new ApiError(404, "not found");
      const route = matches.find((r) => r.method === req.method);
      if (!route) throw new ApiError(405, "method not allowed");
      const params = (route.pattern.exec(url.pathname) ?? []).slice(1).map(decodeURIComponent);
      result = await route.handler(req, url, params);
    } catch (e) {
      const err =
        e instanceof ApiError ? e : new ApiError(500, `internal error: ${(e as Error).message ?? String(e)}`);
      if (!(e instanceof ApiError))
        this.#log(`internal error on ${req.method} ${url.pathname}: ${(e as Error).stack}`);
      return send(res, err.status, errorBody(err));
    }
    if (res.destroyed) return;
    if (result.type === "raw") {
      res.writeHead(result.status, { ...result.headers, "Content-Length": result.body.length });
      res.end(result.body);
    } else if (result.type === "async") {
      send(res, 202, asyncBody(result.change, result.result));
    } else {
      send(res, result.status ?? 200, syncBody(result.result, result.status ?? 200));
    }
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const m = /^\/v1\/tasks\/([^/]+)\/websocket\/(control|stdio|stderr)$/.exec(url.pathname);
    if (!m || !this.#exec.accepts(m[1] as string, m[2] as string)) {
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    const [, taskId, name] = m as unknown as [string, string, "control" | "stdio" | "stderr"];
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#exec.attach(taskId, name, ws));
  }

  #routeTable(): void {
    this.#route("GET", "/v1/system-info", () => sync({ "boot-id": this.#bootId, version: PEBBLE_VERSION }));
    this.#route("GET", "/v1/health", (_req, url) => this.#health(url));
    this.#route("GET", "/v1/services", (_req, url) => this.#listServices(url));
    this.#route("POST", "/v1/services", async (req) => this.#postServices(await readJson(req)));
    this.#route("GET", "/v1/changes", (_req, url) => this.#listChanges(url));
    this.#route("GET", "/v1/changes/{id}", (_req, _url, [id]) => sync(this.#change(id as string).toJSON()));
    this.#route("GET", "/v1/changes/{id}/wait", (req, url, [id]) => this.#waitChange(req, url, id as string));
    this.#route("POST", "/v1/changes/{id}", async (req, _url, [id]) =>
      this.#postChange(id as string, await readJson(req)),
    );
    this.#route("GET", "/v1/plan", (_req, url) => this.#getPlan(url));
    this.#route("POST", "/v1/layers", async (req) => this.#postLayers(await readJson(req)));
    this.#route("GET", "/v1/files", (req, url) => this.#getFiles(req, url));
    this.#route("POST", "/v1/files", (req) => this.#postFiles(req));
    this.#route("POST", "/v1/exec", async (req) => {
      const { change, result } = await this.#exec.create(await readJson(req));
      return async(change, result);
    });
    this.#route("POST", "/v1/signals", async (req) => this.#postSignals(await readJson(req)));
    this.#route("GET", "/v1/checks", (_req, url) =>
      sync(this.#checks.list(url.searchParams.get("level") || undefined, listParam(url, "names"))),
    );
    this.#route("POST", "/v1/checks", async (req) => this.#postChecks(await readJson(req)));
    this.#route("GET", "/v1/notices", (req, url) => this.#listNotices(req, url));
    this.#route("POST", "/v1/notices", async (req) => this.#postNotices(await readJson(req)));
    this.#route("GET", "/v1/notices/{id}", (_req, _url, [id]) => sync(this.#notices.get(id as string)));
  }

  // -------------------------------------------------------------------------------------------
  // Layers and plan.

  #getPlan(url: URL): HandlerResult {
    const format = url.searchParams.get("format");
    if (format !== "yaml") throw badRequest(`invalid format ${JSON.stringify(format ?? "")}`);
    return sync(planToYaml(withExtensions(this.#plan, this.#planExt)));
  }

  #postLayers(body: Record<string, unknown>): HandlerResult {
    // api_plan.go v1PostLayers: action, then label, then format (which must be "yaml").
    if (body.action !== "add") throw badRequest(`invalid action ${JSON.stringify(body.action ?? "")}`);
    const label = typeof body.label === "string" ? body.label : "";
    if (!label) throw badRequest("label must be set");
    if (body.format !== "yaml") throw badRequest(`invalid format ${JSON.stringify(body.format ?? "")}`);
    // plan.go (*Layer).Validate reserves the "pebble-" label prefix.
    if (label.startsWith("pebble-")) {
      throw badRequest('cannot parse layer YAML: cannot use reserved label prefix "pebble-"');
    }
    const combine = body.combine === true;
    if (!combine && this.#layers.some((l) => l.label === label)) {
      throw badRequest(`layer "${label}" already exists`);
    }
    let layers: LabeledLayer[];
    let plan: Plan;
    let ext: Map<string, LayerExtensions[]>;
    let planExt: PlanExtensions;
    try {
      let raw: unknown;
      try {
        raw = parseYaml(typeof body.layer === "string" ? body.layer : "");
      } catch (e) {
        throw new LayerError("", `cannot parse layer YAML: ${(e as Error).message}`, { cause: e });
      }
      const extensions = takeExtensions(raw);
      const layer: Layer = validateLayer(raw);
      layers = addLayer(this.#layers, label, layer, combine);
      plan = combinePlan(layers);
      validatePlan(plan);
      startOrder(plan, Object.keys(plan.services ?? {}));
      ext = new Map(this.#ext);
      ext.set(label, combine ? [...(ext.get(label) ?? []), extensions] : [extensions]);
      planExt = combineExtensions(
        layers.flatMap((l) => ext.get(l.label) ?? []),
        Object.keys(plan.services ?? {}),
      );
    } catch (e) {
      if (e instanceof LayerError || e instanceof Error) throw badRequest(e.message);
      throw e;
    }
    const previous = this.#plan;
    this.#layers = layers;
    this.#plan = plan;
    this.#ext = ext;
    this.#planExt = planExt;
    this.#checks.replan(previous);
    this.#logs.planChanged(plan);
    return sync(true);
  }

  // -------------------------------------------------------------------------------------------
  // Services and changes.

  #listServices(url: URL): HandlerResult {
    const names = listParam(url, "names");
    const services = this.#plan.services ?? {};
    const out = Object.keys(services)
      .sort()
      .filter((n) => !names.length || names.includes(n))
      .map((name) => {
        const { current, since } = this.#services.status(name);
        const info: Record<string, unknown> = {
          name,
          startup: services[name]?.startup ?? "disabled",
          current,
        };
        if (since) info["current-since"] = since.toISOString();
        return info;
      });
    return sync(out);
  }

  #postServices(body: Record<string, unknown>): HandlerResult {
    const action = body.action;
    const names = body.services ?? [];
    if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) {
      throw badRequest("services must be a list of names");
    }
    const services = this.#plan.services ?? {};
    const order = (list: readonly string[]): string[] => {
      try {
        return startOrder(this.#plan, list);
      } catch (e) {
        throw badRequest(`cannot ${String(action)} services: ${(e as Error).message}`);
      }
    };
    switch (action) {
      case "start":
      case "stop":
      case "restart": {
        if (!names.length) throw badRequest(`must specify services for ${action} action`);
        for (const n of names) {
          if (!services[n]) throw badRequest(`cannot ${action} services: service "${n}" does not exist`);
        }
        // api_services.go: start pulls in what the services require (plan StartOrder); stop also
        // stops the services that require them (StopOrder); restart stops only the named ones
        // and starts them with what they require.
        if (action === "start") return this.#serviceChange(action, [], order(names), names);
        const stops = stopOrder(this.#plan, names).filter((n) => action === "stop" || names.includes(n));
        return this.#serviceChange(action, stops, action === "stop" ? [] : order(names), names);
      }
      case "replan":
      case "autostart": {
        if (names.length) throw badRequest(`${action} accepts no service names`);
        const enabled = Object.keys(services).filter((n) => services[n]?.startup === "enabled");
        if (action === "autostart") {
          if (!enabled.length) throw new ApiError(400, "no default services", "no-default-services");
          return this.#serviceChange(action, [], order(enabled), enabled);
        }
        const changed = this.#services
          .liveServices()
          .filter((n) => !services[n] || !servicesEqual(this.#services.runningConfig(n), services[n]));
        const starts = new Set([...enabled, ...changed.filter((n) => services[n])]);
        const stopOrder = [...order(changed.filter((n) => services[n]))].reverse();
        const removed = changed.filter((n) => !services[n]);
        const startList = order([...starts]);
        const stopList = [...removed, ...stopOrder];
        const affected = [...new Set([...stopList, ...startList])].sort();
        const change = this.#serviceChange(action, stopList, startList, affected);
        this.#checks.replan(this.#plan);
        return change;
      }
      default:
        throw badRequest(`invalid action ${JSON.stringify(action ?? "")}`);
    }
  }

  #serviceChange(
    action: string,
    stops: readonly string[],
    starts: readonly string[],
    requested: readonly string[],
  ): HandlerResult {
    const tasks = [
      ...stops.map((name) => ({
        kind: "stop",
        summary: `Stop service "${name}"`,
        run: (task: Task) => this.#abortable(task, () => this.#services.stop(name)),
      })),
      ...starts.map((name) => ({
        kind: "start",
        summary: `Start service "${name}"`,
        run: (task: Task) =>
          this.#abortable(task, () =>
            this.#services.start(name, (lines) => {
              if (lines.length) {
                task.logf("INFO", `Most recent service output:\n${lines.map((l) => `    ${l}`).join("\n")}`);
              }
            }),
          ),
      })),
    ];
    // api_services.go: "<Action> service "<first requested>"" [and N more]; a change with no
    // tasks (a replan with nothing to do) is "<Action> - no services" and is Done at once.
    const verb = action.charAt(0).toUpperCase() + action.slice(1);
    const count = new Set([...stops, ...starts]).size;
    const first = requested[0] ?? stops[0] ?? starts[0] ?? "";
    let summary = `${verb} service "${first}"`;
    if (tasks.length === 0) summary = `${verb} - no services`;
    else if (count > 1) summary += ` and ${count - 1} more`;
    const change = this.#changes.start(action, summary, tasks);
    if (tasks.length) this.#serviceNames.set(change.id, [...requested]);
    return async(change.id);
  }

  async #abortable(task: Task, work: () => Promise<void>): Promise<void> {
    if (task.abort.signal.aborted) throw new Error("task aborted");
    await work();
  }

  #change(id: string): Change {
    const change = this.#changes.get(id);
    if (!change) throw notFound(`cannot find change with id "${id}"`);
    return change;
  }

  // api_changes.go v1GetChanges: `select` is all, in-progress (the default) or ready; `for`
  // keeps the service changes that name that service.
  #listChanges(url: URL): HandlerResult {
    const select = url.searchParams.get("select") || "in-progress";
    if (!["all", "in-progress", "ready"].includes(select)) {
      throw badRequest("select should be one of: all,in-progress,ready");
    }
    const wanted = url.searchParams.get("for") || undefined;
    const changes = this.#changes
      .list()
      .filter((c) => select === "all" || (select === "ready" ? c.ready : !c.ready))
      .filter((c) => wanted === undefined || (this.#serviceNames.get(c.id) ?? []).includes(wanted));
    return sync(changes.map((c) => c.toJSON()));
  }

  async #waitChange(req: IncomingMessage, url: URL, id: string): Promise<HandlerResult> {
    const change = this.#change(id);
    const text = url.searchParams.get("timeout");
    let timeoutMs: number | undefined;
    if (text) {
      try {
        timeoutMs = parseDuration(text);
      } catch (e) {
        throw badRequest(`invalid timeout: ${(e as Error).message}`);
      }
    }
    // api_changes.go v1GetChangeWait: a zero (or absent) timeout waits until the change is ready.
    if (timeoutMs === 0) timeoutMs = undefined;
    const gone = new AbortController();
    const onClose = () => gone.abort();
    req.socket.once("close", onClose);
    const ready = await change
      .waitReady(timeoutMs, gone.signal)
      .finally(() => req.socket.off("close", onClose));
    if (!ready && gone.signal.aborted) throw new ApiError(500, "request cancelled");
    if (!ready) {
      throw new ApiError(504, `timed out waiting for change after ${formatDuration(timeoutMs ?? 0)}`);
    }
    return sync(change.toJSON());
  }

  #postChange(id: string, body: Record<string, unknown>): HandlerResult {
    const change = this.#change(id);
    if (body.action !== "abort")
      throw badRequest(`change action "${String(body.action ?? "")}" is unsupported`);
    if (change.ready) throw badRequest(`cannot abort change ${id} with nothing pending`);
    change.abort();
    return sync(change.toJSON());
  }

  // api_signals.go and servstate SendSignal: every service is tried, failures are joined with
  // "; " and answered as a server error.
  #postSignals(body: Record<string, unknown>): HandlerResult {
    const signal = typeof body.signal === "string" ? body.signal : "";
    const names = body.services;
    if (!Array.isArray(names) || !names.length) throw badRequest("must specify one or more services");
    const errors: string[] = [];
    for (const n of names.map(String)) {
      try {
        if (!this.#services.isRunning(n)) throw new Error("service is not running");
        if (!(signal in constants.signals)) throw new Error(`invalid signal name ${JSON.stringify(signal)}`);
        this.#services.signal(n, signal as NodeJS.Signals);
      } catch (e) {
        errors.push(
          `cannot send signal to "${n}": ${(e as Error).message.replace(/^cannot send signal to "[^"]*": /, "")}`,
        );
      }
    }
    if (errors.length) throw new ApiError(500, errors.join("; "));
    return sync(true);
  }

  // -------------------------------------------------------------------------------------------
  // Checks and health.

  #postChecks(body: Record<string, unknown>): HandlerResult {
    const names = body.checks;
    if (body.action !== "start" && body.action !== "stop") {
      throw badRequest(`invalid action ${JSON.stringify(body.action ?? "")}`);
    }
    // api_checks.go v1PostChecks and checkstate ChecksNotFound.
    if (!Array.isArray(names) || !names.length)
      throw badRequest(`must specify checks for ${body.action} action`);
    const missing = names.filter((n) => typeof n !== "string" || !this.#plan.checks?.[n]);
    if (missing.length) {
      throw badRequest(
        `cannot ${body.action} checks: cannot find checks in plan: ${missing.map(String).sort().join(", ")}`,
      );
    }
    const changed = body.action === "start" ? this.#checks.start(names) : this.#checks.stop(names);
    return sync({ changed });
  }

  #checkDown(check: string): void {
    for (const [name, svc] of Object.entries(this.#plan.services ?? {})) {
      const action = svc["on-check-failure"]?.[check];
      if (action === "restart") void this.#services.restartForCheck(name, check);
      else if (action && action !== "ignore") {
        this.#log(
          `Service "${name}" asks for "${action}" after check "${check}" failed; the local runtime keeps running`,
        );
      }
    }
  }

  #health(url: URL): HandlerResult {
    const level = url.searchParams.get("level") || undefined;
    if (level && level !== "alive" && level !== "ready") throw badRequest(`level must be "alive" or "ready"`);
    const names = listParam(url, "names");
    // A "ready" health query includes alive checks, as Pebble's levels nest.
    const checks = this.#checks
      .list(undefined, names)
      .filter((c) => !level || c.level === level || (level === "ready" && c.level === "alive") || !c.level);
    const healthy = checks.every((c) => c.status !== "down");
    return sync({ healthy }, healthy ? 200 : 502);
  }

  // -------------------------------------------------------------------------------------------
  // Notices.

  async #listNotices(req: IncomingMessage, url: URL): Promise<HandlerResult> {
    const afterText = url.searchParams.get("after");
    let after: Date | undefined;
    if (afterText) {
      after = new Date(afterText);
      if (Number.isNaN(after.getTime()))
        throw badRequest(`invalid "after" timestamp ${JSON.stringify(afterText)}`);
    }
    const filter = {
      types: listParam(url, "types"),
      keys: listParam(url, "keys"),
      ...(after ? { after } : {}),
    };
    const timeoutText = url.searchParams.get("timeout");
    if (!timeoutText) return sync(this.#notices.list(filter));
    let timeoutMs: number;
    try {
      timeoutMs = parseDuration(timeoutText);
    } catch (e) {
      throw badRequest(`invalid timeout: ${(e as Error).message}`);
    }
    const gone = new AbortController();
    const onClose = () => gone.abort();
    req.socket.once("close", onClose);
    const found = await this.#notices
      .wait(filter, timeoutMs, gone.signal)
      .finally(() => req.socket.off("close", onClose));
    return sync(found);
  }

  #postNotices(body: Record<string, unknown>): HandlerResult {
    if (body.action !== "add") throw badRequest(`invalid action ${JSON.stringify(body.action ?? "")}`);
    return sync({ id: this.#notices.add(body) });
  }

  // -------------------------------------------------------------------------------------------
  // Files.

  #getFiles(req: IncomingMessage, url: URL): HandlerResult {
    const action = url.searchParams.get("action");
    if (action === "read") {
      if (!(req.headers.accept ?? "").includes("multipart/form-data")) {
        throw badRequest("must accept multipart/form-data");
      }
      const { body, contentType } = this.#files.read(url.searchParams.getAll("path"));
      return { type: "raw", status: 200, headers: { "Content-Type": contentType }, body };
    }
    if (action === "list") {
      const path = url.searchParams.get("path") ?? "";
      if (!path.startsWith("/")) throw badRequest(`path must be absolute, got ${JSON.stringify(path)}`);
      const pattern = url.searchParams.get("pattern") || undefined;
      return sync(this.#files.list(path, pattern, url.searchParams.get("itself") === "true"));
    }
    throw badRequest(`invalid action ${JSON.stringify(action ?? "")}`);
  }

  async #postFiles(req: IncomingMessage): Promise<HandlerResult> {
    const contentType = req.headers["content-type"] ?? "";
    if (contentType.startsWith("multipart/")) {
      let boundary: string;
      try {
        boundary = boundaryOf(contentType, MIN_BOUNDARY);
      } catch (e) {
        throw badRequest((e as Error).message);
      }
      let parts: Part[];
      try {
        parts = decodeMultipart(await readBody(req), boundary);
      } catch (e) {
        throw badRequest(`cannot parse multipart body: ${(e as Error).message}`);
      }
      const first = parts[0];
      if (first?.name !== "request") throw badRequest(`must specify "request" field as the first part`);
      const request = parseJson(first.body) as { action?: unknown; files?: unknown };
      if (request.action !== "write")
        throw badRequest(`multipart action must be "write", got ${JSON.stringify(request.action)}`);
      if (!Array.isArray(request.files)) throw badRequest("must specify files to write");
      return sync(this.#files.write(request.files, parts.slice(1)));
    }
    const body = parseJson(await readBody(req)) as Record<string, unknown>;
    switch (body.action) {
      case "make-dirs":
        if (!Array.isArray(body.dirs)) throw badRequest("must specify dirs");
        return sync(this.#files.makeDirs(body.dirs));
      case "remove":
        if (!Array.isArray(body.paths)) throw badRequest("must specify paths");
        return sync(this.#files.remove(body.paths));
      default:
        throw badRequest(`invalid action ${JSON.stringify(body.action ?? "")}`);
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(buf: Buffer): unknown {
  try {
    const v: unknown = JSON.parse(buf.toString("utf8") || "null");
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new Error("body must be a JSON object");
    return v;
  } catch (e) {
    throw badRequest(`cannot decode request body into command: ${(e as Error).message}`);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return parseJson(await readBody(req)) as Record<string, unknown>;
}

function listParam(url: URL, key: string): string[] {
  return url.searchParams
    .getAll(key)
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
}

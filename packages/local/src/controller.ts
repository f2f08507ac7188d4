/**
 * The local controller: holds the model (applications, units, relations and their databags,
 * leadership, statuses, ports, secrets, per-unit state), queues each unit's hooks in Juju's order,
 * dispatches them one at a time per unit with Juju's environment and real hook tools, and commits a
 * hook's buffered changes only when it exits 0. The model is saved atomically under `home` after
 * every change and reloaded by `Controller.open`, so it survives a restart.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  appendFileSync,
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import type { Server } from "node:net";
import { join, resolve } from "node:path";
import { type Bundle, resolveRelation } from "./bundle.js";
import { type CharmMeta, coerceOption, effectiveConfig, loadCharmMeta } from "./charm-meta.js";
import { installHookTools } from "./hooktools/install.js";
import { runTool, type SecretRecord, type StatusValue, type ToolHost } from "./hooktools/tools.js";
import { serveHookTools, type ToolReply, type ToolRequest } from "./hooktools/wire.js";

/** A workload container's Pebble server, as the controller drives it. */
export interface ContainerServer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Options passed to the container-server factory (mirrors F's `PebbleServer` options). */
export interface ContainerServerOptions {
  readonly socketPath: string;
  readonly rootDir: string;
  /** Storage mounts: a unit's storage directory seen at the charm's `mounts` location. */
  readonly mounts: readonly { containerPath: string; hostPath: string }[];
  readonly env: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
}

/** Options of `Controller.open`. */
export interface ControllerOptions {
  /** Where the model lives (default `$CHARMKIT_HOME` or `<cwd>/.charmkit`). */
  readonly home?: string;
  readonly modelName?: string;
  /** Period of update-status per unit; 0 disables it (default 5 min). */
  readonly updateStatusIntervalMs?: number;
  /** Kill a hook that runs longer than this (default 10 min). */
  readonly hookTimeoutMs?: number;
  /** Retries of a failed hook before the unit stays in error (default 5). */
  readonly maxHookRetries?: number;
  /** First retry delay, doubled on each retry (default 1000 ms). */
  readonly retryDelayMs?: number;
  /** Builds the Pebble server of a container; default: F's `PebbleServer` when present. */
  readonly containerServer?: (opts: ContainerServerOptions) => ContainerServer | Promise<ContainerServer>;
  /** Bundles a TypeScript charm (default: `bundleCharm` from `@charmkit/build/bundle`). */
  readonly bundleCharm?: (opts: { charmDir: string; outDir: string }) => Promise<unknown> | unknown;
  /** Progress and diagnostics of the controller itself. */
  readonly log?: (line: string) => void;
}

/** A hook the controller ran, with its outcome (kept in memory for tests and `status`). */
export interface HookRecord {
  readonly unit: string;
  readonly hook: string;
  readonly env: Readonly<Record<string, string>>;
  readonly exitCode: number | null;
  readonly ms: number;
}

/** Result of `runAction`. */
export interface ActionResult {
  readonly unit: string;
  readonly action: string;
  readonly status: "completed" | "failed";
  readonly message: string;
  readonly results: Record<string, unknown>;
  readonly logs: readonly string[];
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A user-facing error of a controller operation (unknown app, unit, endpoint, bad value). */
export class ControllerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ControllerError";
  }
}

interface QueuedEvent {
  hook: string;
  env: Record<string, string>;
  relationId?: number;
  remoteUnit?: string;
  /** Set only for actions (not persisted). */
  actionId?: string;
}

interface AppRec {
  name: string;
  charm: string;
  index: number;
  config: Record<string, unknown>;
  nextUnit: number;
  leader?: string | undefined;
  status: StatusValue;
  workloadVersion: string;
  dying?: boolean;
  /** leader-set's settings (Juju 3.6 still has leader-get/leader-set). */
  leaderSettings?: Record<string, string>;
}

interface UnitRec {
  name: string;
  app: string;
  address: string;
  status: StatusValue;
  agent: "allocating" | "idle" | "executing" | "error";
  error?: string | undefined;
  dying: boolean;
  ports: string[];
  state: Record<string, string>;
  /** Relation id to the remote units this unit has seen join (present from -created to -broken). */
  view: Record<string, string[]>;
  queue: QueuedEvent[];
  failures: number;
  /** Whether the unit's start hook has succeeded (a restart then fires pebble-ready again). */
  started?: boolean;
}

interface RelSide {
  app: string;
  endpoint: string;
}

interface RelRec {
  id: number;
  interface: string;
  peer: boolean;
  sides: RelSide[];
  dying: boolean;
  /** Owner (app name or unit name) to its bag. */
  bags: Record<string, Record<string, string>>;
}

interface ModelFile {
  version: 1;
  name: string;
  uuid: string;
  nextRelationId: number;
  nextAppIndex: number;
  apps: Record<string, AppRec>;
  units: Record<string, UnitRec>;
  relations: Record<string, RelRec>;
  secrets: Record<string, SecretRecord>;
}

/** What `status()` returns: a `juju status`-like view, all lists sorted. */
export interface ModelStatus {
  readonly model: { name: string; uuid: string };
  readonly applications: {
    name: string;
    charm: string;
    version: string;
    scale: number;
    status: string;
    message: string;
    leader?: string | undefined;
  }[];
  readonly units: {
    name: string;
    workload: string;
    agent: string;
    address: string;
    message: string;
    leader: boolean;
    ports: string[];
  }[];
  readonly relations: { id: number; provider: string; requirer: string; interface: string; peer: boolean }[];
}

const JUJU_VERSION = "3.6.14";

function byUnitNumber(a: string, b: string): number {
  const [aa = "", an = "0"] = a.split("/");
  const [ba = "", bn = "0"] = b.split("/");
  return aa === ba ? Number(an) - Number(bn) : aa < ba ? -1 : 1;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/**
 * The local model's controller. Use `Controller.open()`, then `deploy`, `relate`, `scale`, ...;
 * `waitIdle()` resolves when every unit has run all of its queued hooks.
 * @example
 * const c = await Controller.open({ home: "/tmp/m" });
 * await c.deploy(loadBundle("bundle.yaml").bundle);
 * await c.waitIdle({ timeoutMs: 60_000 });
 * console.log(c.status());
 * await c.close();
 */
export class Controller extends EventEmitter {
  readonly home: string;
  /** Every hook run since this process opened the model, in order. */
  readonly history: HookRecord[] = [];
  private model!: ModelFile;
  private metas = new Map<string, CharmMeta>();
  private toolsDir = "";
  private toolServer?: Server;
  private readonly running = new Map<string, Promise<void>>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly contexts = new Map<string, HookContext>();
  private readonly containers = new Map<string, ContainerServer[]>();
  private readonly actions = new Map<
    string,
    { resolve: (r: ActionResult) => void; name: string; params: Record<string, unknown> }
  >();
  private readonly procs = new Set<ChildProcess>();
  private updateTimer?: NodeJS.Timeout;
  private seq = 0;
  private closed = false;

  private constructor(
    private readonly opts: ControllerOptions,
    home: string,
  ) {
    super();
    this.home = home;
  }

  /** Opens (or creates) the model under `home`, starts the hook-tool socket, restores units. */
  static async open(opts: ControllerOptions = {}): Promise<Controller> {
    const home = resolve(opts.home ?? process.env.CHARMKIT_HOME ?? join(process.cwd(), ".charmkit"));
    const c = new Controller(opts, home);
    await c.init();
    return c;
  }

  private get modelPath(): string {
    return join(this.home, "model.json");
  }

  private async init(): Promise<void> {
    mkdirSync(this.home, { recursive: true });
    if (existsSync(this.modelPath)) {
      this.model = JSON.parse(readFileSync(this.modelPath, "utf8")) as ModelFile;
    } else {
      this.model = {
        version: 1,
        name: this.opts.modelName ?? "local",
        uuid: randomUUID(),
        nextRelationId: 0,
        nextAppIndex: 1,
        apps: {},
        units: {},
        relations: {},
        secrets: {},
      };
    }
    this.toolsDir = installHookTools(join(this.home, "tools")).dir;
    const sock = join(this.home, "agent.sock");
    rmSync(sock, { force: true });
    this.toolServer = await serveHookTools(sock, (req) => this.handleTool(req));
    for (const app of Object.values(this.model.apps))
      this.metas.set(app.name, loadCharmMeta(this.unitCharmSource(app.name)));
    // A restart is a container restart for every unit: the hook that was running is run again,
    // containers come back and announce themselves with pebble-ready.
    for (const u of Object.values(this.model.units)) {
      u.failures = 0;
      u.error = undefined;
      u.agent = "idle";
      u.queue = u.queue.filter((e) => e.actionId === undefined);
      await this.startContainers(u);
      if (!u.dying && u.started) {
        for (const c of Object.keys(this.meta(u.app).containers).sort()) {
          this.enqueue(u, { hook: `${c}-pebble-ready`, env: { JUJU_WORKLOAD_NAME: c } });
        }
      }
    }
    this.save();
    const interval = this.opts.updateStatusIntervalMs ?? 5 * 60_000;
    if (interval > 0) {
      this.updateTimer = setInterval(() => {
        for (const u of Object.values(this.model.units)) {
          if (!u.dying && !u.queue.some((e) => e.hook === "update-status")) {
            this.enqueue(u, { hook: "update-status", env: {} });
            this.kick(u.name);
          }
        }
      }, interval);
      this.updateTimer.unref();
    }
    for (const u of Object.values(this.model.units)) this.kick(u.name);
  }

  // ----- persistence and lookup -------------------------------------------------------------

  private save(): void {
    const tmp = `${this.modelPath}.tmp`;
    const data = {
      ...this.model,
      units: Object.fromEntries(
        Object.entries(this.model.units).map(([k, u]) => [
          k,
          { ...u, queue: u.queue.filter((e) => e.actionId === undefined) },
        ]),
      ),
    };
    writeFileSync(tmp, `${JSON.stringify(data, null, 1)}\n`);
    renameSync(tmp, this.modelPath);
    this.emit("change");
  }

  private meta(app: string): CharmMeta {
    const m = this.metas.get(app);
    if (!m) throw new ControllerError(`application "${app}" not found`);
    return m;
  }

  private app(name: string): AppRec {
    const a = this.model.apps[name];
    if (!a || a.dying) throw new ControllerError(`application "${name}" not found`);
    return a;
  }

  private unit(name: string): UnitRec {
    const u = this.model.units[name];
    if (!u) throw new ControllerError(`unit "${name}" not found`);
    return u;
  }

  private unitDir(unit: string): string {
    return join(this.home, "units", unit.replace("/", "-"));
  }

  private unitCharmSource(app: string): string {
    return join(this.home, "charms", app);
  }

  /** The charm directory a unit runs (its own copy, so `.unit-state.json` is per unit). */
  unitCharmDir(unit: string): string {
    return join(this.unitDir(unit), "charm");
  }

  /** The unit's log file (hook output and juju-log lines). */
  unitLogPath(unit: string): string {
    return join(this.unitDir(unit), "unit.log");
  }

  /** The socket directory of a unit's containers (`<dir>/<container>/pebble.socket`). */
  containersDir(unit: string): string {
    return join(this.unitDir(unit), "containers");
  }

  /** The loopback address of a unit (its processes bind there). */
  unitAddress(unit: string): string {
    return this.unit(unit).address;
  }

  private logUnit(unit: string, line: string): void {
    const p = this.unitLogPath(unit);
    mkdirSync(join(p, ".."), { recursive: true });
    appendFileSync(p, `${new Date().toISOString()} ${line.endsWith("\n") ? line : `${line}\n`}`);
  }

  private say(line: string): void {
    this.opts.log?.(line);
  }

  // ----- operations ---------------------------------------------------------------------------

  /** Deploys a validated bundle: its applications (skipping existing ones), then its relations. */
  async deploy(bundle: Bundle): Promise<void> {
    for (const a of bundle.applications) {
      if (this.model.apps[a.name] && !this.model.apps[a.name]!.dying) continue;
      await this.addApplication(a.name, { charm: a.charm, scale: a.scale, options: a.options });
    }
    for (const [x, y] of bundle.relations) {
      if (this.findRelation(x, y)) continue;
      this.relate(x, y);
    }
  }

  /** Adds an application: bundles the charm once, then deploys `scale` units (default 1). */
  async addApplication(
    name: string,
    spec: { charm: string; scale?: number; options?: Record<string, unknown> },
  ): Promise<void> {
    if (this.model.apps[name]) throw new ControllerError(`application "${name}" already exists`);
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new ControllerError(`invalid application name "${name}"`);
    const charm = resolve(spec.charm);
    const meta = loadCharmMeta(charm);
    const config: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(spec.options ?? {})) {
      const r = coerceOption(meta, k, v);
      if ("error" in r) throw new ControllerError(`application "${name}": ${r.error}`);
      config[k] = r.value;
    }
    await this.prepareCharm(charm, this.unitCharmSource(name));
    this.metas.set(name, meta);
    this.model.apps[name] = {
      name,
      charm,
      index: this.model.nextAppIndex++,
      config,
      nextUnit: 0,
      status: { status: "unknown", message: "" },
      workloadVersion: "",
    };
    for (const [ep, e] of Object.entries(meta.endpoints).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (e.role !== "peers") continue;
      const id = this.model.nextRelationId++;
      this.model.relations[String(id)] = {
        id,
        interface: e.interface,
        peer: true,
        sides: [{ app: name, endpoint: ep }],
        dying: false,
        bags: { [name]: {} },
      };
    }
    this.say(`deployed ${name} from ${charm}`);
    const n = spec.scale ?? 1;
    for (let i = 0; i < n; i++) await this.addUnit(name);
    this.save();
  }

  /** Copies (and, for a TypeScript charm, bundles) a charm into `dest`. */
  private async prepareCharm(src: string, dest: string): Promise<void> {
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    const skip = new Set(["node_modules", ".git", "dist", "tests", ".charmkit"]);
    cpSync(src, dest, {
      recursive: true,
      filter: (s) => {
        const base = s.slice(src.length + 1).split("/")[0] ?? "";
        return !skip.has(base) && !s.endsWith(".test.ts") && !s.endsWith(".unit-state.json");
      },
    });
    if (existsSync(join(src, "src", "charm.ts"))) {
      const bundler = this.opts.bundleCharm ?? (await loadBundler());
      await bundler({ charmDir: src, outDir: dest });
    }
    if (!existsSync(join(dest, "dispatch")))
      throw new ControllerError(`charm ${src} has no dispatch and no src/charm.ts`);
    chmodSync(join(dest, "dispatch"), 0o755);
  }

  private async addUnit(appName: string): Promise<UnitRec> {
    const app = this.app(appName);
    const meta = this.meta(appName);
    const n = app.nextUnit++;
    const name = `${appName}/${n}`;
    const u: UnitRec = {
      name,
      app: appName,
      address: `127.0.${app.index}.${n + 1}`,
      status: { status: "waiting", message: "installing agent" },
      agent: "allocating",
      dying: false,
      ports: [],
      state: {},
      view: {},
      queue: [],
      failures: 0,
    };
    this.model.units[name] = u;
    const dir = this.unitDir(name);
    rmSync(dir, { recursive: true, force: true });
    cpSync(this.unitCharmSource(appName), this.unitCharmDir(name), { recursive: true });
    for (const s of meta.storage) mkdirSync(join(dir, "storage", s, "0"), { recursive: true });
    await this.startContainers(u);
    const isLeader = !app.leader;
    if (isLeader) app.leader = name;
    for (const s of meta.storage)
      this.enqueue(u, { hook: `${s}-storage-attached`, env: { JUJU_STORAGE_ID: `${s}/0` } });
    this.enqueue(u, { hook: "install", env: {} });
    const rels = this.relationsOf(appName);
    for (const r of rels) {
      this.fillUnitBag(r, u);
      this.enqueue(u, this.relEvent(r, u, "created"));
    }
    this.enqueue(u, { hook: isLeader ? "leader-elected" : "leader-settings-changed", env: {} });
    this.enqueue(u, { hook: "config-changed", env: {} });
    this.enqueue(u, { hook: "start", env: {} });
    for (const c of Object.keys(meta.containers).sort())
      this.enqueue(u, { hook: `${c}-pebble-ready`, env: { JUJU_WORKLOAD_NAME: c } });
    for (const r of rels) {
      for (const remote of this.remoteUnits(r, u)) {
        this.enqueue(u, this.relEvent(r, u, "joined", remote.name));
        this.enqueue(u, this.relEvent(r, u, "changed", remote.name));
        // The existing remote units learn about the new one.
        this.enqueue(remote, this.relEvent(r, remote, "joined", name));
        this.enqueue(remote, this.relEvent(r, remote, "changed", name));
        this.kick(remote.name);
      }
      const remoteApp = this.remoteAppOf(r, appName);
      if (!r.peer && Object.keys(r.bags[remoteApp] ?? {}).length > 0)
        this.enqueue(u, this.relEvent(r, u, "changed", ""));
    }
    this.say(`added unit ${name} at ${u.address}`);
    this.kick(name);
    return u;
  }

  private async startContainers(u: UnitRec): Promise<void> {
    const meta = this.meta(u.app);
    const servers: ContainerServer[] = [];
    for (const [c, mounts] of Object.entries(meta.containers).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const base = join(this.containersDir(u.name), c);
      const rootDir = join(base, "root");
      mkdirSync(rootDir, { recursive: true });
      const m = mounts.map((mt) => ({
        containerPath: mt.location,
        hostPath: join(this.unitDir(u.name), "storage", mt.storage, "0"),
      }));
      const socketPath = join(base, "pebble.socket");
      rmSync(socketPath, { force: true });
      const factory = this.opts.containerServer ?? (await loadPebbleFactory(this.say.bind(this)));
      const server = await factory({
        socketPath,
        rootDir,
        mounts: m,
        env: { CHARMKIT_UNIT_ADDRESS: u.address, CHARMKIT_UNIT_FQDN: u.address },
        log: (line) => this.logUnit(u.name, `[${c}] ${line}`),
      });
      await server.start();
      servers.push(server);
    }
    this.containers.set(u.name, servers);
  }

  private async stopContainers(unit: string): Promise<void> {
    const servers = this.containers.get(unit) ?? [];
    this.containers.delete(unit);
    await Promise.all(servers.map((s) => s.stop().catch(() => {})));
  }

  /** Relates two endpoints (`app:endpoint`, or `app` when one endpoint fits); returns the relation id. */
  relate(a: string, b: string): number {
    const res = resolveRelation(a, b, (x) =>
      this.model.apps[x] && !this.model.apps[x].dying ? this.metas.get(x) : undefined,
    );
    if ("error" in res) throw new ControllerError(res.error);
    const appA = a.split(":")[0]!;
    const appB = b.split(":")[0]!;
    const [ea, eb] = res.endpoints;
    if (this.findRelation(`${appA}:${ea.name}`, `${appB}:${eb.name}`)) {
      throw new ControllerError(`relation ${appA}:${ea.name} ${appB}:${eb.name} already exists`);
    }
    for (const [app, ep] of [
      [appA, ea],
      [appB, eb],
    ] as const) {
      const count = this.relationsOf(app).filter((r) =>
        r.sides.some((s) => s.app === app && s.endpoint === ep.name),
      ).length;
      if (ep.limit !== undefined && count >= ep.limit) {
        throw new ControllerError(`endpoint ${app}:${ep.name} is at its limit of ${ep.limit} relation(s)`);
      }
    }
    const id = this.model.nextRelationId++;
    const r: RelRec = {
      id,
      interface: ea.interface,
      peer: false,
      sides: [
        { app: appA, endpoint: ea.name },
        { app: appB, endpoint: eb.name },
      ],
      dying: false,
      bags: { [appA]: {}, [appB]: {} },
    };
    this.model.relations[String(id)] = r;
    const all = this.liveUnits(appA).concat(this.liveUnits(appB));
    for (const u of all) this.fillUnitBag(r, u);
    for (const u of all) this.enqueue(u, this.relEvent(r, u, "created"));
    for (const u of all) {
      for (const remote of this.remoteUnits(r, u)) {
        this.enqueue(u, this.relEvent(r, u, "joined", remote.name));
        this.enqueue(u, this.relEvent(r, u, "changed", remote.name));
      }
    }
    this.save();
    for (const u of all) this.kick(u.name);
    this.say(`related ${appA}:${ea.name} ${appB}:${eb.name} (id ${id})`);
    return id;
  }

  private findRelation(a: string, b: string): RelRec | undefined {
    return Object.values(this.model.relations).find((r) => {
      if (r.peer || r.dying) return false;
      const keys = r.sides.map((s) => `${s.app}:${s.endpoint}`);
      const match = (x: string) => keys.includes(x) || (!x.includes(":") && r.sides.some((s) => s.app === x));
      return match(a) && match(b);
    });
  }

  /** Removes a relation: each side gets -departed per remote unit, then -broken. */
  removeRelation(a: string, b: string): void {
    const r = this.findRelation(a, b);
    if (!r) throw new ControllerError(`relation ${a} ${b} not found`);
    r.dying = true;
    for (const side of r.sides) {
      for (const u of this.liveUnits(side.app)) {
        for (const remote of [...(u.view[String(r.id)] ?? [])].sort(byUnitNumber)) {
          const ev = this.relEvent(r, u, "departed", remote);
          ev.env.JUJU_DEPARTING_UNIT = remote;
          this.enqueue(u, ev);
        }
        this.enqueue(u, this.relEvent(r, u, "broken"));
        this.kick(u.name);
      }
    }
    this.save();
  }

  /** Sets config values (converted to the option types) and fires config-changed on every unit. */
  setConfig(appName: string, values: Record<string, unknown>): void {
    const app = this.app(appName);
    const meta = this.meta(appName);
    const next = { ...app.config };
    for (const [k, v] of Object.entries(values)) {
      const r = coerceOption(meta, k, v);
      if ("error" in r) throw new ControllerError(`application "${appName}": ${r.error}`);
      next[k] = r.value;
    }
    app.config = next;
    for (const u of this.liveUnits(appName)) {
      this.enqueue(u, { hook: "config-changed", env: {} });
      this.kick(u.name);
    }
    this.save();
  }

  /** The effective config of an application (defaults overlaid with set values). */
  getConfig(appName: string): Record<string, unknown> {
    return effectiveConfig(this.meta(appName), this.app(appName).config);
  }

  /** Scales an application to `n` units: adds units, or removes the highest-numbered ones. */
  async scale(appName: string, n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 0) throw new ControllerError(`scale must be an integer >= 0, got ${n}`);
    this.app(appName);
    const live = this.liveUnits(appName);
    for (let i = live.length; i < n; i++) await this.addUnit(appName);
    for (const u of live.slice(n).reverse()) this.removeUnit(u);
    this.save();
  }

  private removeUnit(u: UnitRec): void {
    u.dying = true;
    for (const r of this.relationsOf(u.app)) {
      for (const remote of [...(u.view[String(r.id)] ?? [])].sort(byUnitNumber)) {
        const ev = this.relEvent(r, u, "departed", remote);
        ev.env.JUJU_DEPARTING_UNIT = u.name;
        this.enqueue(u, ev);
      }
      this.enqueue(u, this.relEvent(r, u, "broken"));
      for (const other of this.remoteUnits(r, u)) {
        const ev = this.relEvent(r, other, "departed", u.name);
        ev.env.JUJU_DEPARTING_UNIT = u.name;
        this.enqueue(other, ev);
        this.kick(other.name);
      }
    }
    for (const s of this.meta(u.app).storage)
      this.enqueue(u, { hook: `${s}-storage-detaching`, env: { JUJU_STORAGE_ID: `${s}/0` } });
    this.enqueue(u, { hook: "stop", env: {} });
    this.enqueue(u, { hook: "remove", env: {} });
    const app = this.model.apps[u.app]!;
    if (app.leader === u.name) {
      const next = this.liveUnits(u.app)[0];
      app.leader = next?.name;
      if (next) this.enqueue(next, { hook: "leader-elected", env: {} });
      if (next) this.kick(next.name);
    }
    this.kick(u.name);
  }

  /** Removes an application and all its units and relations. */
  async removeApplication(appName: string): Promise<void> {
    const app = this.app(appName);
    for (const r of this.relationsOf(appName)) if (!r.peer) r.dying = true;
    for (const u of this.liveUnits(appName).reverse()) this.removeUnit(u);
    app.dying = true;
    this.save();
  }

  /** Runs an action on a unit and resolves with its outcome once it ran. */
  runAction(unitName: string, action: string, params: Record<string, unknown> = {}): Promise<ActionResult> {
    const u = this.unit(unitName);
    if (u.dying) throw new ControllerError(`unit "${unitName}" is being removed`);
    const meta = this.meta(u.app);
    const a = meta.actions[action];
    if (!a)
      throw new ControllerError(
        `action "${action}" not defined for ${u.app} (defined: ${Object.keys(meta.actions).sort().join(", ") || "none"})`,
      );
    const id = String(++this.seq);
    return new Promise((resolveAction) => {
      this.actions.set(id, {
        resolve: resolveAction,
        name: action,
        params: { ...a.paramDefaults, ...params },
      });
      this.enqueue(u, {
        hook: action,
        env: { JUJU_ACTION_NAME: action, JUJU_ACTION_UUID: id, JUJU_ACTION_TAG: `action-${id}` },
        actionId: id,
      });
      this.kick(u.name);
    });
  }

  /** Lets a unit stuck in error skip the failed hook and go on (`juju resolve --no-retry`). */
  resolveUnit(unitName: string): void {
    const u = this.unit(unitName);
    if (u.agent !== "error") return;
    u.queue.shift();
    u.agent = "idle";
    u.error = undefined;
    u.failures = 0;
    this.save();
    this.kick(unitName);
  }

  /** True when no unit has queued or running hooks, pending retries or pending removal. */
  isIdle(): boolean {
    if (this.running.size > 0 || this.retryTimers.size > 0) return false;
    return Object.values(this.model.units).every((u) => u.queue.length === 0 || u.agent === "error");
  }

  /** Resolves when the model is idle; rejects after `timeoutMs` (default 5 min). */
  waitIdle(opts: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
    return new Promise((res, rej) => {
      const check = () => {
        if (!this.isIdle()) return;
        cleanup();
        res();
      };
      const timer = setTimeout(() => {
        cleanup();
        const busy = Object.values(this.model.units)
          .filter((u) => u.queue.length > 0)
          .map((u) => `${u.name} (${u.queue[0]?.hook})`);
        rej(new ControllerError(`model not idle after ${timeoutMs} ms: ${busy.join(", ")}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off("change", check);
      };
      this.on("change", check);
      setImmediate(check);
    });
  }

  /** A `juju status`-like snapshot. */
  status(): ModelStatus {
    const apps = Object.values(this.model.apps)
      .filter((a) => !a.dying)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const units = Object.values(this.model.units).sort((a, b) => byUnitNumber(a.name, b.name));
    return {
      model: { name: this.model.name, uuid: this.model.uuid },
      applications: apps.map((a) => {
        const us = units.filter((u) => u.app === a.name && !u.dying);
        const err = us.find((u) => u.error);
        const st = err
          ? { status: "error", message: err.error ?? "" }
          : a.status.status !== "unknown"
            ? a.status
            : worst(us.map((u) => u.status));
        return {
          name: a.name,
          charm: this.metas.get(a.name)?.name ?? a.charm,
          version: a.workloadVersion,
          scale: us.length,
          status: st.status,
          message: st.message,
          leader: a.leader,
        };
      }),
      units: units.map((u) => ({
        name: u.name,
        workload: u.error ? "error" : u.dying ? "terminated" : u.status.status,
        agent: u.agent,
        address: u.address,
        message: u.error ?? u.status.message,
        leader: this.model.apps[u.app]?.leader === u.name,
        ports: [...u.ports].sort(),
      })),
      relations: Object.values(this.model.relations)
        .sort((a, b) => a.id - b.id)
        .map((r) => {
          const prov =
            r.sides.find((s) => this.metas.get(s.app)?.endpoints[s.endpoint]?.role === "provides") ??
            r.sides[0]!;
          const req = r.sides.find((s) => s !== prov) ?? prov;
          return {
            id: r.id,
            provider: `${prov.app}:${prov.endpoint}`,
            requirer: `${req.app}:${req.endpoint}`,
            interface: r.interface,
            peer: r.peer,
          };
        }),
    };
  }

  /** Every databag of a relation as committed (owner name to bag), for tests and tools. */
  relationData(id: number): Record<string, Record<string, string>> {
    const r = this.model.relations[String(id)];
    if (!r) throw new ControllerError(`relation ${id} not found`);
    return clone(r.bags);
  }

  /** Relation ids with their endpoints, e.g. `{id: 3, sides: ["prom:metrics-endpoint", "t:metrics-endpoint"]}`. */
  relations(): { id: number; sides: string[]; peer: boolean }[] {
    return Object.values(this.model.relations).map((r) => ({
      id: r.id,
      sides: r.sides.map((s) => `${s.app}:${s.endpoint}`),
      peer: r.peer,
    }));
  }

  /** The controller-side state (`state-set`) of a unit. */
  unitState(unit: string): Record<string, string> {
    return clone(this.unit(unit).state);
  }

  /** Stops containers, timers and the tool socket; kills running hooks. The model stays on disk. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.updateTimer) clearInterval(this.updateTimer);
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
    for (const p of this.procs) p.kill("SIGKILL");
    await Promise.allSettled([...this.running.values()]);
    for (const u of Object.keys(this.model.units)) await this.stopContainers(u);
    this.save();
    await new Promise<void>((r) => (this.toolServer ? this.toolServer.close(() => r()) : r()));
    rmSync(join(this.home, "agent.sock"), { force: true });
  }

  // ----- relations helpers --------------------------------------------------------------------

  private liveUnits(app: string): UnitRec[] {
    return Object.values(this.model.units)
      .filter((u) => u.app === app && !u.dying)
      .sort((a, b) => byUnitNumber(a.name, b.name));
  }

  private relationsOf(app: string): RelRec[] {
    return Object.values(this.model.relations)
      .filter((r) => !r.dying && r.sides.some((s) => s.app === app))
      .sort((a, b) => a.id - b.id);
  }

  private remoteAppOf(r: RelRec, app: string): string {
    return r.peer ? app : (r.sides.find((s) => s.app !== app)?.app ?? app);
  }

  private endpointOf(r: RelRec, app: string): string {
    return r.sides.find((s) => s.app === app)?.endpoint ?? "";
  }

  /** Live units on the other side of `r` from `u` (other peers for a peer relation). */
  private remoteUnits(r: RelRec, u: UnitRec): UnitRec[] {
    const app = this.remoteAppOf(r, u.app);
    return this.liveUnits(app).filter((x) => x.name !== u.name);
  }

  private fillUnitBag(r: RelRec, u: UnitRec): void {
    r.bags[u.name] = {
      ...(r.bags[u.name] ?? {}),
      "egress-subnets": `${u.address}/32`,
      "ingress-address": u.address,
      "private-address": u.address,
    };
  }

  private relEvent(r: RelRec, u: UnitRec, kind: string, remoteUnit?: string): QueuedEvent {
    const ep = this.endpointOf(r, u.app);
    const env: Record<string, string> = {
      JUJU_RELATION: ep,
      JUJU_RELATION_ID: `${ep}:${r.id}`,
      JUJU_REMOTE_APP: this.remoteAppOf(r, u.app),
    };
    if (remoteUnit !== undefined) env.JUJU_REMOTE_UNIT = remoteUnit;
    return {
      hook: `${ep}-relation-${kind}`,
      env,
      relationId: r.id,
      ...(remoteUnit !== undefined ? { remoteUnit } : {}),
    };
  }

  // ----- the per-unit hook loop ---------------------------------------------------------------

  private enqueue(u: UnitRec, ev: QueuedEvent): void {
    u.queue.push(ev);
  }

  private kick(unit: string): void {
    if (this.closed || this.running.has(unit) || this.retryTimers.has(unit)) return;
    const u = this.model.units[unit];
    if (!u || u.queue.length === 0 || u.agent === "error") return;
    const p = this.runNext(u)
      .catch((e) => this.say(`internal error running ${unit}: ${(e as Error).stack}`))
      .finally(() => {
        this.running.delete(unit);
        this.emit("change");
        this.kick(unit);
      });
    this.running.set(unit, p);
  }

  private async runNext(u: UnitRec): Promise<void> {
    const ev = u.queue[0]!;
    const rid = ev.relationId === undefined ? undefined : String(ev.relationId);
    const rel = rid === undefined ? undefined : this.model.relations[rid];
    // A change notification for a unit this unit no longer (or not yet) sees is moot.
    if (
      ev.hook.endsWith("-relation-changed") &&
      (!rel || !u.view[rid!] || (ev.remoteUnit && !u.view[rid!]!.includes(ev.remoteUnit)))
    ) {
      u.queue.shift();
      return;
    }
    if (ev.hook.endsWith("-relation-created") && rel) u.view[rid!] = u.view[rid!] ?? [];
    if (ev.hook.endsWith("-relation-joined") && rel && ev.remoteUnit) {
      if (!u.view[rid!]) u.view[rid!] = [];
      if (!u.view[rid!]!.includes(ev.remoteUnit)) u.view[rid!]!.push(ev.remoteUnit);
      u.view[rid!]!.sort(byUnitNumber);
    }
    if (ev.hook.endsWith("-relation-departed") && rid !== undefined && ev.remoteUnit) {
      u.view[rid] = (u.view[rid] ?? []).filter((x) => x !== ev.remoteUnit);
    }
    if ((ev.hook.endsWith("-relation-joined") || ev.hook.endsWith("-relation-departed")) && !rel) {
      u.queue.shift();
      return;
    }
    if (u.agent === "allocating") u.status = { status: "unknown", message: "" };
    u.agent = "executing";
    this.save();
    const ctx = new HookContext(this, u, ev, ++this.seq);
    this.contexts.set(ctx.id, ctx);
    const started = Date.now();
    const code = await this.spawnDispatch(u, ev, ctx);
    this.contexts.delete(ctx.id);
    this.history.push({ unit: u.name, hook: ev.hook, env: ev.env, exitCode: code, ms: Date.now() - started });
    if (this.closed) return;
    const action = ev.actionId === undefined ? undefined : this.actions.get(ev.actionId);
    if (action) {
      this.actions.delete(ev.actionId!);
      u.queue.shift();
      u.agent = "idle";
      const failed = code !== 0 || ctx.actionFailure !== undefined;
      if (code === 0) this.commit(u, ctx);
      action.resolve({
        unit: u.name,
        action: action.name,
        status: failed ? "failed" : "completed",
        message: ctx.actionFailure ?? (code !== 0 ? `exit status ${code}` : ""),
        results: ctx.actionResults,
        logs: ctx.actionLogs,
        exitCode: code,
        stdout: ctx.stdout,
        stderr: ctx.stderr,
      });
      this.save();
      return;
    }
    if (code === 0) {
      u.queue.shift();
      u.failures = 0;
      u.error = undefined;
      u.agent = "idle";
      if (ev.hook.endsWith("-relation-broken") && rid !== undefined) delete u.view[rid];
      if (ev.hook === "start") u.started = true;
      this.commit(u, ctx);
      if (ev.hook === "remove") await this.forgetUnit(u);
      this.gcRelations();
      this.save();
      return;
    }
    u.failures++;
    u.agent = "error";
    u.error = `hook failed: "${ev.hook}"`;
    this.logUnit(
      u.name,
      `ERROR hook "${ev.hook}" (via hook dispatching script: dispatch) failed: exit status ${code}`,
    );
    const max = this.opts.maxHookRetries ?? 5;
    if (u.failures <= max) {
      const delay = (this.opts.retryDelayMs ?? 1000) * 2 ** (u.failures - 1);
      this.retryTimers.set(
        u.name,
        setTimeout(() => {
          this.retryTimers.delete(u.name);
          u.agent = "idle";
          this.kick(u.name);
        }, delay),
      );
    }
    this.save();
  }

  private async forgetUnit(u: UnitRec): Promise<void> {
    await this.stopContainers(u.name);
    delete this.model.units[u.name];
    for (const r of Object.values(this.model.relations)) delete r.bags[u.name];
    const app = this.model.apps[u.app];
    if (
      app?.dying &&
      this.liveUnits(u.app).length === 0 &&
      !Object.values(this.model.units).some((x) => x.app === u.app)
    ) {
      delete this.model.apps[u.app];
      for (const r of Object.values(this.model.relations))
        if (r.peer && r.sides[0]?.app === u.app) delete this.model.relations[String(r.id)];
    }
    rmSync(this.unitDir(u.name), { recursive: true, force: true });
  }

  /** Drops dying relations that no unit still sees or has events for. */
  private gcRelations(): void {
    for (const r of Object.values(this.model.relations)) {
      if (!r.dying) continue;
      const key = String(r.id);
      const inUse = Object.values(this.model.units).some(
        (u) => u.view[key] || u.queue.some((e) => e.relationId === r.id),
      );
      if (!inUse) delete this.model.relations[key];
    }
  }

  private spawnDispatch(u: UnitRec, ev: QueuedEvent, ctx: HookContext): Promise<number | null> {
    const charmDir = this.unitCharmDir(u.name);
    const inherited: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      // A controller started from inside a hook must not leak that hook's identity.
      if (v !== undefined && !k.startsWith("JUJU_") && k !== "CHARM_DIR") inherited[k] = v;
    }
    const env: Record<string, string> = {
      ...inherited,
      PATH: `${this.toolsDir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      JUJU_DISPATCH_PATH: ev.actionId === undefined ? `hooks/${ev.hook}` : `actions/${ev.hook}`,
      JUJU_HOOK_NAME: ev.actionId === undefined ? ev.hook : "",
      JUJU_UNIT_NAME: u.name,
      JUJU_MODEL_NAME: this.model.name,
      JUJU_MODEL_UUID: this.model.uuid,
      JUJU_VERSION,
      JUJU_CHARM_DIR: charmDir,
      CHARM_DIR: charmDir,
      JUJU_CONTEXT_ID: ctx.id,
      JUJU_AGENT_SOCKET_ADDRESS: join(this.home, "agent.sock"),
      JUJU_AGENT_SOCKET_NETWORK: "unix",
      JUJU_API_ADDRESSES: "",
      JUJU_MACHINE_ID: "",
      JUJU_AVAILABILITY_ZONE: "",
      CHARMKIT_PEBBLE_SOCKET_DIR: this.containersDir(u.name),
      CHARMKIT_UNIT_FQDN: u.address,
      ...ev.env,
    };
    this.logUnit(
      u.name,
      `running ${ev.hook}${ev.env.JUJU_REMOTE_UNIT ? ` (remote ${ev.env.JUJU_REMOTE_UNIT})` : ""}`,
    );
    return new Promise((res) => {
      const child = spawn(join(charmDir, "dispatch"), [], {
        cwd: charmDir,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.procs.add(child);
      const timer = setTimeout(() => child.kill("SIGKILL"), this.opts.hookTimeoutMs ?? 600_000);
      child.stdout?.on("data", (d: Buffer) => {
        ctx.stdout += d.toString();
        this.logUnit(u.name, d.toString());
      });
      child.stderr?.on("data", (d: Buffer) => {
        ctx.stderr += d.toString();
        this.logUnit(u.name, d.toString());
      });
      child.on("error", (e) => {
        this.logUnit(u.name, `cannot run dispatch: ${e.message}`);
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        this.procs.delete(child);
        res(code === null ? null : code);
      });
    });
  }

  private commit(u: UnitRec, ctx: HookContext): void {
    for (const [key, updates] of ctx.bagWrites) {
      const [rid, owner] = splitKey(key);
      const r = this.model.relations[rid];
      if (!r) continue;
      const bag = { ...(r.bags[owner] ?? {}) };
      let changed = false;
      for (const [k, v] of Object.entries(updates)) {
        if (v === "") {
          if (k in bag) {
            delete bag[k];
            changed = true;
          }
        } else if (bag[k] !== v) {
          bag[k] = v;
          changed = true;
        }
      }
      if (!changed) continue;
      r.bags[owner] = bag;
      this.fanOut(r, u, owner);
    }
    for (const [k, v] of Object.entries(ctx.stateWrites)) {
      if (v === null) delete u.state[k];
      else u.state[k] = v;
    }
    if (ctx.ports) u.ports = [...ctx.ports].sort();
    for (const m of ctx.secretMutations) m(this.model.secrets);
  }

  private fanOut(r: RelRec, writer: UnitRec, owner: string): void {
    const key = String(r.id);
    const isApp = !owner.includes("/");
    const targets = r.peer
      ? this.liveUnits(writer.app).filter((x) => x.name !== writer.name)
      : this.liveUnits(this.remoteAppOf(r, writer.app));
    for (const t of targets) {
      const seen = t.view[key];
      const pendingCreate = t.queue.some(
        (e) => e.relationId === r.id && e.hook.endsWith("-relation-created"),
      );
      if (!seen && !pendingCreate) continue;
      if (!isApp && seen && !seen.includes(owner)) continue;
      const remote = isApp ? "" : owner;
      const dup = t.queue
        .slice(this.running.has(t.name) ? 1 : 0)
        .some(
          (e) => e.relationId === r.id && e.hook.endsWith("-relation-changed") && e.remoteUnit === remote,
        );
      if (dup) continue;
      this.enqueue(t, this.relEvent(r, t, "changed", remote));
      this.kick(t.name);
    }
  }

  // ----- hook tools ---------------------------------------------------------------------------

  private handleTool(req: ToolRequest): ToolReply {
    const ctx = this.contexts.get(req.contextId);
    if (!ctx) return { code: 1, stdout: "", stderr: `ERROR context "${req.contextId}" is not running\n` };
    return runTool(ctx, req);
  }

  /** @internal used by HookContext */
  _model(): ModelFile {
    return this.model;
  }

  /** @internal */
  _meta(app: string): CharmMeta {
    return this.meta(app);
  }

  /** @internal */
  _action(id: string | undefined): { name: string; params: Record<string, unknown> } | undefined {
    return id === undefined ? undefined : this.actions.get(id);
  }

  /** @internal */
  _log(unit: string, line: string): void {
    this.logUnit(unit, line);
  }

  /** @internal status-set and application-version-set apply at once. */
  _changed(): void {
    this.save();
  }

  /** @internal leader-set writes at once and tells the other units (leader-settings-changed). */
  _leaderSettingsChanged(app: string, leader: string): void {
    this.save();
    for (const u of this.liveUnits(app)) {
      if (u.name === leader) continue;
      const pending = u.queue.slice(this.running.has(u.name) ? 1 : 0);
      if (pending.some((e) => e.hook === "leader-settings-changed")) continue;
      this.enqueue(u, { hook: "leader-settings-changed", env: {} });
      this.kick(u.name);
    }
  }
}

function worst(list: StatusValue[]): StatusValue {
  const rank = ["error", "blocked", "maintenance", "waiting", "active", "unknown"];
  let best: StatusValue = { status: "unknown", message: "" };
  for (const s of list) if (rank.indexOf(s.status) < rank.indexOf(best.status)) best = s;
  return best;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf("|");
  return [key.slice(0, i), key.slice(i + 1)];
}

/** The model as one running hook sees it, with that hook's buffered writes. */
class HookContext implements ToolHost {
  readonly id: string;
  readonly unit: string;
  readonly app: string;
  readonly modelUuid: string;
  readonly address: string;
  readonly env: Record<string, string>;
  readonly endpoints: string[];
  readonly bagWrites = new Map<string, Record<string, string>>();
  readonly stateWrites: Record<string, string | null> = {};
  readonly secretMutations: ((s: Record<string, SecretRecord>) => void)[] = [];
  ports?: Set<string>;
  stdout = "";
  stderr = "";
  actionResults: Record<string, unknown> = {};
  actionLogs: string[] = [];
  actionFailure?: string;
  private readonly snapshots = new Map<string, Record<string, string> | undefined>();
  private readonly configSnapshot: Record<string, unknown>;

  constructor(
    private readonly c: Controller,
    private readonly u: UnitRec,
    private readonly ev: QueuedEvent,
    seq: number,
  ) {
    this.id = `${u.name}-${ev.hook}-${seq}-${randomBytes(4).toString("hex")}`;
    this.unit = u.name;
    this.app = u.app;
    this.modelUuid = c._model().uuid;
    this.address = u.address;
    this.env = ev.env;
    this.endpoints = Object.keys(c._meta(u.app).endpoints);
    const app = c._model().apps[u.app]!;
    this.configSnapshot = effectiveConfig(c._meta(u.app), app.config);
  }

  isLeader(): boolean {
    return this.c._model().apps[this.app]?.leader === this.unit;
  }

  config(): Record<string, unknown> {
    return this.configSnapshot;
  }

  relationIds(endpoint: string): number[] {
    const m = this.c._model();
    return Object.keys(this.u.view)
      .map(Number)
      .filter((id) => {
        const r = m.relations[String(id)];
        return r?.sides.some((s) => s.app === this.app && s.endpoint === endpoint);
      })
      .sort((a, b) => a - b);
  }

  relation(id: number) {
    const r = this.c._model().relations[String(id)];
    const units = this.u.view[String(id)];
    if (!r || !units) return undefined;
    const mine = r.sides.find((s) => s.app === this.app);
    if (!mine) return undefined;
    const remoteApp = r.peer ? this.app : (r.sides.find((s) => s.app !== this.app)?.app ?? this.app);
    return { id, endpoint: mine.endpoint, remoteApp, peer: r.peer, units: [...units] };
  }

  readBag(relationId: number, owner: string): Record<string, string> | undefined {
    const key = `${relationId}|${owner}`;
    if (!this.snapshots.has(key)) {
      const bag = this.c._model().relations[String(relationId)]?.bags[owner];
      this.snapshots.set(key, bag ? { ...bag } : undefined);
    }
    const base = this.snapshots.get(key);
    const writes = this.bagWrites.get(key);
    if (!base && !writes) return undefined;
    const res = { ...(base ?? {}) };
    for (const [k, v] of Object.entries(writes ?? {})) {
      if (v === "") delete res[k];
      else res[k] = v;
    }
    return res;
  }

  writeBag(relationId: number, owner: string, updates: Readonly<Record<string, string>>): void {
    const key = `${relationId}|${owner}`;
    this.bagWrites.set(key, { ...(this.bagWrites.get(key) ?? {}), ...updates });
  }

  unitStatus(): StatusValue {
    return { ...this.u.status };
  }

  appStatus() {
    const m = this.c._model();
    const units: Record<string, StatusValue> = {};
    for (const x of Object.values(m.units)) if (x.app === this.app) units[x.name] = { ...x.status };
    return { application: { ...m.apps[this.app]!.status }, units };
  }

  setStatus(application: boolean, s: StatusValue): void {
    if (application) this.c._model().apps[this.app]!.status = s;
    else this.u.status = s;
    this.c._changed();
  }

  setWorkloadVersion(v: string): void {
    this.c._model().apps[this.app]!.workloadVersion = v;
    this.c._changed();
  }

  log(level: string, message: string): void {
    this.c._log(this.unit, `${level} juju-log: ${message}`);
  }

  action() {
    return this.c._action(this.ev.actionId);
  }

  actionSet(results: Record<string, string>): void {
    for (const [k, v] of Object.entries(results)) {
      const parts = k.split(".");
      let o = this.actionResults;
      for (const p of parts.slice(0, -1)) {
        if (typeof o[p] !== "object" || o[p] === null) o[p] = {};
        o = o[p] as Record<string, unknown>;
      }
      o[parts[parts.length - 1]!] = v;
    }
  }

  actionLog(message: string): void {
    this.actionLogs.push(message);
    this.c._log(this.unit, `action-log: ${message}`);
  }

  actionFail(message: string): void {
    this.actionFailure = message;
  }

  openedPorts(): string[] {
    return [...(this.ports ?? new Set(this.u.ports))].sort();
  }

  setPort(open: boolean, spec: string): void {
    this.ports = this.ports ?? new Set(this.u.ports);
    if (open) this.ports.add(spec);
    else this.ports.delete(spec);
  }

  storage() {
    const dir = join(this.c.unitCharmDir(this.unit), "..", "storage");
    return this.c._meta(this.app).storage.map((s) => ({ id: `${s}/0`, location: join(dir, s, "0") }));
  }

  stateGet(): Record<string, string> {
    const res = { ...this.u.state };
    for (const [k, v] of Object.entries(this.stateWrites)) {
      if (v === null) delete res[k];
      else res[k] = v;
    }
    return res;
  }

  stateSet(updates: Readonly<Record<string, string | null>>): void {
    Object.assign(this.stateWrites, updates);
  }

  configKeys(): string[] {
    return Object.keys(this.c._meta(this.app).options).sort();
  }

  leaderSettings(): Record<string, string> {
    return { ...(this.c._model().apps[this.app]?.leaderSettings ?? {}) };
  }

  writeLeaderSettings(updates: Readonly<Record<string, string>>): void {
    const app = this.c._model().apps[this.app]!;
    const next = { ...(app.leaderSettings ?? {}) };
    for (const [k, v] of Object.entries(updates)) {
      if (v === "") delete next[k];
      else next[k] = v;
    }
    app.leaderSettings = next;
    this.c._leaderSettingsChanged(this.app, this.unit);
  }

  secrets(): Readonly<Record<string, SecretRecord>> {
    const copy = clone(this.c._model().secrets);
    for (const m of this.secretMutations) m(copy);
    return copy;
  }

  mutateSecrets(fn: (s: Record<string, SecretRecord>) => void): void {
    this.secretMutations.push(fn);
  }

  newSecretId(): string {
    const alphabet = "0123456789abcdefghijklmnopqrstuv";
    return [...randomBytes(20)].map((b) => alphabet[b % 32]).join("");
  }

  goalState(): unknown {
    const m = this.c._model();
    const since = new Date().toISOString();
    const units: Record<string, unknown> = {};
    for (const x of Object.values(m.units)) {
      if (x.app === this.app) units[x.name] = { status: x.dying ? "dying" : "active", since };
    }
    const relations: Record<string, Record<string, unknown>> = {};
    for (const r of Object.values(m.relations)) {
      const mine = r.sides.find((s) => s.app === this.app);
      if (!mine || r.dying) continue;
      const remoteApp = r.peer ? this.app : (r.sides.find((s) => s.app !== this.app)?.app ?? this.app);
      const entry = relations[mine.endpoint] ?? {};
      entry[remoteApp] = { status: "joined", since };
      for (const x of Object.values(m.units)) {
        if (x.app === remoteApp && x.name !== this.unit)
          entry[x.name] = { status: x.dying ? "dying" : "active", since };
      }
      relations[mine.endpoint] = entry;
    }
    return { units, relations };
  }
}

async function loadBundler(): Promise<(opts: { charmDir: string; outDir: string }) => Promise<unknown>> {
  // The build tooling's package export; no fallback path: a missing or broken package must fail
  // the deploy loudly, not bundle with something else.
  const mod = (await import("@charmkit/build/bundle")) as {
    bundleCharm?: (o: { charmDir: string; outDir: string }) => Promise<unknown>;
  };
  if (!mod.bundleCharm) throw new ControllerError("@charmkit/build/bundle exports no bundleCharm");
  return mod.bundleCharm;
}

let pebbleFactory: ((o: ContainerServerOptions) => ContainerServer) | undefined;

async function loadPebbleFactory(
  log: (line: string) => void,
): Promise<(o: ContainerServerOptions) => ContainerServer> {
  if (pebbleFactory) return pebbleFactory;
  for (const file of ["./pebble/index.ts", "./pebble/server.ts"]) {
    const url = new URL(file, import.meta.url);
    if (!existsSync(url)) continue;
    try {
      const mod = (await import(url.href)) as {
        PebbleServer?: new (o: ContainerServerOptions) => ContainerServer;
      };
      const Ctor = mod.PebbleServer;
      if (Ctor) {
        pebbleFactory = (o) => new Ctor(o);
        return pebbleFactory;
      }
    } catch (e) {
      log(`cannot load the Pebble server from ${file}: ${(e as Error).message}`);
    }
  }
  log("no Pebble server available; containers have no socket");
  pebbleFactory = () => ({ start: async () => {}, stop: async () => {} });
  return pebbleFactory;
}

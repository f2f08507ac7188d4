/**
 * The local controller: the operations of a model (deploy, relate, config, scale, actions,
 * removal) and the order of hooks each one queues, as Juju orders them. The parts it drives live
 * in `runtime/`: the model store and its persistence (`model.ts`), charm preparation
 * (`charms.ts`), the per-unit hook loop (`scheduler.ts`), the hook process (`hook-runner.ts`), the
 * hook context the tools act on (`hook-context.ts`), workload containers (`containers.ts`) and
 * the status view (`status.ts`). The model is saved under `home` after every change and reloaded
 * by `Controller.open`, so it survives a restart.
 */
import { EventEmitter } from "node:events";
import { mkdirSync, rmSync } from "node:fs";
import type { Server } from "node:net";
import { join, resolve } from "node:path";
import { type Bundle, resolveRelation } from "./bundle.js";
import { type CharmMeta, coerceOption, effectiveConfig, loadCharmMeta } from "./charm-meta.js";
import { installHookTools } from "./hooktools/install.js";
import { runTool } from "./hooktools/tools.js";
import { serveHookTools, type ToolReply, type ToolRequest } from "./hooktools/wire.js";
import { removeCreatedMountPoints } from "./pebble/sandbox.js";
import { podAddress, unitFqdn } from "./pods/naming.js";
import { type Pod, PodRuntime, podTools } from "./pods/runtime.js";
import { isPackedCharm, linkTree, prepareCharm, unpackedCharm } from "./runtime/charms.js";
import { type ContainerServerFactory, Containers } from "./runtime/containers.js";
import { ControllerError } from "./runtime/errors.js";
import { type RelationEventKind, relationEvent } from "./runtime/events.js";
import { HookRunner } from "./runtime/hook-runner.js";
import { ModelLayout } from "./runtime/layout.js";
import {
  byUnitNumber,
  clone,
  ModelStore,
  type QueuedEvent,
  type RelRec,
  type UnitRec,
} from "./runtime/model.js";
import { type ActionResult, type ExecOutcome, type HookRecord, Scheduler } from "./runtime/scheduler.js";
import { type ModelStatus, modelStatus } from "./runtime/status.js";

export type { ContainerServer, ContainerServerOptions } from "./runtime/containers.js";
export { ControllerError } from "./runtime/errors.js";
export type { ActionResult, ExecOutcome, HookRecord } from "./runtime/scheduler.js";
export type { ModelStatus } from "./runtime/status.js";

/** What `showUnit` returns (the shape of `juju show-unit`'s entry for the unit). */
export interface UnitInfo {
  readonly unit: string;
  readonly leader: boolean;
  readonly address: string;
  readonly fqdn: string;
  readonly "opened-ports": readonly string[];
  readonly "relation-info": readonly {
    readonly "relation-id": number;
    readonly endpoint: string;
    readonly "related-endpoint": string;
    readonly "application-data": Readonly<Record<string, string>>;
    readonly "local-unit": { readonly "in-scope": boolean; readonly data: Readonly<Record<string, string>> };
    readonly "related-units": Readonly<
      Record<string, { readonly "in-scope": boolean; readonly data: Readonly<Record<string, string>> }>
    >;
  }[];
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
  /** Builds the Pebble server of a container; default: the runtime's `PebbleServer`. */
  readonly containerServer?: ContainerServerFactory;
  /** Progress and diagnostics of the controller itself. */
  readonly log?: (line: string) => void;
  /** The host's hosts file, where the model's FQDNs go (default /etc/hosts; tests use a scratch file). */
  readonly hostHosts?: string;
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
  private readonly layout: ModelLayout;
  private store!: ModelStore;
  private scheduler!: Scheduler;
  private containers!: Containers;
  private readonly metas = new Map<string, CharmMeta>();
  private pods!: PodRuntime;
  /** Each unit's hook-tool socket server. */
  private readonly toolServers = new Map<string, Server>();
  private updateTimer?: NodeJS.Timeout;

  private constructor(
    private readonly opts: ControllerOptions,
    home: string,
  ) {
    super();
    this.home = home;
    this.layout = new ModelLayout(home);
  }

  /** Opens (or creates) the model under `home`, starts the hook-tool socket, restores units. */
  static async open(opts: ControllerOptions = {}): Promise<Controller> {
    const home = resolve(opts.home ?? process.env.CHARMKIT_HOME ?? join(process.cwd(), ".charmkit"));
    const c = new Controller(opts, home);
    await c.init();
    return c;
  }

  /** Every hook run since this process opened the model, in order. */
  get history(): HookRecord[] {
    return this.scheduler.history;
  }

  private get model() {
    return this.store.data;
  }

  private async init(): Promise<void> {
    mkdirSync(this.home, { recursive: true });
    this.store = ModelStore.open(this.layout.modelFile, this.opts.modelName ?? "local", () =>
      this.emit("change"),
    );
    // The name goes into every FQDN (<app>-<n>.<app>-endpoints.<model>.svc.cluster.local).
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(this.model.name))
      throw new ControllerError(
        `invalid model name "${this.model.name}": lowercase letters, digits and hyphens, at most 63`,
      );
    const tools = podTools();
    this.pods = PodRuntime.open({
      home: this.home,
      model: this.model.name,
      subnet: this.model.network,
      podDir: (unit) => this.layout.podDir(unit),
      ...(this.opts.hostHosts !== undefined ? { hostHosts: this.opts.hostHosts } : {}),
    });
    this.model.network = this.pods.subnet;
    this.containers = new Containers(this.layout, this.opts.containerServer);
    const runner = new HookRunner({
      layout: this.layout,
      model: this.model,
      pods: () => this.pods,
      bwrap: tools.bwrap,
      meta: (app) => this.meta(app),
      hookTimeoutMs: this.opts.hookTimeoutMs ?? 600_000,
    });
    this.scheduler = new Scheduler({
      store: this.store,
      layout: this.layout,
      runner,
      meta: (app) => this.meta(app),
      release: (u) => this.releaseUnit(u),
      notify: () => this.emit("change"),
      say: this.say.bind(this),
      maxHookRetries: this.opts.maxHookRetries ?? 5,
      retryDelayMs: this.opts.retryDelayMs ?? 1000,
    });
    installHookTools(this.layout.toolsDir);
    for (const app of Object.values(this.model.apps))
      this.metas.set(app.name, loadCharmMeta(this.layout.charmSource(app.name)));
    // A restart is a pod restart for every unit: the hook that was running is run again,
    // containers come back and announce themselves with pebble-ready.
    for (const u of Object.values(this.model.units)) {
      u.failures = 0;
      u.error = undefined;
      u.agent = "idle";
      u.queue = u.queue.filter((e) => e.actionId === undefined && e.execId === undefined);
      const address = this.addressOf(u.name);
      if (address !== u.address) {
        // The model's network changed while it was down: Juju's own keys follow the new address.
        u.address = address;
        for (const r of this.store.relationsOf(u.app)) if (r.bags[u.name]) this.fillUnitBag(r, u);
      }
      await this.startPod(u);
      if (!u.dying && u.started) {
        for (const c of Object.keys(this.meta(u.app).containers).sort()) {
          this.scheduler.enqueue(u, { hook: `${c}-pebble-ready`, env: { JUJU_WORKLOAD_NAME: c } });
        }
      }
    }
    this.syncHosts();
    this.store.save();
    const interval = this.opts.updateStatusIntervalMs ?? 5 * 60_000;
    if (interval > 0) {
      this.updateTimer = setInterval(() => {
        for (const u of Object.values(this.model.units)) {
          if (u.dying) continue;
          if (u.queue.some((e) => this.scheduler.kindOf(u, e).kind === "update-status")) continue;
          this.scheduler.enqueue(u, { hook: "update-status", env: {} });
          this.scheduler.kick(u.name);
        }
      }, interval);
      this.updateTimer.unref();
    }
    for (const u of Object.values(this.model.units)) this.scheduler.kick(u.name);
  }

  /** The pod address of a unit: `10.<model>.<app index>.<unit number + 1>`. */
  private addressOf(unit: string): string {
    const [appName = "", n = "0"] = unit.split("/");
    const app = this.model.apps[appName];
    if (!app) throw new ControllerError(`application "${appName}" not found`);
    return podAddress(this.pods.subnet, app.index, Number(n));
  }

  /** Gives a unit its pod, its hook-tool socket and its workload containers. */
  private async startPod(u: UnitRec): Promise<Pod> {
    const meta = this.meta(u.app);
    for (const d of [this.layout.rootfsDir(u.name, "tmp"), this.layout.rootfsDir(u.name, "root")])
      mkdirSync(d, { recursive: true, mode: 0o1777 });
    for (const s of meta.storage) mkdirSync(this.layout.storageDir(u.name, s), { recursive: true });
    const pod = this.pods.addPod(u.name, u.address);
    const sock = this.layout.agentSocket(u.name);
    mkdirSync(this.layout.agentDir(u.name), { recursive: true });
    rmSync(sock, { force: true });
    this.toolServers.set(u.name, await serveHookTools(sock, (req) => this.handleTool(u.name, req)));
    await this.containers.start(u, meta, pod, this.pods);
    return pod;
  }

  /** Stops a removed unit's containers and tool socket and removes its pod. */
  private async releaseUnit(u: UnitRec): Promise<void> {
    await this.containers.stop(u.name);
    await closeServer(this.toolServers.get(u.name));
    this.toolServers.delete(u.name);
    this.pods.removePod(u.name);
    this.syncHosts();
  }

  /** Every pod's hosts files and the host's resolve every unit of the model. */
  private syncHosts(): void {
    this.pods.syncHosts(Object.values(this.model.units).map((u) => ({ unit: u.name, address: u.address })));
  }

  // ----- lookup -------------------------------------------------------------------------------

  private meta(app: string): CharmMeta {
    const m = this.metas.get(app);
    if (!m) throw new ControllerError(`application "${app}" not found`);
    return m;
  }

  private app(name: string) {
    const a = this.model.apps[name];
    if (!a || a.dying) throw new ControllerError(`application "${name}" not found`);
    return a;
  }

  private unit(name: string): UnitRec {
    const u = this.model.units[name];
    if (!u) throw new ControllerError(`unit "${name}" not found`);
    return u;
  }

  /** The charm directory a unit runs (its own copy, so `.unit-state.json` is per unit). */
  unitCharmDir(unit: string): string {
    return this.layout.unitCharmDir(unit);
  }

  /** The unit's log file (hook output and juju-log lines). */
  unitLogPath(unit: string): string {
    return this.layout.unitLogPath(unit);
  }

  /** The socket directory of a unit's containers (`<dir>/<container>/pebble.socket`). */
  containersDir(unit: string): string {
    return this.layout.containersDir(unit);
  }

  /** The address of a unit (its processes bind there). */
  unitAddress(unit: string): string {
    return this.unit(unit).address;
  }

  private say(line: string): void {
    this.opts.log?.(line);
  }

  private enqueue(u: UnitRec, ev: QueuedEvent): void {
    this.scheduler.enqueue(u, ev);
  }

  private kick(unit: string): void {
    this.scheduler.kick(unit);
  }

  private relEvent(r: RelRec, u: UnitRec, kind: RelationEventKind, remoteUnit?: string): QueuedEvent {
    return relationEvent(this.store, r, u, kind, remoteUnit);
  }

  // ----- operations ---------------------------------------------------------------------------

  /** Deploys a validated bundle: its applications (skipping existing ones), then its relations. */
  async deploy(bundle: Bundle): Promise<void> {
    for (const a of bundle.applications) {
      if (this.model.apps[a.name] && !this.model.apps[a.name]!.dying) continue;
      await this.addApplication(a.name, { charm: a.charm, scale: a.scale, options: a.options });
    }
    for (const [x, y] of bundle.relations) {
      if (this.store.findRelation(x, y)) continue;
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
    const meta = loadCharmMeta(isPackedCharm(charm) ? await unpackedCharm(charm) : charm);
    const config: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(spec.options ?? {})) {
      const r = coerceOption(meta, k, v);
      if ("error" in r) throw new ControllerError(`application "${name}": ${r.error}`);
      config[k] = r.value;
    }
    await prepareCharm(charm, this.layout.charmSource(name), join(this.home, "packed"));
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
    this.store.save();
  }

  /** Adds a unit and queues Juju's initial hooks, then -joined/-changed on both sides of its relations. */
  private async addUnit(appName: string): Promise<UnitRec> {
    const app = this.app(appName);
    const meta = this.meta(appName);
    const n = app.nextUnit++;
    const name = `${appName}/${n}`;
    const u: UnitRec = {
      name,
      app: appName,
      address: podAddress(this.pods.subnet, app.index, n),
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
    const dir = this.layout.unitDir(name);
    rmSync(dir, { recursive: true, force: true });
    linkTree(this.layout.charmSource(appName), this.layout.unitCharmDir(name));
    await this.startPod(u);
    this.syncHosts();
    const isLeader = !app.leader;
    if (isLeader) app.leader = name;
    for (const s of meta.storage)
      this.enqueue(u, { hook: `${s}-storage-attached`, env: { JUJU_STORAGE_ID: `${s}/0` } });
    this.enqueue(u, { hook: "install", env: {} });
    const rels = this.store.relationsOf(appName);
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
      for (const remote of this.store.remoteUnits(r, u)) {
        this.enqueue(u, this.relEvent(r, u, "joined", remote.name));
        this.enqueue(u, this.relEvent(r, u, "changed", remote.name));
        // The existing remote units learn about the new one.
        this.enqueue(remote, this.relEvent(r, remote, "joined", name));
        this.enqueue(remote, this.relEvent(r, remote, "changed", name));
        this.kick(remote.name);
      }
      const remoteApp = this.store.remoteAppOf(r, appName);
      if (!r.peer && Object.keys(r.bags[remoteApp] ?? {}).length > 0)
        this.enqueue(u, this.relEvent(r, u, "changed", ""));
    }
    this.say(`added unit ${name} at ${u.address}`);
    this.kick(name);
    return u;
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
    if (this.store.findRelation(`${appA}:${ea.name}`, `${appB}:${eb.name}`)) {
      throw new ControllerError(`relation ${appA}:${ea.name} ${appB}:${eb.name} already exists`);
    }
    for (const [app, ep] of [
      [appA, ea],
      [appB, eb],
    ] as const) {
      const count = this.store
        .relationsOf(app)
        .filter((r) => r.sides.some((s) => s.app === app && s.endpoint === ep.name)).length;
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
    const all = this.store.liveUnits(appA).concat(this.store.liveUnits(appB));
    for (const u of all) this.fillUnitBag(r, u);
    for (const u of all) this.enqueue(u, this.relEvent(r, u, "created"));
    for (const u of all) {
      for (const remote of this.store.remoteUnits(r, u)) {
        this.enqueue(u, this.relEvent(r, u, "joined", remote.name));
        this.enqueue(u, this.relEvent(r, u, "changed", remote.name));
      }
    }
    this.store.save();
    for (const u of all) this.kick(u.name);
    this.say(`related ${appA}:${ea.name} ${appB}:${eb.name} (id ${id})`);
    return id;
  }

  /** Removes a relation: each side gets -departed per remote unit, then -broken. */
  removeRelation(a: string, b: string): void {
    const r = this.store.findRelation(a, b);
    if (!r) throw new ControllerError(`relation ${a} ${b} not found`);
    r.dying = true;
    for (const side of r.sides) {
      for (const u of this.store.liveUnits(side.app)) {
        for (const remote of [...(u.view[String(r.id)] ?? [])].sort(byUnitNumber)) {
          const ev = this.relEvent(r, u, "departed", remote);
          ev.env.JUJU_DEPARTING_UNIT = remote;
          this.enqueue(u, ev);
        }
        this.enqueue(u, this.relEvent(r, u, "broken"));
        this.kick(u.name);
      }
    }
    this.store.save();
  }

  /**
   * Sets config values (converted to the option types), a null value resetting its option to the
   * charm's default, and fires config-changed on every unit.
   */
  setConfig(appName: string, values: Record<string, unknown>): void {
    const app = this.app(appName);
    const meta = this.meta(appName);
    const next = { ...app.config };
    for (const [k, v] of Object.entries(values)) {
      if (v === null) {
        // Back to the charm's default, as `juju config --reset` does.
        if (!meta.options[k])
          throw new ControllerError(`application "${appName}": unknown option "${k}" for charm ${meta.name}`);
        delete next[k];
        continue;
      }
      const r = coerceOption(meta, k, v);
      if ("error" in r) throw new ControllerError(`application "${appName}": ${r.error}`);
      next[k] = r.value;
    }
    app.config = next;
    for (const u of this.store.liveUnits(appName)) {
      this.enqueue(u, { hook: "config-changed", env: {} });
      this.kick(u.name);
    }
    this.store.save();
  }

  /** The effective config of an application (defaults overlaid with set values). */
  getConfig(appName: string): Record<string, unknown> {
    return effectiveConfig(this.meta(appName), this.app(appName).config);
  }

  /** Scales an application to `n` units: adds units, or removes the highest-numbered ones. */
  async scale(appName: string, n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 0) throw new ControllerError(`scale must be an integer >= 0, got ${n}`);
    this.app(appName);
    const live = this.store.liveUnits(appName);
    for (let i = live.length; i < n; i++) await this.addUnit(appName);
    for (const u of live.slice(n).reverse()) this.removeUnit(u);
    this.store.save();
  }

  /** Queues a unit's departure: -departed/-broken on its relations (and its peers'), detaching, stop, remove. */
  private removeUnit(u: UnitRec): void {
    u.dying = true;
    for (const r of this.store.relationsOf(u.app)) {
      for (const remote of [...(u.view[String(r.id)] ?? [])].sort(byUnitNumber)) {
        const ev = this.relEvent(r, u, "departed", remote);
        ev.env.JUJU_DEPARTING_UNIT = u.name;
        this.enqueue(u, ev);
      }
      this.enqueue(u, this.relEvent(r, u, "broken"));
      for (const other of this.store.remoteUnits(r, u)) {
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
      const next = this.store.liveUnits(u.app)[0];
      app.leader = next?.name;
      if (next) this.enqueue(next, { hook: "leader-elected", env: {} });
      if (next) this.kick(next.name);
    }
    this.kick(u.name);
  }

  /** Removes an application and all its units and relations. */
  async removeApplication(appName: string): Promise<void> {
    const app = this.app(appName);
    for (const r of this.store.relationsOf(appName)) if (!r.peer) r.dying = true;
    for (const u of this.store.liveUnits(appName).reverse()) this.removeUnit(u);
    app.dying = true;
    this.store.save();
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
    return this.scheduler.runAction(u, action, { ...a.paramDefaults, ...params });
  }

  /**
   * Runs a command in a unit's hook context, as `juju exec --unit` does: in the charm container,
   * after the hooks queued before it, with the hook tools and Juju's environment (no event);
   * resolves with its exit code and output. Its hook-tool writes are committed when it exits 0.
   */
  exec(unitName: string, argv: readonly string[]): Promise<ExecOutcome> {
    const u = this.unit(unitName);
    if (u.dying) throw new ControllerError(`unit "${unitName}" is being removed`);
    if (argv.length === 0) throw new ControllerError("exec needs a command");
    return this.scheduler.exec(u, argv);
  }

  /** Lets a unit stuck in error skip the failed hook and go on (`juju resolve --no-retry`). */
  resolveUnit(unitName: string): void {
    const u = this.unit(unitName);
    if (u.agent !== "error") return;
    u.queue.shift();
    u.agent = "idle";
    u.error = undefined;
    u.failures = 0;
    this.store.save();
    this.kick(unitName);
  }

  /** True when no unit has queued or running hooks, pending retries or pending removal. */
  isIdle(): boolean {
    return this.scheduler.isIdle();
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
    return modelStatus(this.model, (app) => this.metas.get(app));
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

  /**
   * A unit as `juju show-unit` shows it: its address and FQDN, and per relation the remote
   * application's data, each remote unit's data and this unit's own, as committed.
   */
  showUnit(unitName: string): UnitInfo {
    const u = this.unit(unitName);
    const relationInfo = this.store.relationsOf(u.app).map((r) => {
      const remoteApp = this.store.remoteAppOf(r, u.app);
      const related: Record<string, { "in-scope": boolean; data: Record<string, string> }> = {};
      for (const x of u.view[String(r.id)] ?? [])
        related[x] = { "in-scope": true, data: { ...(r.bags[x] ?? {}) } };
      return {
        "relation-id": r.id,
        endpoint: this.store.endpointOf(r, u.app),
        "related-endpoint": r.peer ? this.store.endpointOf(r, u.app) : this.store.endpointOf(r, remoteApp),
        "application-data": { ...(r.bags[remoteApp] ?? {}) },
        "local-unit": { "in-scope": true, data: { ...(r.bags[u.name] ?? {}) } },
        "related-units": related,
      };
    });
    return {
      unit: u.name,
      leader: this.model.apps[u.app]?.leader === u.name,
      address: u.address,
      fqdn: unitFqdn(u.name, this.model.name),
      "opened-ports": [...u.ports].sort(),
      "relation-info": relationInfo,
    };
  }

  /** The controller-side state (`state-set`) of a unit. */
  unitState(unit: string): Record<string, string> {
    return clone(this.unit(unit).state);
  }

  /**
   * Stops timers, hooks, containers and tool sockets, and removes the pods with everything the
   * model created on the host. The model stays on disk; `open` brings the pods back.
   */
  async close(): Promise<void> {
    if (this.updateTimer) clearInterval(this.updateTimer);
    await this.scheduler.close();
    for (const u of Object.keys(this.model.units)) await this.containers.stop(u);
    for (const [unit, server] of this.toolServers) {
      await closeServer(server);
      rmSync(this.layout.agentSocket(unit), { force: true });
    }
    this.toolServers.clear();
    this.store.save();
    this.pods.close();
    removeCreatedMountPoints();
  }

  // ----- helpers ------------------------------------------------------------------------------

  private fillUnitBag(r: RelRec, u: UnitRec): void {
    r.bags[u.name] = {
      ...(r.bags[u.name] ?? {}),
      "egress-subnets": `${u.address}/32`,
      "ingress-address": u.address,
      "private-address": u.address,
    };
  }

  /** A tool call on `unit`'s socket: only that unit's running hook can be addressed there. */
  private handleTool(unit: string, req: ToolRequest): ToolReply {
    const ctx = this.scheduler.context(req.contextId);
    if (!ctx || ctx.unit !== unit)
      return { code: 1, stdout: "", stderr: `ERROR context "${req.contextId}" is not running\n` };
    // The hook names files as its charm container sees them.
    return runTool(ctx, { ...req, resolvePath: (path) => ctx.resolvePath(req.cwd, path) });
  }
}

function closeServer(server: Server | undefined): Promise<void> {
  return new Promise((r) => (server ? server.close(() => r()) : r()));
}

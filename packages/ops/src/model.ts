/**
 * The typed Model a charm works with: its app and unit, config, relations and their databags,
 * leadership, status, ports, networks, storage and secrets. It sits on a `HookTools` backend,
 * caches reads for the dispatch (is-leader for 30 s), and enforces Juju's databag rules in the
 * client, before any hook tool runs.
 */

import type {
  AppStatusInfo,
  ConfigValue,
  HookTools,
  NetworkInfo,
  Port,
  SecretFields,
  SecretInfo,
  SettableStatusName,
  StatusInfo,
  StatusName,
} from "./backend.js";
import type { JujuContext } from "./context.js";
import { Container } from "./pebble/container.js";
import {
  InvalidConfigError,
  ModelError,
  RelationDataAccessError,
  RelationDataTypeError,
  RelationNotFoundError,
  TooManyRelatedAppsError,
  UnknownConfigKeyError,
} from "./errors.js";
import { localFqdn } from "./fqdn.js";
import type { CharmMeta, ConfigOptionMeta } from "./metadata.js";
import { compareUnits, type RelationViews } from "./relation-view.js";
import type { Databag, RelationSnapshot } from "./snapshot.js";

/** A status a charm sets or reads. */
export interface Status {
  readonly name: StatusName;
  readonly message: string;
}

/** `active` status. */
export const ActiveStatus = (message = ""): Status => ({ name: "active", message });
/** `blocked` status: the user must act; the message says how. */
export const BlockedStatus = (message: string): Status => ({ name: "blocked", message });
/** `maintenance` status: the charm is busy. */
export const MaintenanceStatus = (message: string): Status => ({ name: "maintenance", message });
/** `waiting` status: waiting on something outside the user's control. */
export const WaitingStatus = (message: string): Status => ({ name: "waiting", message });
/** `error` status: only meaningful from collect-status, where it fails the hook. */
export const ErrorStatus = (message: string): Status => ({ name: "error", message });

function toSettable(s: Status): SettableStatusName {
  if (s.name === "error" || s.name === "unknown") {
    throw new ModelError(`status "${s.name}" cannot be set by a charm`);
  }
  return s.name;
}

/**
 * The canonical form of a secret id, as ops writes it (ops/model.py `Secret._canonicalize_id`):
 * trimmed, and a bare id (`cs1...`) becomes `secret://<model-uuid>/<id>`; ids that already start
 * with `secret:` (`secret:cs1...`, `secret://<uuid>/cs1...`) are kept.
 */
export function canonicalSecretId(id: string, modelUuid: string): string {
  const trimmed = id.trim();
  return trimmed.startsWith("secret:") ? trimmed : `secret://${modelUuid}/${trimmed}`;
}

/** How long Juju's leadership lease lets us trust an is-leader answer. */
export const LEADER_CACHE_MS = 30_000;

/** Options of `Model`. */
export interface ModelOptions {
  readonly context: JujuContext;
  readonly metadata: CharmMeta;
  readonly backend: HookTools;
  /** Clock for the leadership cache; defaults to `Date.now`. */
  readonly now?: (() => number) | undefined;
  /**
   * The unit's FQDN; defaults to the machine's, as `socket.getfqdn()` finds it ({@link localFqdn}).
   * The testing harness passes its own.
   */
  readonly fqdn?: (() => string) | undefined;
}

/** The model of one dispatch. */
export class Model {
  readonly name: string;
  readonly uuid: string;
  readonly app: Application;
  readonly unit: Unit;
  readonly config: Config;
  /** @internal */
  readonly backend: HookTools;
  /** @internal */
  readonly context: JujuContext;
  /** @internal */
  readonly metadata: CharmMeta;
  /**
   * @internal The dispatch's cached relation views: a viewed endpoint's relation ids, members and
   * remote bags are read through them (set by the framework).
   */
  views: RelationViews | undefined;
  private readonly relationCache = new Map<string, Relation[]>();
  private readonly networkCache = new Map<string, Network>();

  constructor(opts: ModelOptions) {
    this.backend = opts.backend;
    this.context = opts.context;
    this.metadata = opts.metadata;
    this.name = opts.context.modelName;
    this.uuid = opts.context.modelUuid;
    this.app = new Application(this, opts.context.appName);
    this.unit = new Unit(this, opts.context.unitName, opts.now ?? Date.now, opts.fqdn ?? localFqdn);
    this.config = new Config(opts.metadata, () => opts.backend.configGet());
  }

  private endpointMeta(endpoint: string) {
    const m = this.metadata.relations[endpoint];
    if (!m) {
      throw new ModelError(`endpoint "${endpoint}" is not declared in the charm's requires/provides/peers`);
    }
    return m;
  }

  /** The active relations on an endpoint, by ascending id; a relation being broken is hidden. */
  relations(endpoint: string): Relation[] {
    const meta = this.endpointMeta(endpoint);
    let rels = this.relationCache.get(endpoint);
    if (!rels) {
      const broken =
        this.context.hookName === `${endpoint}-relation-broken` ? this.context.relationId : undefined;
      const ids = this.views?.has(endpoint)
        ? this.views.relationIds(endpoint)
        : this.backend.relationIds(endpoint);
      rels = ids
        .filter((id) => id !== broken)
        .map((id) => new Relation(this, endpoint, id, meta.role === "peers", true));
      this.relationCache.set(endpoint, rels);
    }
    return [...rels];
  }

  /**
   * One relation on an endpoint: by id when given (including the relation of a -broken event,
   * marked inactive), else the only one. Throws `TooManyRelatedAppsError` when there are several.
   */
  relation(endpoint: string, id?: number): Relation | undefined {
    const meta = this.endpointMeta(endpoint);
    const rels = this.relations(endpoint);
    if (id === undefined) {
      if (rels.length > 1) throw new TooManyRelatedAppsError(endpoint, rels.length);
      return rels[0];
    }
    const found = rels.find((r) => r.id === id);
    if (found) return found;
    if (this.context.relationName === endpoint && this.context.relationId === id) {
      return new Relation(this, endpoint, id, meta.role === "peers", false);
    }
    return undefined;
  }

  /** The network of a binding (an endpoint or `extra-bindings` name), cached per dispatch. */
  network(binding: string, relationId?: number): Network {
    const key = `${binding}#${relationId ?? ""}`;
    let n = this.networkCache.get(key);
    if (!n) {
      n = new Network(this.backend.networkGet(binding, relationId));
      this.networkCache.set(key, n);
    }
    return n;
  }

  /** The instances of a declared storage. */
  storages(name: string): Storage[] {
    if (!this.metadata.storage[name]) {
      throw new ModelError(`storage "${name}" is not declared in the charm's metadata`);
    }
    return this.backend.storageList(name).map((id) => new Storage(this.backend, id));
  }

  /** Ask Juju for more instances of a storage. */
  requestStorage(name: string, count = 1): void {
    if (!this.metadata.storage[name]) {
      throw new ModelError(`storage "${name}" is not declared in the charm's metadata`);
    }
    this.backend.storageAdd({ [name]: count });
  }

  /** A secret by id and/or label. Content is fetched on demand. */
  getSecret(lookup: { id?: string | undefined; label?: string | undefined }): Secret {
    if (lookup.id === undefined && lookup.label === undefined) {
      throw new ModelError("getSecret needs an id or a label");
    }
    const id = lookup.id === undefined ? undefined : canonicalSecretId(lookup.id, this.uuid);
    return new Secret(this.backend, id, lookup.label);
  }

  /** Ids of the secrets this unit (or, for the leader, app) owns. */
  secretIds(): string[] {
    return this.backend.secretIds();
  }

  /** @internal Drop cached relation lists (used between deferred re-runs is not needed; kept for tests). */
  clearCaches(): void {
    this.relationCache.clear();
    this.networkCache.clear();
  }
}

/** The local application. */
export class Application {
  constructor(
    private readonly model: Model,
    readonly name: string,
  ) {}

  /** Set the application status. Leader only: checked before calling Juju. */
  setStatus(status: Status): void {
    if (!this.model.unit.isLeader()) {
      throw new ModelError("only the leader can set the application status");
    }
    this.model.backend.statusSet(toSettable(status), status.message, true);
  }

  /** Read the application status and each unit's. Leader only. */
  getStatus(): AppStatusInfo {
    if (!this.model.unit.isLeader()) {
      throw new ModelError("only the leader can read the application status");
    }
    return this.model.backend.statusGet(true);
  }

  /** Create an application-owned secret (leader only); returns it with its new id. */
  addSecret(content: Record<string, string>, fields: SecretFields = {}): Secret {
    if (!this.model.unit.isLeader()) {
      throw new ModelError("only the leader can add an application-owned secret");
    }
    const id = this.model.backend.secretAdd({ ...fields, content, owner: "application" });
    return new Secret(this.model.backend, canonicalSecretId(id, this.model.uuid), fields.label);
  }
}

/** The local unit. */
export class Unit {
  private leader: { value: boolean; at: number } | undefined;

  constructor(
    private readonly model: Model,
    readonly name: string,
    private readonly now: () => number,
    private readonly fqdnOf: () => string,
  ) {}

  /** The app part of the unit name. */
  get appName(): string {
    return this.model.app.name;
  }

  /** Whether this unit leads; cached for Juju's 30 s lease, timed from before the call. */
  isLeader(): boolean {
    const t = this.now();
    if (this.leader && t - this.leader.at < LEADER_CACHE_MS) return this.leader.value;
    const value = this.model.backend.isLeader();
    this.leader = { value, at: t };
    return value;
  }

  /** Set this unit's status. */
  setStatus(status: Status): void {
    this.model.backend.statusSet(toSettable(status), status.message, false);
  }

  /** Read this unit's status. */
  getStatus(): StatusInfo {
    return this.model.backend.statusGet(false);
  }

  /** Set the workload version shown in `juju status`. */
  setWorkloadVersion(version: string): void {
    this.model.backend.applicationVersionSet(version);
  }

  /**
   * The unit's fully qualified host name, as the Python charms publish it (`socket.getfqdn()`):
   * on Kubernetes `<app>-<n>.<app>-endpoints.<model>.svc.cluster.local`, from the pod's
   * /etc/hosts. Every address this unit publishes should use it: the short pod host name does not
   * resolve in other pods.
   */
  get fqdn(): string {
    return this.fqdnOf();
  }

  /** The ports this unit has opened. */
  openedPorts(): Port[] {
    return this.model.backend.openedPorts();
  }

  /**
   * Juju refuses a port range for a Kubernetes application, on open and on close
   * (juju/juju worker/uniter/runner/context/ports.go `validatePortRangeForCAAS`). A charm that
   * declares workload containers is a sidecar charm, which only deploys on Kubernetes models, so
   * the range is refused here first, with Juju's message.
   */
  private checkPortForKubernetes(port: Port): void {
    if (Object.keys(this.model.metadata.containers).length === 0) return;
    if (port.toPort === undefined || port.toPort === port.port) return;
    throw new ModelError(
      `cannot open or close ${port.port}-${port.toPort}/${port.protocol}: port ranges are not supported for k8s applications, please specify a single port`,
    );
  }

  /** Open one port (a single port on Kubernetes). */
  openPort(port: Port): void {
    this.checkPortForKubernetes(port);
    this.model.backend.openPort(port);
  }

  /** Close one port (a single port on Kubernetes). */
  closePort(port: Port): void {
    this.checkPortForKubernetes(port);
    this.model.backend.closePort(port);
  }

  /** Make the opened ports exactly `ports`: open the missing ones, close the others. */
  setPorts(ports: readonly Port[]): void {
    const key = (p: Port) => `${p.protocol}:${p.port ?? ""}:${p.toPort ?? ""}`;
    const current = this.openedPorts();
    const want = new Map(ports.map((p) => [key(p), p]));
    const have = new Map(current.map((p) => [key(p), p]));
    for (const [k, p] of [...have].sort(([a], [b]) => a.localeCompare(b))) {
      if (!want.has(k)) this.closePort(p);
    }
    for (const [k, p] of [...want].sort(([a], [b]) => a.localeCompare(b))) {
      if (!have.has(k)) this.openPort(p);
    }
  }

  /** A workload container declared in metadata. */
  container(name: string): Container {
    if (!this.model.metadata.containers[name]) {
      throw new ModelError(`container "${name}" is not declared in the charm's containers`);
    }
    return new Container(name, this.model.backend.pebble(name));
  }

  /** Create a unit-owned secret; returns it with its new id. */
  addSecret(content: Record<string, string>, fields: SecretFields = {}): Secret {
    const id = this.model.backend.secretAdd({ ...fields, content, owner: "unit" });
    return new Secret(this.model.backend, canonicalSecretId(id, this.model.uuid), fields.label);
  }
}

/** Config options, typed by the metadata, with defaults applied. Loaded once per dispatch. */
export class Config {
  private values: Record<string, ConfigValue> | undefined;
  constructor(
    private readonly meta: CharmMeta,
    private readonly read: () => Record<string, ConfigValue>,
  ) {}

  private all(): Record<string, ConfigValue> {
    if (!this.values) this.values = this.read();
    return this.values;
  }

  /** The value of a declared option (or its default); `undefined` if neither is set. */
  get(key: string): ConfigValue | undefined {
    const opt = this.meta.config[key];
    if (!opt) throw new UnknownConfigKeyError(key);
    return this.all()[key] ?? opt.default;
  }

  /** A string option; throws if the value has another type. */
  getString(key: string): string | undefined {
    return this.typed(key, "string");
  }

  /** A numeric option (int or float). */
  getNumber(key: string): number | undefined {
    return this.typed(key, "number");
  }

  /** A boolean option. */
  getBoolean(key: string): boolean | undefined {
    return this.typed(key, "boolean");
  }

  private typed<T extends "string" | "number" | "boolean">(
    key: string,
    t: T,
  ): (T extends "string" ? string : T extends "number" ? number : boolean) | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== t) throw new ModelError(`config option "${key}" is a ${typeof v}, not a ${t}`);
    return v as never;
  }

  /**
   * Every declared option checked against its declared type (as ops' `load_config`): string and
   * secret options are strings, int options whole numbers, float options numbers, boolean options
   * booleans. Options without a value or default are absent. `T` is the charm's generated
   * `CharmcraftOptions` (src/charmcraft.gen.ts), whose fields match these checks.
   *
   * With `options.invalid`, a wrong-typed option does not throw: it is passed to `invalid` and
   * takes its declared default instead (absent when it has none, or a wrong-typed one), so one bad
   * option blocks only itself.
   *
   * @throws InvalidConfigError naming the first option whose value has the wrong type (unless
   *   `options.invalid` is given); its message suits a Blocked status.
   */
  load<T extends object = Record<string, ConfigValue>>(options: ConfigLoadOptions = {}): T {
    const out: Record<string, ConfigValue> = {};
    for (const [key, opt] of Object.entries(this.meta.config).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const v = this.get(key);
      if (v === undefined) continue;
      if (hasOptionType(opt.type, v)) {
        out[key] = v;
        continue;
      }
      const error = new InvalidConfigError(key, v, CONFIG_TYPE_TEXT[opt.type]);
      if (!options.invalid) throw error;
      options.invalid(error);
      if (opt.default !== undefined && hasOptionType(opt.type, opt.default)) out[key] = opt.default;
    }
    return out as T;
  }

  /** Every declared option with its value or default, sorted by key. */
  toObject(): Record<string, ConfigValue> {
    const out: Record<string, ConfigValue> = {};
    for (const key of Object.keys(this.meta.config).sort()) {
      const v = this.get(key);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
}

/** Options of {@link Config.load}. */
export interface ConfigLoadOptions {
  /** Receives each wrong-typed option instead of the load throwing; the option takes its default. */
  readonly invalid?: ((error: InvalidConfigError) => void) | undefined;
}

/** Whether `v` is a value of a config option declared with type `type`. */
function hasOptionType(type: ConfigOptionMeta["type"], v: ConfigValue): boolean {
  if (type === "int") return typeof v === "number" && Number.isInteger(v);
  if (type === "float") return typeof v === "number";
  if (type === "boolean") return typeof v === "boolean";
  return typeof v === "string";
}

/** What {@link Config.load} asks for, per declared type. */
const CONFIG_TYPE_TEXT: Readonly<Record<ConfigOptionMeta["type"], string>> = {
  string: "a string",
  secret: "a secret URI (a string)",
  int: "a whole number",
  float: "a number",
  boolean: "true or false",
};

/** One relation as seen from this unit. */
export class Relation {
  private appName: string | undefined | null = null;
  private unitList: string[] | undefined;
  private readonly remoteUnitBags = new Map<string, RelationDataBag>();
  private localApp: RelationDataBag | undefined;
  private localUnit: RelationDataBag | undefined;
  private remoteApp: RelationDataBag | undefined;

  constructor(
    private readonly model: Model,
    readonly endpoint: string,
    readonly id: number,
    /** Whether this is a peer relation (the remote app is our own app). */
    readonly isPeer: boolean,
    /** False for the relation of a -broken event. */
    readonly active: boolean,
  ) {}

  private isEventRelation(): boolean {
    return this.model.context.relationName === this.endpoint && this.model.context.relationId === this.id;
  }

  /** @internal The cached view of this relation, when its endpoint is viewed and it is active. */
  viewEntry(): ReturnType<RelationViews["entry"]> | undefined {
    const views = this.model.views;
    if (!this.active || views === undefined || !views.has(this.endpoint)) return undefined;
    return views.entry(this.endpoint, this.id, this.knownRemoteApp());
  }

  /** @internal The remote application's name when it is known without asking Juju. */
  knownRemoteApp(): string | undefined {
    if (this.isPeer) return this.model.app.name;
    if (this.isEventRelation() && this.model.context.remoteApp) return this.model.context.remoteApp;
    return this.appName ?? undefined;
  }

  /** The remote application's name (our own for peers); undefined if Juju has forgotten it. */
  get app(): string | undefined {
    const entry = this.viewEntry();
    if (entry) return entry.app;
    if (this.appName === null) {
      if (this.isPeer) this.appName = this.model.app.name;
      else if (this.isEventRelation() && this.model.context.remoteApp)
        this.appName = this.model.context.remoteApp;
      else {
        try {
          this.appName = this.model.backend.relationRemoteApp(this.id, this.endpoint);
        } catch (err) {
          if (!(err instanceof RelationNotFoundError)) throw err;
          this.appName = undefined;
        }
      }
    }
    return this.appName;
  }

  /**
   * Remote unit names, sorted. In -departed/-broken the departing unit is kept so its bag can
   * still be read.
   */
  get units(): readonly string[] {
    const entry = this.viewEntry();
    if (entry) return Object.keys(entry.units).sort(compareUnits);
    if (!this.unitList) {
      let list: string[] = [];
      if (this.active) {
        try {
          list = this.model.backend.relationList(this.id, this.endpoint);
        } catch (err) {
          if (!(err instanceof RelationNotFoundError)) throw err;
        }
      }
      // As Juju's relation-list: during -departed the departing unit is no longer a member (its
      // bag stays readable through remoteUnitData), so views built from `units` drop it at once.
      this.unitList = list.sort(compareUnits);
    }
    return this.unitList;
  }

  /** This app's bag: the leader reads and writes; in a peer relation every unit reads. */
  get localAppData(): RelationDataBag {
    this.localApp ??= new RelationDataBag(this.model, this, this.model.app.name, true, "local");
    return this.localApp;
  }

  /** This unit's bag (read-write). */
  get localUnitData(): RelationDataBag {
    this.localUnit ??= new RelationDataBag(this.model, this, this.model.unit.name, false, "local");
    return this.localUnit;
  }

  /** The remote application's bag (read-only). */
  get remoteAppData(): RelationDataBag {
    const app = this.app;
    this.remoteApp ??= new RelationDataBag(this.model, this, app ?? "", true, "remote");
    return this.remoteApp;
  }

  /** A remote unit's bag (read-only). */
  remoteUnitData(unit: string): RelationDataBag {
    let b = this.remoteUnitBags.get(unit);
    if (!b) {
      b = new RelationDataBag(this.model, this, unit, false, "remote");
      this.remoteUnitBags.set(unit, b);
    }
    return b;
  }

  /** The remote model's uuid (differs from ours for cross-model relations). */
  remoteModelUuid(): string {
    return this.model.backend.relationModelGet(this.id, this.endpoint).uuid;
  }

  /** A plain view of every bag this unit may read, for the interface libraries. */
  snapshot(): RelationSnapshot {
    const remoteUnitsData: Record<string, Databag> = {};
    for (const u of this.units) remoteUnitsData[u] = this.remoteUnitData(u).toObject();
    const localApp = this.localAppData;
    const localUnit = this.localUnitData;
    const isLeader = () => this.model.unit.isLeader();
    return {
      id: this.id,
      endpoint: this.endpoint,
      remoteApp: this.app,
      remoteAppData: this.app === undefined ? {} : this.remoteAppData.toObject(),
      remoteUnitsData,
      // This unit's own bags are read when a library looks at them: most never do, and each read
      // is a hook-tool call (one per relation, which is what a hook at scale pays for).
      get localAppData() {
        return isLeader() ? localApp.toObject() : undefined;
      },
      get localUnitData() {
        return localUnit.toObject();
      },
    };
  }
}

/**
 * One relation databag. Read lazily and cached for the dispatch; writes go out immediately
 * (Juju buffers them until commit) and update the cache.
 */
export class RelationDataBag {
  private data: Record<string, string> | undefined;

  constructor(
    private readonly model: Model,
    private readonly relation: Relation,
    /** Unit or app name this bag belongs to. */
    readonly owner: string,
    readonly isApp: boolean,
    readonly side: "local" | "remote",
  ) {}

  private deny(message: string): never {
    throw new RelationDataAccessError(this.relation.id, this.relation.endpoint, message);
  }

  private checkRead(): void {
    if (this.side === "local" && this.isApp && !this.relation.isPeer && !this.model.unit.isLeader()) {
      this.deny(`only the leader can read this application's databag (${this.owner})`);
    }
  }

  private checkWrite(): void {
    if (this.side === "remote")
      this.deny(`the remote ${this.isApp ? "application" : "unit"} bag of ${this.owner} is read-only`);
    if (this.isApp && !this.model.unit.isLeader()) {
      this.deny(`only the leader can write this application's databag (${this.owner})`);
    }
  }

  private load(): Record<string, string> {
    if (this.data) return this.data;
    this.checkRead();
    if (!this.owner) {
      this.data = {};
      return this.data;
    }
    if (this.side === "remote") {
      // A viewed endpoint's remote bags come from the cache (read there when an event named them);
      // units that are not members (the departing unit) are read from Juju.
      const entry = this.relation.viewEntry();
      const cached = entry === undefined ? undefined : this.isApp ? entry.appData : entry.units[this.owner];
      if (cached !== undefined) {
        this.data = cached;
        return this.data;
      }
    }
    try {
      this.data = this.model.backend.relationGet(
        this.relation.id,
        this.relation.endpoint,
        this.owner,
        this.isApp,
      );
    } catch (err) {
      // A relation that is going away reads as empty, as in ops.
      if (!(err instanceof RelationNotFoundError)) throw err;
      this.data = {};
    }
    return this.data;
  }

  /** One key's value, or undefined when absent. */
  get(key: string): string | undefined {
    return this.load()[key];
  }

  /** A copy of the whole bag with keys sorted. */
  toObject(): Databag {
    const d = this.load();
    const out: Record<string, string> = {};
    for (const k of Object.keys(d).sort()) out[k] = d[k] as string;
    return out;
  }

  /**
   * Merge `partial` into the bag: only keys whose value changes are sent; `""` deletes a key.
   * Values must be strings. Permission is checked before any hook tool runs.
   */
  update(partial: Readonly<Record<string, string>>): void {
    this.checkWrite();
    for (const [k, v] of Object.entries(partial)) {
      if (typeof v !== "string") {
        throw new RelationDataTypeError(
          `relation ${this.relation.endpoint}:${this.relation.id}: value of "${k}" must be a string, got ${typeof v}`,
        );
      }
    }
    const current = this.load();
    const changes: Record<string, string> = {};
    for (const k of Object.keys(partial).sort()) {
      const v = partial[k] as string;
      if (v === "" ? k in current : current[k] !== v) changes[k] = v;
    }
    if (Object.keys(changes).length === 0) return;
    this.model.backend.relationSet(this.relation.id, this.relation.endpoint, changes, this.isApp);
    const next = { ...current };
    for (const [k, v] of Object.entries(changes)) {
      if (v === "") delete next[k];
      else next[k] = v;
    }
    this.data = next;
  }

  /** Set one key (`""` deletes it). */
  set(key: string, value: string): void {
    this.update({ [key]: value });
  }

  /** Delete one key. */
  delete(key: string): void {
    this.update({ [key]: "" });
  }
}

/** A binding's network. */
export class Network {
  constructor(readonly info: NetworkInfo) {}
  /** The first bind address (what the workload should listen on). */
  get bindAddress(): string | undefined {
    return this.info.bindAddresses[0]?.addresses[0]?.value;
  }
  /** The first ingress address (what others should connect to). */
  get ingressAddress(): string | undefined {
    return this.info.ingressAddresses[0];
  }
  get ingressAddresses(): readonly string[] {
    return this.info.ingressAddresses;
  }
  get egressSubnets(): readonly string[] {
    return this.info.egressSubnets;
  }
}

/** One storage instance. */
export class Storage {
  readonly name: string;
  readonly index: number;
  private loc: string | undefined;
  constructor(
    private readonly backend: HookTools,
    /** `name/index`. */
    readonly id: string,
  ) {
    const slash = id.lastIndexOf("/");
    this.name = id.slice(0, slash);
    this.index = Number(id.slice(slash + 1));
  }
  /** Mount point in the charm container. */
  get location(): string {
    this.loc ??= this.backend.storageGet(this.id).location;
    return this.loc;
  }
}

/** A secret, by id and/or label. */
export class Secret {
  constructor(
    private readonly backend: HookTools,
    readonly id: string | undefined,
    readonly label: string | undefined,
  ) {}

  private lookup() {
    return { id: this.id, label: this.label };
  }

  /** The tracked revision's content; `refresh` starts tracking the latest. */
  getContent(opts: { refresh?: boolean } = {}): Record<string, string> {
    return this.backend.secretGet(this.lookup(), { refresh: opts.refresh === true });
  }

  /** The latest revision's content, without tracking it. */
  peekContent(): Record<string, string> {
    return this.backend.secretGet(this.lookup(), { peek: true });
  }

  /** Owner-side metadata. */
  info(): SecretInfo {
    return this.backend.secretInfoGet(this.lookup());
  }

  private requireId(): string {
    if (this.id !== undefined) return this.id;
    const id = this.info().id;
    return id;
  }

  /** Publish a new revision. */
  setContent(content: Record<string, string>): void {
    this.backend.secretSet(this.requireId(), { content });
  }

  /** Change label, description, expiry or rotation. */
  setInfo(fields: SecretFields): void {
    this.backend.secretSet(this.requireId(), fields);
  }

  /** Let the remote side of a relation (or one unit of it) read this secret. */
  grant(relation: Relation, unit?: string): void {
    this.backend.secretGrant(this.requireId(), relation.id, unit);
  }

  /** Undo `grant`. */
  revoke(relation: Relation, unit?: string): void {
    this.backend.secretRevoke(this.requireId(), relation.id, unit);
  }

  /** Remove one revision, or the whole secret. */
  remove(revision?: number): void {
    this.backend.secretRemove(this.requireId(), revision);
  }
}

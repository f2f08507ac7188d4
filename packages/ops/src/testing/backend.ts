/**
 * An in-memory `HookTools` over a draft of the harness State. It applies Juju's permission rules
 * and answers with Juju's error texts (mapped to the same typed errors as the real tools), and
 * records side effects (logs, status history, action output) on the run's records.
 */
import { actionKeyProblem } from "../hookcmds/action.js";
import type {
  AppStatusInfo,
  ConfigValue,
  GoalState,
  HookTools,
  LogLevel,
  NetworkInfo,
  Pebble,
  Port,
  SecretAddArgs,
  SecretInfo,
  SecretLookup,
  SecretSetArgs,
  SettableStatusName,
  StatusInfo,
  StorageInfo,
} from "../backend.js";
import type { HookCommandError } from "../errors.js";
import { mapError } from "../hookcmds/run.js";
import type { CharmMeta } from "../metadata.js";
import type { Status } from "../model.js";
import { type Draft, type ExecRecord, StatePebble } from "./pebble.js";
import { type AnyRelation, network, type SecretState, type State } from "./state.js";

/** Side effects a run records (kept on the Context afterwards). */
export interface RunRecords {
  readonly jujuLog: { level: LogLevel; message: string }[];
  readonly unitStatusHistory: Status[];
  readonly appStatusHistory: Status[];
  readonly workloadVersionHistory: string[];
  readonly execHistory: Record<string, ExecRecord[]>;
  readonly actionLogs: string[];
  actionResults: Record<string, string> | undefined;
  actionFailure: string | undefined;
  readonly removedSecretRevisions: number[];
  readonly requestedStorages: Record<string, number>;
}

/** Fresh, empty records. */
export function emptyRecords(): RunRecords {
  return {
    jujuLog: [],
    unitStatusHistory: [],
    appStatusHistory: [],
    workloadVersionHistory: [],
    execHistory: {},
    actionLogs: [],
    actionResults: undefined,
    actionFailure: undefined,
    removedSecretRevisions: [],
    requestedStorages: {},
  };
}

/** Who the unit under test is and what the current event carries. */
export interface BackendIdentity {
  readonly appName: string;
  readonly unitName: string;
  readonly unitId: number;
  readonly actionParams?: Readonly<Record<string, unknown>> | undefined;
  /** The relation id of a `-departed` event and the departing remote unit, still readable. */
  readonly departing?: { readonly relationId: number; readonly unit: string } | undefined;
  /** The relation of a `-broken` event: no remote units are listed. */
  readonly brokenRelationId?: number | undefined;
}

function fail(cmd: string, args: readonly string[], stderr: string, exitCode = 1): HookCommandError {
  return mapError(cmd, args, exitCode, `ERROR ${stderr}`);
}

function toPortString(p: Port): string {
  if (p.protocol === "icmp") return "icmp";
  return `${p.port}${p.toPort !== undefined ? `-${p.toPort}` : ""}/${p.protocol}`;
}

/** The in-memory hook tools of one run. */
export class StateBackend implements HookTools {
  private readonly pebbles = new Map<string, Pebble>();
  private secretCounter = 0;

  constructor(
    /** The working copy; becomes the output State. */
    readonly draft: Draft<State>,
    private readonly meta: CharmMeta,
    private readonly who: BackendIdentity,
    readonly records: RunRecords,
  ) {}

  private rel(cmd: string, relationId: number, endpoint: string): Draft<AnyRelation> {
    const r = this.draft.relations.find((x) => x.id === relationId && x.endpoint === endpoint);
    if (!r)
      throw fail(
        cmd,
        ["-r", `${endpoint}:${relationId}`],
        `invalid value "${endpoint}:${relationId}" for option -r: relation not found`,
        2,
      );
    return r;
  }

  private remoteApp(r: Draft<AnyRelation>): string {
    return r.kind === "peer" ? this.who.appName : r.remoteAppName;
  }

  private remoteUnits(r: Draft<AnyRelation>): Record<string, Record<string, string>> {
    const app = this.remoteApp(r);
    const bags = r.kind === "peer" ? r.peersData : r.remoteUnitsData;
    const out: Record<string, Record<string, string>> = {};
    for (const [n, bag] of Object.entries(bags)) out[`${app}/${n}`] = bag;
    return out;
  }

  /**
   * One remote unit's bag, found by its number: a charm reading every unit of a large relation
   * would otherwise rebuild the whole unit map per read (quadratic in the unit count).
   */
  private remoteUnitBag(r: Draft<AnyRelation>, unit: string): Record<string, string> | undefined {
    const slash = unit.lastIndexOf("/");
    if (slash < 0 || unit.slice(0, slash) !== this.remoteApp(r)) return undefined;
    const bags: Record<string, Record<string, string>> = r.kind === "peer" ? r.peersData : r.remoteUnitsData;
    const n = unit.slice(slash + 1);
    return Object.hasOwn(bags, n) ? bags[n] : undefined;
  }

  relationIds(endpoint: string): number[] {
    if (!this.meta.relations[endpoint])
      throw fail("relation-ids", [endpoint], `no endpoint named "${endpoint}"`, 2);
    return this.draft.relations
      .filter((r) => r.endpoint === endpoint)
      .map((r) => r.id)
      .sort((a, b) => a - b);
  }

  relationList(relationId: number, endpoint: string): string[] {
    const r = this.rel("relation-list", relationId, endpoint);
    if (this.who.brokenRelationId === relationId) return [];
    const units = Object.keys(this.remoteUnits(r));
    const gone = this.who.departing?.relationId === relationId ? this.who.departing.unit : undefined;
    return units.filter((u) => u !== gone).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  }

  relationRemoteApp(relationId: number, endpoint: string): string | undefined {
    return this.remoteApp(this.rel("relation-list", relationId, endpoint));
  }

  relationGet(
    relationId: number,
    endpoint: string,
    unitOrApp: string,
    isApp: boolean,
  ): Record<string, string> {
    const args = ["-r", `${endpoint}:${relationId}`, ...(isApp ? ["--app"] : []), "-", unitOrApp];
    const r = this.rel("relation-get", relationId, endpoint);
    if (isApp) {
      if (unitOrApp === this.who.appName) {
        if (r.kind !== "peer" && !this.draft.leader) throw fail("relation-get", args, "permission denied");
        return { ...r.localAppData };
      }
      if (r.kind === "regular" && unitOrApp === r.remoteAppName) return { ...r.remoteAppData };
      throw fail(
        "relation-get",
        args,
        `cannot read application settings: application "${unitOrApp}" not in relation`,
      );
    }
    if (unitOrApp === this.who.unitName) return { ...r.localUnitData };
    const bag = this.remoteUnitBag(r, unitOrApp);
    if (!bag)
      throw fail(
        "relation-get",
        args,
        `cannot read settings for unit "${unitOrApp}" in relation "${endpoint}:${relationId}": unit "${unitOrApp}": settings not found`,
      );
    return { ...bag };
  }

  relationSet(
    relationId: number,
    endpoint: string,
    data: Readonly<Record<string, string>>,
    isApp: boolean,
  ): void {
    const args = ["-r", `${endpoint}:${relationId}`, ...(isApp ? ["--app"] : []), "--file", "-"];
    const r = this.rel("relation-set", relationId, endpoint);
    if (isApp && !this.draft.leader)
      throw fail("relation-set", args, "cannot write relation settings: permission denied");
    const bag = isApp ? r.localAppData : r.localUnitData;
    for (const [k, v] of Object.entries(data)) {
      if (typeof v !== "string")
        throw fail("relation-set", args, `invalid value for key "${k}": expected string`, 2);
      if (v === "") delete bag[k];
      else bag[k] = v;
    }
  }

  relationModelGet(relationId: number, endpoint: string): { uuid: string } {
    const r = this.rel("relation-model-get", relationId, endpoint);
    return { uuid: (r.kind === "regular" && r.remoteModelUuid) || this.draft.model.uuid };
  }

  configGet(): Record<string, ConfigValue> {
    const out: Record<string, ConfigValue> = {};
    for (const [k, o] of Object.entries(this.meta.config)) if (o.default !== undefined) out[k] = o.default;
    return { ...out, ...this.draft.config };
  }

  isLeader(): boolean {
    return this.draft.leader;
  }

  statusGet(app?: false): StatusInfo;
  statusGet(app: true): AppStatusInfo;
  statusGet(app?: boolean): StatusInfo | AppStatusInfo {
    const info = (s: Status): StatusInfo => ({
      status: s.name as StatusInfo["status"],
      message: s.message,
      data: {},
    });
    if (!app) return info(this.draft.unitStatus);
    if (!this.draft.leader) {
      throw fail(
        "status-get",
        ["--application=true"],
        "finding application status: this unit is not the leader",
      );
    }
    return { app: info(this.draft.appStatus), units: { [this.who.unitName]: info(this.draft.unitStatus) } };
  }

  statusSet(status: SettableStatusName, message: string, app = false): void {
    if (!["active", "blocked", "maintenance", "waiting"].includes(status)) {
      throw fail(
        "status-set",
        [status],
        `invalid status "${status}", expected one of [maintenance blocked waiting active]`,
        2,
      );
    }
    if (app) {
      if (!this.draft.leader) {
        throw fail(
          "status-set",
          ["--application=True", status],
          "setting application status: this unit is not the leader",
        );
      }
      this.records.appStatusHistory.push({ ...this.draft.appStatus });
      this.draft.appStatus = { name: status, message };
      return;
    }
    this.records.unitStatusHistory.push({ ...this.draft.unitStatus });
    this.draft.unitStatus = { name: status, message };
  }

  applicationVersionSet(version: string): void {
    this.records.workloadVersionHistory.push(this.draft.workloadVersion);
    this.draft.workloadVersion = version;
  }

  jujuLog(level: LogLevel, message: string): void {
    this.records.jujuLog.push({ level, message });
  }

  actionGet(): Record<string, unknown> {
    if (!this.who.actionParams) throw fail("action-get", [], "not running an action", 1);
    return structuredClone(this.who.actionParams) as Record<string, unknown>;
  }

  actionSet(results: Readonly<Record<string, string>>): void {
    if (!this.who.actionParams) throw fail("action-set", [], "not running an action", 1);
    for (const k of Object.keys(results)) {
      const problem = actionKeyProblem(k);
      if (problem !== undefined) throw fail("action-set", [k], problem, 2);
    }
    this.records.actionResults = { ...(this.records.actionResults ?? {}), ...results };
  }

  actionLog(message: string): void {
    if (!this.who.actionParams) throw fail("action-log", [], "not running an action", 1);
    this.records.actionLogs.push(message);
  }

  actionFail(message?: string): void {
    if (!this.who.actionParams) throw fail("action-fail", [], "not running an action", 1);
    this.records.actionFailure = message ?? "";
  }

  networkGet(binding: string, relationId?: number): NetworkInfo {
    if (relationId !== undefined && !this.draft.relations.some((r) => r.id === relationId)) {
      throw fail(
        "network-get",
        ["-r", String(relationId), binding],
        `invalid value "${relationId}" for option -r: relation not found`,
        2,
      );
    }
    const n = this.draft.networks[binding];
    if (n) return structuredClone(n) as NetworkInfo;
    if (!this.meta.relations[binding])
      throw fail("network-get", [binding], `no network config found for binding "${binding}"`);
    return network();
  }

  openPort(port: Port): void {
    const key = toPortString(port);
    if (!this.draft.openedPorts.some((p) => toPortString(p as Port) === key))
      this.draft.openedPorts.push({ ...port } as never);
  }

  closePort(port: Port): void {
    const key = toPortString(port);
    this.draft.openedPorts = this.draft.openedPorts.filter((p) => toPortString(p as Port) !== key);
  }

  openedPorts(): Port[] {
    return this.draft.openedPorts.map((p) => ({ ...p }) as Port);
  }

  storageList(name: string): string[] {
    return this.draft.storages
      .filter((s) => s.name === name)
      .map((s) => `${s.name}/${s.index}`)
      .sort();
  }

  storageGet(storageId: string): StorageInfo {
    const s = this.draft.storages.find((x) => `${x.name}/${x.index}` === storageId);
    if (!s)
      throw fail(
        "storage-get",
        ["-s", storageId],
        `invalid value "${storageId}" for option -s: storage not found`,
        2,
      );
    return { kind: s.kind, location: s.location };
  }

  storageAdd(counts: Readonly<Record<string, number>>): void {
    for (const [name, n] of Object.entries(counts)) {
      if (!this.meta.storage[name])
        throw fail("storage-add", [`${name}=${n}`], `storage "${name}" not found`, 2);
      this.records.requestedStorages[name] = (this.records.requestedStorages[name] ?? 0) + n;
    }
  }

  private findSecret(cmd: string, lookup: SecretLookup): Draft<SecretState> {
    const canonical = (id: string) => id.replace(/^secret:\/\/[^/]*\//, "").replace(/^secret:/, "");
    const s = lookup.id
      ? this.draft.secrets.find((x) => canonical(x.id) === canonical(lookup.id as string))
      : this.draft.secrets.find((x) => x.label === lookup.label);
    if (!s)
      throw fail(cmd, [lookup.id ?? lookup.label ?? ""], `secret "${lookup.id ?? lookup.label}" not found`);
    return s;
  }

  private mustOwn(cmd: string, s: Draft<SecretState>): void {
    if (s.owner === null || (s.owner === "app" && !this.draft.leader))
      throw fail(cmd, [s.id], "permission denied");
  }

  secretAdd(args: SecretAddArgs): string {
    const owner = args.owner === "unit" ? "unit" : "app";
    if (owner === "app" && !this.draft.leader)
      throw fail("secret-add", ["--owner", "application"], "permission denied");
    for (const k of Object.keys(args.content)) {
      if (!/^[a-z](?:-?[a-z0-9]){2,}$/.test(k)) throw fail("secret-add", [k], `invalid key "${k}"`, 2);
    }
    const id = `secret:harness${String(++this.secretCounter).padStart(12, "0")}${this.draft.secrets.length}`;
    this.draft.secrets.push({
      id,
      owner,
      ...(args.label !== undefined ? { label: args.label } : {}),
      ...(args.description !== undefined ? { description: args.description } : {}),
      ...(args.expire !== undefined
        ? { expire: String(args.expire instanceof Date ? args.expire.toISOString() : args.expire) }
        : {}),
      ...(args.rotate !== undefined ? { rotate: args.rotate } : {}),
      revision: 1,
      trackedContent: { ...args.content },
      latestContent: { ...args.content },
      remoteGrants: {},
    });
    return id;
  }

  secretGet(lookup: SecretLookup, opts: { refresh?: boolean; peek?: boolean } = {}): Record<string, string> {
    const s = this.findSecret("secret-get", lookup);
    if (lookup.id && lookup.label !== undefined) s.label = lookup.label;
    // Owners always see the latest revision; consumers see what they track unless they refresh/peek.
    if (s.owner !== null || opts.peek) return { ...s.latestContent };
    if (opts.refresh) s.trackedContent = { ...s.latestContent };
    return { ...s.trackedContent };
  }

  secretInfoGet(lookup: SecretLookup): SecretInfo {
    const s = this.findSecret("secret-info-get", lookup);
    this.mustOwn("secret-info-get", s);
    return {
      id: s.id,
      revision: s.revision,
      label: s.label,
      description: s.description,
      expiry: s.expire,
      rotation: s.rotate,
    };
  }

  secretSet(id: string, args: SecretSetArgs): void {
    const s = this.findSecret("secret-set", { id });
    this.mustOwn("secret-set", s);
    if (args.content) {
      s.revision += 1;
      s.latestContent = { ...args.content };
    }
    if (args.label !== undefined) s.label = args.label;
    if (args.description !== undefined) s.description = args.description;
    if (args.expire !== undefined)
      s.expire = String(args.expire instanceof Date ? args.expire.toISOString() : args.expire);
    if (args.rotate !== undefined) s.rotate = args.rotate;
  }

  secretGrant(id: string, relationId: number, unit?: string): void {
    const s = this.findSecret("secret-grant", { id });
    this.mustOwn("secret-grant", s);
    const r = this.draft.relations.find((x) => x.id === relationId);
    if (!r)
      throw fail(
        "secret-grant",
        ["--relation", String(relationId)],
        `invalid value "${relationId}" for option -r: relation not found`,
        2,
      );
    const who = unit ?? this.remoteApp(r);
    const list = s.remoteGrants[String(relationId)] ?? [];
    if (!list.includes(who)) list.push(who);
    s.remoteGrants[String(relationId)] = list.sort();
  }

  secretRevoke(id: string, relationId: number, unit?: string): void {
    const s = this.findSecret("secret-revoke", { id });
    this.mustOwn("secret-revoke", s);
    const key = String(relationId);
    const r = this.draft.relations.find((x) => x.id === relationId);
    const who = unit ?? (r ? this.remoteApp(r) : "");
    const list = (s.remoteGrants[key] ?? []).filter((x) => x !== who);
    if (list.length) s.remoteGrants[key] = list;
    else delete s.remoteGrants[key];
  }

  secretRemove(id: string, revision?: number): void {
    const s = this.findSecret("secret-remove", { id });
    this.mustOwn("secret-remove", s);
    if (revision !== undefined) {
      this.records.removedSecretRevisions.push(revision);
      return;
    }
    this.draft.secrets = this.draft.secrets.filter((x) => x !== s);
  }

  secretIds(): string[] {
    return this.draft.secrets
      .filter((s) => s.owner === "unit" || (s.owner === "app" && this.draft.leader))
      .map((s) => s.id)
      .sort();
  }

  stateGet(): Record<string, string> {
    return { ...this.draft.controllerState };
  }

  stateSet(data: Readonly<Record<string, string>>): void {
    Object.assign(this.draft.controllerState, data);
  }

  stateDelete(key: string): void {
    delete this.draft.controllerState[key];
  }

  goalState(): GoalState {
    const units: Record<string, { status: string }> = {};
    for (let i = 0; i < this.draft.plannedUnits; i++)
      units[`${this.who.appName}/${i}`] = { status: "active" };
    const relations: Record<string, Record<string, { status: string }>> = {};
    for (const r of this.draft.relations) {
      relations[r.endpoint] ??= {};
      const ep = relations[r.endpoint] as Record<string, { status: string }>;
      ep[this.remoteApp(r)] = { status: "joined" };
      for (const u of Object.keys(this.remoteUnits(r))) ep[u] = { status: "active" };
    }
    return { units, relations };
  }

  pebble(containerName: string): Pebble {
    let p = this.pebbles.get(containerName);
    if (!p) {
      const c = this.draft.containers.find((x) => x.name === containerName);
      if (!c) {
        throw new Error(
          `container "${containerName}" is not in the State; add container({name: "${containerName}"})`,
        );
      }
      this.records.execHistory[containerName] ??= [];
      const history = this.records.execHistory[containerName] as ExecRecord[];
      p = new StatePebble(c, history);
      this.pebbles.set(containerName, p);
    }
    return p;
  }
}

/**
 * The model as one running hook sees it: a snapshot of each databag on first read, the hook's own
 * buffered writes (relation data, `state-set`, ports, secrets) on top, and the operations the hook
 * tools perform (`ToolHost`). The scheduler commits the buffers when the hook exits 0.
 */
import { randomBytes } from "node:crypto";
import { type CharmMeta, effectiveConfig } from "../charm-meta.js";
import type { SecretRecord, StatusValue, ToolHost } from "../hooktools/tools.js";
import { clone, type ModelFile, type QueuedEvent, type UnitRec } from "./model.js";

/** What a hook context needs from the runtime around it. */
export interface HookContextHost {
  readonly model: ModelFile;
  meta(app: string): CharmMeta;
  /** The running action of `id`, when the event is an action. */
  action(id: string | undefined): { name: string; params: Record<string, unknown> } | undefined;
  logUnit(unit: string, line: string): void;
  /** Where storage instance `<name>/0` of a unit is mounted, as the unit's charm sees it. */
  storageLocation(unit: string, storage: string): string;
  /** The host path of a file the unit's hook names (its charm container's view). */
  resolvePath(unit: string, cwd: string, path: string): string;
  /** status-set and application-version-set apply at once: persist them. */
  changed(): void;
  /** leader-set wrote `app`'s settings at once: tell its other units. */
  leaderSettingsChanged(app: string, leader: string): void;
}

/** The model as one running hook sees it, with that hook's buffered writes. */
export class HookContext implements ToolHost {
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
    private readonly c: HookContextHost,
    private readonly u: UnitRec,
    private readonly ev: QueuedEvent,
    seq: number,
  ) {
    this.id = `${u.name}-${ev.hook}-${seq}-${randomBytes(4).toString("hex")}`;
    this.unit = u.name;
    this.app = u.app;
    this.modelUuid = c.model.uuid;
    this.address = u.address;
    this.env = ev.env;
    this.endpoints = Object.keys(c.meta(u.app).endpoints);
    const app = c.model.apps[u.app]!;
    this.configSnapshot = effectiveConfig(c.meta(u.app), app.config);
  }

  isLeader(): boolean {
    return this.c.model.apps[this.app]?.leader === this.unit;
  }

  config(): Record<string, unknown> {
    return this.configSnapshot;
  }

  relationIds(endpoint: string): number[] {
    const m = this.c.model;
    return Object.keys(this.u.view)
      .map(Number)
      .filter((id) => {
        const r = m.relations[String(id)];
        return r?.sides.some((s) => s.app === this.app && s.endpoint === endpoint);
      })
      .sort((a, b) => a - b);
  }

  relation(id: number) {
    const r = this.c.model.relations[String(id)];
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
      const bag = this.c.model.relations[String(relationId)]?.bags[owner];
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
    const m = this.c.model;
    const units: Record<string, StatusValue> = {};
    for (const x of Object.values(m.units)) if (x.app === this.app) units[x.name] = { ...x.status };
    return { application: { ...m.apps[this.app]!.status }, units };
  }

  setStatus(application: boolean, s: StatusValue): void {
    if (application) this.c.model.apps[this.app]!.status = s;
    else this.u.status = s;
    this.c.changed();
  }

  setWorkloadVersion(v: string): void {
    this.c.model.apps[this.app]!.workloadVersion = v;
    this.c.changed();
  }

  log(level: string, message: string): void {
    this.c.logUnit(this.unit, `${level} juju-log: ${message}`);
  }

  action() {
    return this.c.action(this.ev.actionId);
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
    this.c.logUnit(this.unit, `action-log: ${message}`);
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
    return this.c
      .meta(this.app)
      .storage.map((s) => ({ id: `${s}/0`, location: this.c.storageLocation(this.unit, s) }));
  }

  /** The host path of a file the hook names (absolute, or relative to `cwd`). */
  resolvePath(cwd: string, path: string): string {
    return this.c.resolvePath(this.unit, cwd, path);
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
    return Object.keys(this.c.meta(this.app).options).sort();
  }

  leaderSettings(): Record<string, string> {
    return { ...(this.c.model.apps[this.app]?.leaderSettings ?? {}) };
  }

  writeLeaderSettings(updates: Readonly<Record<string, string>>): void {
    const app = this.c.model.apps[this.app]!;
    const next = { ...(app.leaderSettings ?? {}) };
    for (const [k, v] of Object.entries(updates)) {
      if (v === "") delete next[k];
      else next[k] = v;
    }
    app.leaderSettings = next;
    this.c.leaderSettingsChanged(this.app, this.unit);
  }

  secrets(): Readonly<Record<string, SecretRecord>> {
    const copy = clone(this.c.model.secrets);
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
    const m = this.c.model;
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

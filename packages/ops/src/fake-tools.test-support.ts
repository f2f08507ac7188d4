/**
 * A small in-memory `HookTools` for this package's unit tests (not exported): relation bags,
 * config, leadership and a call log, so tests can check which tools ran and with what.
 */

import type { ConfigValue, HookTools, Pebble, Port, StatusInfo } from "./backend.js";
import type { JujuContext } from "./context.js";
import { RelationNotFoundError } from "./errors.js";

/** One relation known to the fake. */
export interface FakeRelation {
  endpoint: string;
  id: number;
  remoteApp: string;
  units: string[];
  /** owner (unit or app name) to bag */
  bags: Record<string, Record<string, string>>;
}

/** Build a test context. */
export function ctx(hook: string, extra: Partial<JujuContext> = {}): JujuContext {
  return Object.freeze({
    dispatchPath: hook.startsWith("actions/") ? hook : `hooks/${hook}`,
    hookName: hook.startsWith("actions/") ? "" : hook,
    unitName: "app/0",
    appName: "app",
    modelName: "m",
    modelUuid: "u",
    version: "3.6.14",
    charmDir: "/nonexistent",
    debug: false,
    debugAt: [],
    ...extra,
  });
}

/** The in-memory backend. Unimplemented tools throw so a test notices unexpected calls. */
export class FakeTools implements HookTools {
  calls: string[] = [];
  leader = true;
  config: Record<string, ConfigValue> = {};
  relations: FakeRelation[] = [];
  statuses: { status: string; message: string; app: boolean }[] = [];
  ports: Port[] = [];
  logs: string[] = [];
  actionParams: Record<string, unknown> = {};
  actionResults: Record<string, string> = {};
  version = "";

  private rel(id: number, endpoint: string): FakeRelation {
    const r = this.relations.find((x) => x.id === id && x.endpoint === endpoint);
    if (!r) throw new RelationNotFoundError("relation-get", [], 2, "ERROR relation not found");
    return r;
  }
  relationIds(endpoint: string): number[] {
    this.calls.push(`relation-ids ${endpoint}`);
    return this.relations.filter((r) => r.endpoint === endpoint).map((r) => r.id);
  }
  relationList(id: number, endpoint: string): string[] {
    this.calls.push(`relation-list ${endpoint}:${id}`);
    return [...this.rel(id, endpoint).units];
  }
  relationRemoteApp(id: number, endpoint: string): string | undefined {
    this.calls.push(`relation-list --app ${endpoint}:${id}`);
    return this.rel(id, endpoint).remoteApp;
  }
  relationGet(id: number, endpoint: string, owner: string, isApp: boolean): Record<string, string> {
    this.calls.push(`relation-get ${endpoint}:${id} ${isApp ? "--app " : ""}${owner}`);
    return { ...(this.rel(id, endpoint).bags[owner] ?? {}) };
  }
  relationSet(id: number, endpoint: string, data: Readonly<Record<string, string>>, isApp: boolean): void {
    this.calls.push(`relation-set ${endpoint}:${id} ${isApp ? "--app " : ""}${JSON.stringify(data)}`);
    const r = this.rel(id, endpoint);
    const owner = isApp ? "app" : "app/0";
    const bag = { ...(r.bags[owner] ?? {}) };
    for (const [k, v] of Object.entries(data)) {
      if (v === "") delete bag[k];
      else bag[k] = v;
    }
    r.bags[owner] = bag;
  }
  relationModelGet(): { uuid: string } {
    return { uuid: "remote-model" };
  }
  configGet(): Record<string, ConfigValue> {
    this.calls.push("config-get");
    return { ...this.config };
  }
  isLeader(): boolean {
    this.calls.push("is-leader");
    return this.leader;
  }
  statusGet(app?: false): StatusInfo;
  statusGet(app: true): never;
  statusGet(): StatusInfo {
    const last = this.statuses.filter((s) => !s.app).at(-1);
    return { status: (last?.status ?? "unknown") as "active", message: last?.message ?? "", data: {} };
  }
  statusSet(status: string, message: string, app = false): void {
    this.calls.push(`status-set ${app ? "app " : ""}${status} ${message}`);
    this.statuses.push({ status, message, app });
  }
  applicationVersionSet(v: string): void {
    this.version = v;
  }
  jujuLog(level: string, message: string): void {
    this.logs.push(`${level} ${message}`);
  }
  actionGet(): Record<string, unknown> {
    return { ...this.actionParams };
  }
  actionSet(results: Readonly<Record<string, string>>): void {
    Object.assign(this.actionResults, results);
  }
  actionLog(m: string): void {
    this.logs.push(`action ${m}`);
  }
  actionFail(m?: string): void {
    this.logs.push(`fail ${m ?? ""}`);
  }
  networkGet(): never {
    throw new Error("not in fake");
  }
  openPort(p: Port): void {
    this.calls.push(`open-port ${p.port}/${p.protocol}`);
    this.ports.push(p);
  }
  closePort(p: Port): void {
    this.calls.push(`close-port ${p.port}/${p.protocol}`);
    this.ports = this.ports.filter((x) => !(x.port === p.port && x.protocol === p.protocol));
  }
  openedPorts(): Port[] {
    return [...this.ports];
  }
  storageList(): string[] {
    return [];
  }
  storageGet(): never {
    throw new Error("not in fake");
  }
  storageAdd(): void {}
  secretAdd(): string {
    return "secret:1";
  }
  secretGet(lookup: { id?: string | undefined; label?: string | undefined }): Record<string, string> {
    this.calls.push(`secret-get ${lookup.id ?? ""} ${lookup.label ?? ""}`.trimEnd());
    return {};
  }
  secretInfoGet(): never {
    throw new Error("not in fake");
  }
  secretSet(): void {}
  secretGrant(): void {}
  secretRevoke(): void {}
  secretRemove(): void {}
  secretIds(): string[] {
    return [];
  }
  stateGet(): Record<string, string> {
    return {};
  }
  stateSet(): void {}
  stateDelete(): void {}
  goalState(): never {
    throw new Error("not in fake");
  }
  pebble(name: string): Pebble {
    return { name } as unknown as Pebble;
  }
}

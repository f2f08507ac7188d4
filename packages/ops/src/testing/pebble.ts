/**
 * An in-memory `Pebble` over one container of the harness State: layers merged with the real
 * layer logic, replan marking enabled services active, files in the State's filesystem, exec
 * answered by mocks (longest prefix wins), checks and notices from the State.
 */
import { APIError, ConnectionError, ExecError, LayerError, PathError } from "../pebble/errors.js";
import { addLayer, combinePlan, type Layer, parseLayer, type Plan, validatePlan } from "../pebble/layer.js";
import {
  type Change,
  type CheckInfo,
  type ExecOptions,
  type ExecResult,
  type FileInfo,
  type MakeDirOptions,
  NOTICE_KEY,
  type Notice,
  type NoticeFilter,
  type Pebble,
  type PushOptions,
  permissionsString,
  type ServiceInfo,
  type SystemInfo,
} from "../pebble/types.js";
import type { ContainerState, ExecMock, ServiceStatus } from "./state.js";

/** A deep-mutable view of a value (the harness's working copy). */
export type Draft<T> = T extends readonly (infer U)[]
  ? Draft<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Draft<T[K]> }
    : T;

/** One recorded `exec` call. */
export interface ExecRecord {
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly workingDir?: string | undefined;
  readonly stdin?: string | undefined;
}

const NOW = "2024-01-01T00:00:00Z";

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function globToRegExp(glob: string): RegExp {
  const esc = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[^/]*")
    .replace(/\?/g, "[^/]");
  return new RegExp(`^${esc}$`);
}

/** The in-memory Pebble of one container. Mutates the given draft container. */
export class StatePebble implements Pebble {
  constructor(
    private readonly c: Draft<ContainerState>,
    private readonly execHistory: ExecRecord[],
  ) {}

  private connected(): void {
    if (!this.c.canConnect) {
      throw new ConnectionError(
        `cannot connect to Pebble in container "${this.c.name}" (canConnect is false)`,
      );
    }
  }

  private plan(): Plan {
    return combinePlan(this.c.layers as never);
  }

  async getSystemInfo(): Promise<SystemInfo> {
    this.connected();
    return { version: "1.19.0", "boot-id": "00000000-0000-4000-8000-000000000000" };
  }

  async getPlan(): Promise<Plan> {
    this.connected();
    return this.plan();
  }

  async addLayer(label: string, layer: Layer | string, opts: { combine?: boolean } = {}): Promise<void> {
    this.connected();
    try {
      const parsed = typeof layer === "string" ? parseLayer(layer) : layer;
      this.c.layers = structuredClone(
        addLayer(this.c.layers as never, label, parsed, opts.combine ?? false),
      ) as never;
    } catch (e) {
      if (e instanceof LayerError)
        throw new APIError(400, "Bad Request", e.message, undefined, undefined, { cause: e });
      throw e;
    }
  }

  async getServices(names?: readonly string[]): Promise<ServiceInfo[]> {
    this.connected();
    const services = this.plan().services ?? {};
    return Object.keys(services)
      .sort()
      .filter((n) => !names?.length || names.includes(n))
      .map((name) => ({
        name,
        startup: services[name]?.startup ?? "disabled",
        current: this.c.serviceStatuses[name] ?? "inactive",
      }));
  }

  private setStatus(action: string, names: readonly string[], to: ServiceStatus): void {
    this.connected();
    if (names.length === 0)
      throw new APIError(400, "Bad Request", `must specify services for ${action} action`);
    const services = this.plan().services ?? {};
    for (const n of names) {
      if (!(n in services))
        throw new APIError(400, "Bad Request", `cannot ${action} services: service "${n}" does not exist`);
    }
    for (const n of names) this.c.serviceStatuses[n] = to;
  }

  async startServices(names: readonly string[]): Promise<void> {
    this.setStatus("start", names, "active");
  }

  async stopServices(names: readonly string[]): Promise<void> {
    this.setStatus("stop", names, "inactive");
  }

  async restartServices(names: readonly string[]): Promise<void> {
    this.setStatus("restart", names, "active");
  }

  async replan(): Promise<void> {
    this.connected();
    const plan = this.plan();
    try {
      validatePlan(plan);
    } catch (e) {
      throw new APIError(400, "Bad Request", (e as Error).message, undefined, undefined, { cause: e });
    }
    for (const [name, svc] of Object.entries(plan.services ?? {})) {
      if (svc.startup === "enabled") this.c.serviceStatuses[name] = "active";
    }
  }

  async autostart(): Promise<void> {
    this.connected();
    const enabled = Object.entries(this.plan().services ?? {}).filter(([, s]) => s.startup === "enabled");
    if (!enabled.length) throw new APIError(400, "Bad Request", "no default services", "no-default-services");
    for (const [name] of enabled) this.c.serviceStatuses[name] = "active";
  }

  async waitChange(id: string): Promise<Change> {
    this.connected();
    return { id, kind: "harness", summary: "", status: "Done", ready: true, tasks: [] };
  }

  private isDir(path: string): boolean {
    if (path === "/") return true;
    if (this.c.directories.includes(path)) return true;
    return Object.keys(this.c.filesystem).some((f) => f.startsWith(`${path}/`));
  }

  private requireAbsolute(path: string): void {
    if (!path.startsWith("/"))
      throw new APIError(400, "Bad Request", `paths must be absolute, got "${path}"`, "generic-file-error");
  }

  private addParents(path: string): void {
    for (let p = parentOf(path); p !== "/"; p = parentOf(p)) {
      if (!this.c.directories.includes(p)) this.c.directories.push(p);
    }
    this.c.directories.sort();
  }

  async push(path: string, data: string | Uint8Array, opts: PushOptions = {}): Promise<void> {
    this.connected();
    this.requireAbsolute(path);
    permissionsString(opts.permissions, "644");
    if (this.isDir(path)) throw new PathError("generic-file-error", `open ${path}: is a directory`, path);
    if (!opts.makeDirs && !this.isDir(parentOf(path))) {
      throw new PathError("not-found", `open ${path}: no such file or directory`, path);
    }
    if (opts.makeDirs) this.addParents(path);
    this.c.filesystem[path] = typeof data === "string" ? data : Buffer.from(data).toString("utf8");
  }

  async pull(path: string): Promise<Buffer> {
    this.connected();
    this.requireAbsolute(path);
    const content = this.c.filesystem[path];
    if (content === undefined) {
      if (this.isDir(path))
        throw new PathError("generic-file-error", `can only read a regular file: "${path}"`, path);
      throw new PathError("not-found", `stat ${path}: no such file or directory`, path);
    }
    return Buffer.from(content, "utf8");
  }

  async pullMany(paths: readonly string[]): Promise<Map<string, Buffer | PathError>> {
    this.connected();
    const out = new Map<string, Buffer | PathError>();
    for (const p of paths) {
      try {
        out.set(p, await this.pull(p));
      } catch (e) {
        if (!(e instanceof PathError)) throw e;
        out.set(p, e);
      }
    }
    return out;
  }

  private info(path: string): FileInfo {
    const content = this.c.filesystem[path];
    const name = path === "/" ? "/" : path.slice(path.lastIndexOf("/") + 1);
    return content === undefined
      ? { path, name, type: "directory", permissions: "755", "last-modified": NOW }
      : {
          path,
          name,
          type: "file",
          size: Buffer.byteLength(content),
          permissions: "644",
          "last-modified": NOW,
        };
  }

  async listFiles(path: string, opts: { pattern?: string; itself?: boolean } = {}): Promise<FileInfo[]> {
    this.connected();
    this.requireAbsolute(path);
    const isFile = path in this.c.filesystem;
    if (!isFile && !this.isDir(path)) {
      throw new APIError(404, "Not Found", `stat ${path}: no such file or directory`, "not-found");
    }
    if (isFile || opts.itself) return [this.info(path)];
    const prefix = path === "/" ? "/" : `${path}/`;
    const children = new Set<string>();
    for (const p of [...Object.keys(this.c.filesystem), ...this.c.directories]) {
      if (!p.startsWith(prefix) || p === path) continue;
      children.add(prefix + (p.slice(prefix.length).split("/")[0] as string));
    }
    const re = opts.pattern ? globToRegExp(opts.pattern) : undefined;
    return [...children]
      .sort()
      .map((p) => this.info(p))
      .filter((i) => !re || re.test(i.name));
  }

  async makeDir(path: string, opts: MakeDirOptions = {}): Promise<void> {
    this.connected();
    this.requireAbsolute(path);
    if (path in this.c.filesystem)
      throw new PathError("generic-file-error", `mkdir ${path}: file exists`, path);
    if (this.isDir(path)) {
      if (opts.makeParents) return;
      throw new PathError("generic-file-error", `mkdir ${path}: file exists`, path);
    }
    if (!opts.makeParents && !this.isDir(parentOf(path))) {
      throw new PathError("not-found", `mkdir ${path}: no such file or directory`, path);
    }
    this.addParents(path);
    this.c.directories.push(path);
    this.c.directories.sort();
  }

  async removePath(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    this.connected();
    this.requireAbsolute(path);
    if (path in this.c.filesystem) {
      delete this.c.filesystem[path];
      return;
    }
    if (!this.isDir(path)) {
      if (opts.recursive) return; // Pebble's recursive remove (RemoveAll) accepts a missing path.
      throw new PathError("not-found", `remove ${path}: no such file or directory`, path);
    }
    const inside = (p: string) => p.startsWith(`${path}/`);
    const hasChildren = Object.keys(this.c.filesystem).some(inside) || this.c.directories.some(inside);
    if (hasChildren && !opts.recursive) {
      throw new PathError("generic-file-error", `remove ${path}: directory not empty`, path);
    }
    for (const f of Object.keys(this.c.filesystem)) if (inside(f)) delete this.c.filesystem[f];
    this.c.directories = this.c.directories.filter((d) => d !== path && !inside(d));
  }

  async exec(command: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.connected();
    this.execHistory.push({
      command: [...command],
      environment: { ...(opts.environment ?? {}) },
      workingDir: opts.workingDir,
      stdin: opts.stdin === undefined ? undefined : Buffer.from(opts.stdin).toString("utf8"),
    });
    let best: ExecMock | undefined;
    for (const m of this.c.execs) {
      const matches = m.command.length <= command.length && m.command.every((a, i) => a === command[i]);
      if (matches && (!best || m.command.length > best.command.length)) best = m as ExecMock;
    }
    if (!best) {
      throw new ExecError(
        command,
        127,
        "",
        `mock for cmd ${JSON.stringify(command)} not found in container "${this.c.name}"`,
      );
    }
    if (best.exitCode !== 0) throw new ExecError(command, best.exitCode, best.stdout, best.stderr);
    return { stdout: best.stdout, stderr: best.stderr, exitCode: 0 };
  }

  async sendSignal(signal: string, services: readonly string[]): Promise<void> {
    this.connected();
    if (!/^SIG[A-Z0-9]+$/.test(signal))
      throw new APIError(400, "Bad Request", `invalid signal name "${signal}"`);
    for (const s of services) {
      if (this.c.serviceStatuses[s] !== "active") {
        throw new APIError(400, "Bad Request", `cannot send signal to "${s}": service is not running`);
      }
    }
  }

  async getChecks(opts: { level?: "alive" | "ready"; names?: readonly string[] } = {}): Promise<CheckInfo[]> {
    this.connected();
    return this.c.checks
      .filter((c) => !opts.names?.length || opts.names.includes(c.name))
      .filter((c) => !opts.level || c.level === opts.level)
      .map((c) => structuredClone(c) as CheckInfo);
  }

  private checksAction(names: readonly string[], to: "enabled" | "disabled"): string[] {
    this.connected();
    if (!names.length) throw new APIError(400, "Bad Request", "must specify checks");
    const changed: string[] = [];
    for (const n of names) {
      const i = this.c.checks.findIndex((c) => c.name === n);
      const check = this.c.checks[i];
      if (!check) throw new APIError(400, "Bad Request", `cannot find check "${n}"`);
      const status = to === "enabled" ? "up" : "inactive";
      if (check.status !== status) changed.push(n);
      this.c.checks[i] = { ...check, startup: to, status };
    }
    return changed.sort();
  }

  async startChecks(names: readonly string[]): Promise<string[]> {
    return this.checksAction(names, "enabled");
  }

  async stopChecks(names: readonly string[]): Promise<string[]> {
    return this.checksAction(names, "disabled");
  }

  async getNotices(filter: NoticeFilter = {}): Promise<Notice[]> {
    this.connected();
    const after = filter.after instanceof Date ? filter.after.toISOString() : filter.after;
    return this.c.notices
      .filter((n) => !filter.types?.length || filter.types.includes(n.type))
      .filter((n) => !filter.keys?.length || filter.keys.includes(n.key))
      .filter((n) => !after || Date.parse(n["last-repeated"]) > Date.parse(after))
      .map((n) => structuredClone(n) as Notice);
  }

  async getNotice(id: string): Promise<Notice> {
    this.connected();
    const n = this.c.notices.find((x) => x.id === id);
    if (!n) throw new APIError(404, "Not Found", `cannot find notice with ID "${id}"`, "not-found");
    return structuredClone(n) as Notice;
  }

  async notify(key: string, opts: { data?: Readonly<Record<string, string>> } = {}): Promise<string> {
    this.connected();
    if (!NOTICE_KEY.test(key) || key.length > 256) {
      throw new APIError(400, "Bad Request", `invalid key "${key}" (must be a domain-name/path key)`);
    }
    const existing = this.c.notices.find((n) => n.type === "custom" && n.key === key);
    if (existing) {
      existing.occurrences += 1;
      if (opts.data) existing["last-data"] = { ...opts.data };
      return existing.id;
    }
    const id = String(this.c.notices.reduce((m, n) => Math.max(m, Number(n.id) || 0), 0) + 1);
    this.c.notices.push({
      id,
      type: "custom",
      key,
      "first-occurred": NOW,
      "last-occurred": NOW,
      "last-repeated": NOW,
      occurrences: 1,
      ...(opts.data ? { "last-data": { ...opts.data } } : {}),
    });
    return id;
  }
}

/**
 * `Container`: what a charm uses for one workload container (`unit.container(name)`), on top of
 * any `Pebble` implementation. Adds the conveniences charms need (text pulls, `exists`,
 * `canConnect`, service name lookups) without adding I/O of its own.
 */
import { APIError, ConnectionError, PathError, TimeoutError } from "./errors.js";
import type { Layer, Plan } from "./layer.js";
import type {
  CheckInfo,
  ExecOptions,
  ExecResult,
  FileInfo,
  MakeDirOptions,
  Notice,
  NoticeFilter,
  Pebble,
  PushOptions,
  ServiceInfo,
  WaitOptions,
} from "./types.js";

/**
 * One workload container.
 *
 * @example
 * const c = new Container("prometheus", pebble);
 * if (!(await c.canConnect())) return event.defer();
 * await c.push("/etc/prometheus/prometheus.yml", text, { makeDirs: true });
 * await c.addLayer("prometheus", layer, { combine: true });
 * await c.replan();
 */
export class Container {
  readonly name: string;
  /** The underlying Pebble access, for calls the wrapper does not cover. */
  readonly pebble: Pebble;

  constructor(name: string, pebble: Pebble) {
    this.name = name;
    this.pebble = pebble;
  }

  /** True when Pebble answers `system-info` right now (a point-in-time answer). */
  async canConnect(): Promise<boolean> {
    try {
      await this.pebble.getSystemInfo();
      return true;
    } catch (e) {
      if (e instanceof ConnectionError || e instanceof APIError || e instanceof TimeoutError) return false;
      throw e;
    }
  }

  getPlan(): Promise<Plan> {
    return this.pebble.getPlan();
  }

  addLayer(label: string, layer: Layer | string, opts: { combine?: boolean } = {}): Promise<void> {
    return this.pebble.addLayer(label, layer, opts);
  }

  replan(opts?: WaitOptions): Promise<void> {
    return this.pebble.replan(opts);
  }

  autostart(opts?: WaitOptions): Promise<void> {
    return this.pebble.autostart(opts);
  }

  /** Services by name (all when no names are given). */
  async getServices(...names: string[]): Promise<Map<string, ServiceInfo>> {
    const list = await this.pebble.getServices(names);
    return new Map(list.map((s) => [s.name, s]));
  }

  /** One service; throws `ModelError`-like `Error` naming the service when it is not in the plan. */
  async getService(name: string): Promise<ServiceInfo> {
    const s = (await this.getServices(name)).get(name);
    if (!s) throw new Error(`service "${name}" not found in container "${this.name}"`);
    return s;
  }

  start(...names: string[]): Promise<void> {
    if (!names.length) throw new TypeError("start needs at least one service name");
    return this.pebble.startServices(names);
  }

  stop(...names: string[]): Promise<void> {
    if (!names.length) throw new TypeError("stop needs at least one service name");
    return this.pebble.stopServices(names);
  }

  /** Restarts services; on a very old Pebble without `restart`, stops the running ones and starts all. */
  async restart(...names: string[]): Promise<void> {
    if (!names.length) throw new TypeError("restart needs at least one service name");
    try {
      await this.pebble.restartServices(names);
    } catch (e) {
      if (!(e instanceof APIError) || e.code !== 400 || !/action/i.test(e.message)) throw e;
      const running = (await this.pebble.getServices(names)).filter((s) => s.current === "active");
      if (running.length) await this.pebble.stopServices(running.map((s) => s.name));
      await this.pebble.startServices(names);
    }
  }

  /** Writes a file (text or bytes). */
  push(path: string, data: string | Uint8Array, opts?: PushOptions): Promise<void> {
    return this.pebble.push(path, data, opts);
  }

  /** Reads a file as UTF-8 text. */
  async pull(path: string): Promise<string> {
    return (await this.pebble.pull(path)).toString("utf8");
  }

  /**
   * Reads several files as UTF-8 text in a few requests (instead of one per file): each path to
   * its text, or to the `PathError` Pebble reported for it (a missing file is `not-found`).
   */
  async pullMany(paths: readonly string[]): Promise<Map<string, string | PathError>> {
    const out = new Map<string, string | PathError>();
    for (const [p, v] of await this.pebble.pullMany(paths))
      out.set(p, v instanceof PathError ? v : v.toString("utf8"));
    return out;
  }

  /** Reads a file as bytes. */
  pullBytes(path: string): Promise<Buffer> {
    return this.pebble.pull(path);
  }

  /** True when something exists at `path`. */
  async exists(path: string): Promise<boolean> {
    try {
      await this.pebble.listFiles(path, { itself: true });
      return true;
    } catch (e) {
      if ((e instanceof APIError || e instanceof PathError) && e.kind === "not-found") return false;
      throw e;
    }
  }

  /** True when `path` is a directory. */
  async isDir(path: string): Promise<boolean> {
    try {
      const [info] = await this.pebble.listFiles(path, { itself: true });
      return info?.type === "directory";
    } catch (e) {
      if ((e instanceof APIError || e instanceof PathError) && e.kind === "not-found") return false;
      throw e;
    }
  }

  listFiles(path: string, opts?: { pattern?: string; itself?: boolean }): Promise<FileInfo[]> {
    return this.pebble.listFiles(path, opts);
  }

  makeDir(path: string, opts?: MakeDirOptions): Promise<void> {
    return this.pebble.makeDir(path, opts);
  }

  remove(path: string, opts?: { recursive?: boolean }): Promise<void> {
    return this.pebble.removePath(path, opts);
  }

  /** Runs a command to completion; a non-zero exit throws `ExecError` with stdout/stderr. */
  exec(command: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    return this.pebble.exec(command, opts);
  }

  sendSignal(signal: string, ...services: string[]): Promise<void> {
    return this.pebble.sendSignal(signal, services);
  }

  /** Checks by name (all when no names are given). */
  async getChecks(...names: string[]): Promise<Map<string, CheckInfo>> {
    const list = await this.pebble.getChecks({ names });
    return new Map(list.map((c) => [c.name, c]));
  }

  startChecks(...names: string[]): Promise<string[]> {
    return this.pebble.startChecks(names);
  }

  stopChecks(...names: string[]): Promise<string[]> {
    return this.pebble.stopChecks(names);
  }

  getNotices(filter?: NoticeFilter): Promise<Notice[]> {
    return this.pebble.getNotices(filter);
  }

  getNotice(id: string): Promise<Notice> {
    return this.pebble.getNotice(id);
  }

  notify(
    key: string,
    opts?: { data?: Readonly<Record<string, string>>; repeatAfter?: number },
  ): Promise<string> {
    return this.pebble.notify(key, opts);
  }
}

/**
 * The `Pebble` interface and the wire shapes of Pebble's API results (the `result` of its `/v1/*` endpoints). The HTTP client,
 * the testing harness's in-memory Pebble and the local runtime all implement `Pebble`, so charm
 * code runs unchanged against any of them.
 */
import type { PathError } from "./errors.js";
import type { Layer, Plan } from "./layer.js";

/** `GET /v1/system-info`. */
export interface SystemInfo {
  readonly "boot-id"?: string;
  readonly version: string;
  readonly "http-address"?: string;
}

/** One entry of `GET /v1/services`. */
export interface ServiceInfo {
  readonly name: string;
  readonly startup: "enabled" | "disabled";
  readonly current: "active" | "inactive" | "backoff" | "error";
  readonly "current-since"?: string;
}

/** One task of a change. */
export interface Task {
  readonly id: string;
  readonly kind: string;
  readonly summary: string;
  readonly status: string;
  readonly log?: readonly string[];
  readonly progress?: { readonly label: string; readonly done: number; readonly total: number };
  readonly "spawn-time"?: string;
  readonly "ready-time"?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** A change object (`GET /v1/changes/{id}`). */
export interface Change {
  readonly id: string;
  readonly kind: string;
  readonly summary: string;
  readonly status: string;
  readonly ready: boolean;
  readonly err?: string;
  readonly "spawn-time"?: string;
  readonly "ready-time"?: string;
  readonly data?: Readonly<Record<string, unknown>>;
  /** Absent when the change has no tasks: Pebble's changeInfo has `tasks,omitempty` (internals/daemon/api_changes.go). */
  readonly tasks?: readonly Task[];
}

/** File types `GET /v1/files?action=list` reports. */
export type FileType = "file" | "directory" | "symlink" | "socket" | "named-pipe" | "device" | "unknown";

/** One entry of `GET /v1/files?action=list`. */
export interface FileInfo {
  readonly path: string;
  readonly name: string;
  readonly type: FileType;
  readonly size?: number;
  /** Three octal digits, e.g. `644`. */
  readonly permissions: string;
  readonly "last-modified": string;
  readonly "user-id"?: number;
  readonly user?: string;
  readonly "group-id"?: number;
  readonly group?: string;
}

/** One entry of `GET /v1/checks`. */
export interface CheckInfo {
  readonly name: string;
  readonly level?: "alive" | "ready" | "";
  readonly startup?: "enabled" | "disabled";
  readonly status: "up" | "down" | "inactive";
  readonly successes?: number;
  readonly failures?: number;
  readonly threshold: number;
  readonly "change-id"?: string;
  readonly "prev-change-id"?: string;
}

/** One notice (`GET /v1/notices`). */
export interface Notice {
  readonly id: string;
  readonly "user-id"?: number | null;
  readonly type: "custom" | "change-update" | "warning" | string;
  readonly key: string;
  readonly "first-occurred": string;
  readonly "last-occurred": string;
  readonly "last-repeated": string;
  readonly occurrences: number;
  readonly "last-data"?: Readonly<Record<string, string>>;
  readonly "repeat-after"?: string;
  readonly "expire-after"?: string;
}

/** Ownership and mode options of file writes and directory creation. */
export interface OwnerOptions {
  /** Octal permissions as a number (`0o644`) or a 3-digit string (`"644"`). */
  readonly permissions?: number | string;
  readonly user?: string;
  readonly userId?: number;
  readonly group?: string;
  readonly groupId?: number;
}

/** Options of `push`. */
export interface PushOptions extends OwnerOptions {
  /** Create missing parent directories. */
  readonly makeDirs?: boolean;
}

/** Options of `makeDir`. */
export interface MakeDirOptions extends OwnerOptions {
  readonly makeParents?: boolean;
}

/** Options of `exec`. */
export interface ExecOptions {
  readonly environment?: Readonly<Record<string, string>>;
  readonly workingDir?: string;
  /** Seconds; the command is killed after this long. */
  readonly timeout?: number;
  readonly user?: string;
  readonly userId?: number;
  readonly group?: string;
  readonly groupId?: number;
  /** Run with this service's environment, user and working directory as defaults. */
  readonly serviceContext?: string;
  /** Bytes written to the command's stdin, then EOF. */
  readonly stdin?: string | Uint8Array;
}

/** What a finished command produced. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Options of operations that wait for a change. */
export interface WaitOptions {
  /** Overall deadline in seconds (default 30). */
  readonly timeout?: number;
  /** Polling interval in seconds when the server has no `/wait` endpoint (default 0.1). */
  readonly delay?: number;
}

/** Filters of `getNotices`. */
export interface NoticeFilter {
  readonly types?: readonly string[];
  readonly keys?: readonly string[];
  /** Only notices that last repeated after this time. */
  readonly after?: Date | string;
}

/**
 * Access to one container's Pebble. Every method may throw `ConnectionError` when the container
 * is unreachable, and `APIError` when Pebble refuses the request.
 */
export interface Pebble {
  getSystemInfo(): Promise<SystemInfo>;
  /** The combined plan. */
  getPlan(): Promise<Plan>;
  /** Adds (or with `combine`, merges into) the layer `label`. A string is layer YAML. */
  addLayer(label: string, layer: Layer | string, opts?: { combine?: boolean }): Promise<void>;
  getServices(names?: readonly string[]): Promise<ServiceInfo[]>;
  /** The service actions wait for their change; a failed change throws `ChangeError`. */
  startServices(names: readonly string[], opts?: WaitOptions): Promise<void>;
  stopServices(names: readonly string[], opts?: WaitOptions): Promise<void>;
  restartServices(names: readonly string[], opts?: WaitOptions): Promise<void>;
  /** Starts `startup: enabled` services and restarts those whose definition changed. */
  replan(opts?: WaitOptions): Promise<void>;
  /** Starts the `startup: enabled` services. */
  autostart(opts?: WaitOptions): Promise<void>;
  /** Waits until change `id` is ready and returns it (whatever its outcome). */
  waitChange(id: string, opts?: WaitOptions): Promise<Change>;
  /** Writes a file; a per-path failure throws `PathError`. */
  push(path: string, data: string | Uint8Array, opts?: PushOptions): Promise<void>;
  /** Reads a regular file; a per-path failure throws `PathError`. */
  pull(path: string): Promise<Buffer>;
  /** Reads several regular files: each path to its content or to its `PathError`. */
  pullMany(paths: readonly string[]): Promise<Map<string, Buffer | PathError>>;
  listFiles(path: string, opts?: { pattern?: string; itself?: boolean }): Promise<FileInfo[]>;
  makeDir(path: string, opts?: MakeDirOptions): Promise<void>;
  removePath(path: string, opts?: { recursive?: boolean }): Promise<void>;
  /** Runs a command to completion; a non-zero exit throws `ExecError`. */
  exec(command: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  sendSignal(signal: string, services: readonly string[]): Promise<void>;
  getChecks(opts?: { level?: "alive" | "ready"; names?: readonly string[] }): Promise<CheckInfo[]>;
  /** Returns the names whose state changed. */
  startChecks(names: readonly string[]): Promise<string[]>;
  stopChecks(names: readonly string[]): Promise<string[]>;
  getNotices(filter?: NoticeFilter): Promise<Notice[]>;
  getNotice(id: string): Promise<Notice>;
  /** Records a custom notice; returns its id. */
  notify(
    key: string,
    opts?: { data?: Readonly<Record<string, string>>; repeatAfter?: number },
  ): Promise<string>;
}

/**
 * Pebble's custom notice key rule: a domain name, then a path, as `example.com/path` (Pebble's
 * docs/reference/notices.md: keys are well-namespaced this way).
 */
export const NOTICE_KEY = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+(\/[a-z0-9]+(-[a-z0-9]+)*)+$/;

/** Converts permissions given as a number or string into Pebble's 3-digit octal string. */
export function permissionsString(p: number | string | undefined, fallback: string): string {
  if (p === undefined) return fallback;
  if (typeof p === "number") return (p & 0o777).toString(8).padStart(3, "0");
  if (!/^[0-7]{3,4}$/.test(p)) throw new TypeError(`permissions must be 3 octal digits, got "${p}"`);
  return p.slice(-3);
}

/** Formats seconds as a Go duration string with millisecond precision (`4.000s`). */
export function goDuration(seconds: number): string {
  // Rounded up to the millisecond: a positive wait never prints as "0.000s".
  return `${(Math.ceil(Math.max(0, seconds) * 1000) / 1000).toFixed(3)}s`;
}

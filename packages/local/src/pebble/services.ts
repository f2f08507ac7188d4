/**
 * Service supervision: real processes started from the combined plan, with Pebble's state machine
 * (starting -> running after the 1 s "okay" delay, terminating/killing on stop, backoff between
 * automatic restarts, exited when not restarted), kill-delay, restart policies, and per-service
 * output captured to `<logDir>/<service>.log` with the last lines kept for task logs.
 */
import type { ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import type { Plan, Service } from "@charmkit/ops/pebble";
import { parseCommand } from "./command.js";
import { parseDuration } from "./duration.js";
import { computeBinds, ensureIsolation, lookPath, type Mount, spawnIsolated } from "./sandbox.js";
import { resolveIdentity } from "./users.js";

/** Pebble's wait before a started service counts as running. */
export const OKAY_DELAY_MS = 1000;
/** How long to wait for a process after SIGKILL before giving up. */
export const FAIL_DELAY_MS = 5000;
const KEEP_LINES = 100;
const TASK_LOG_LINES = 20;

type State =
  | "initial"
  | "starting"
  | "running"
  | "terminating"
  | "killing"
  | "stopped"
  | "backoff"
  | "exited";

/** `current` of a service as `GET /v1/services` reports it. */
export type ServiceStatus = "active" | "inactive" | "backoff" | "error";

/** Options of a {@link ServiceManager}. */
export interface ServiceManagerOptions {
  rootDir: string;
  mounts: readonly Mount[];
  /** Base environment of every process (service environments are merged on top). */
  env: Readonly<Record<string, string>>;
  /** Directory of the per-service log files. */
  logDir: string;
  plan: () => Plan;
  log: (line: string) => void;
  /** Namespaces to enter before the container's own (see `IsolatedCommand.enter`). */
  enter?: readonly string[] | undefined;
  /** Every output line of a service, as it is written (Pebble's log forwarding reads them). */
  onLine?: ((service: string, line: string, time: Date) => void) | undefined;
}

class Record_ {
  state: State = "initial";
  since = new Date();
  config: Service | undefined;
  proc: ChildProcess | undefined;
  startedAt = 0;
  backoffDelay: number | undefined;
  backoffTimer: NodeJS.Timeout | undefined;
  okayTimer: NodeJS.Timeout | undefined;
  resetTimer: NodeJS.Timeout | undefined;
  startWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  exitWaiters: (() => void)[] = [];
  lines: string[] = [];
  partial = "";
  file: WriteStream | undefined;
  constructor(readonly name: string) {}

  transition(state: State): void {
    if (this.state !== state) this.since = new Date();
    this.state = state;
  }
}

/** Maps Pebble's internal states onto the four statuses the API reports. */
export function statusOf(state: State): ServiceStatus {
  switch (state) {
    case "starting":
    case "running":
    case "terminating":
    case "killing":
      return "active";
    case "backoff":
      return "backoff";
    case "exited":
      return "error";
    default:
      return "inactive";
  }
}

function durationOr(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : parseDuration(text);
}

/** Supervises the services of one container. */
export class ServiceManager {
  readonly #opts: ServiceManagerOptions;
  readonly #records = new Map<string, Record_>();

  constructor(opts: ServiceManagerOptions) {
    this.#opts = opts;
  }

  #record(name: string): Record_ {
    let r = this.#records.get(name);
    if (!r) {
      r = new Record_(name);
      this.#records.set(name, r);
    }
    return r;
  }

  /** Current status and since-time of a service (inactive when never started). */
  status(name: string): { current: ServiceStatus; since: Date | undefined } {
    const r = this.#records.get(name);
    return r ? { current: statusOf(r.state), since: r.since } : { current: "inactive", since: undefined };
  }

  /** True while the service has a process (starting, running, or being stopped). */
  isActive(name: string): boolean {
    return this.status(name).current === "active";
  }

  /** The configuration the service was last started with. */
  runningConfig(name: string): Service | undefined {
    return this.#records.get(name)?.config;
  }

  /** Names of services that are active or waiting to restart. */
  liveServices(): string[] {
    return [...this.#records.values()]
      .filter((r) => ["starting", "running", "backoff", "terminating", "killing"].includes(r.state))
      .map((r) => r.name)
      .sort();
  }

  /** The last `n` output lines of a service. */
  lastLogs(name: string, n = TASK_LOG_LINES): string[] {
    return this.#records.get(name)?.lines.slice(-n) ?? [];
  }

  /**
   * Starts a service and resolves once it has run for {@link OKAY_DELAY_MS}. A no-op when it is
   * already active.
   *
   * @throws Error "cannot start service: exited quickly with code N" (with `lastLogs`) and others.
   */
  async start(name: string, onLogs?: (lines: string[]) => void): Promise<void> {
    const r = this.#record(name);
    if (statusOf(r.state) === "active") return;
    clearTimeout(r.backoffTimer);
    await ensureIsolation();
    const started = new Promise<void>((resolve, reject) => {
      r.startWaiter = { resolve, reject };
    });
    try {
      this.#spawn(r);
    } catch (e) {
      r.startWaiter = undefined;
      r.transition("stopped");
      throw e;
    }
    try {
      await started;
    } catch (e) {
      onLogs?.(this.lastLogs(name));
      throw e;
    }
  }

  #spawn(r: Record_): void {
    const config = this.#opts.plan().services?.[r.name];
    if (!config?.command)
      throw new Error(`cannot start service: service "${r.name}" does not exist in the plan`);
    const argv = parseCommand(config.command);
    const identity = resolveIdentity({
      user: config.user,
      userId: config["user-id"],
      group: config.group,
      groupId: config["group-id"],
    });
    const env: Record<string, string> = { ...this.#opts.env, ...config.environment };
    if (identity) {
      env.HOME ??= identity.home;
      if (identity.name) env.USER ??= identity.name;
    }
    const cwd = config["working-dir"] ?? "/";
    const { binds } = computeBinds(this.#opts.rootDir, this.#opts.mounts);
    // servstate/handlers.go uses exec.Command, which looks the program up on the daemon's PATH
    // (not the service's environment); the resolved path is what runs.
    const exe = lookPath(argv[0] as string, this.#opts.env.PATH ?? "", binds, cwd);
    if (!exe) throw new Error(`cannot start service: exec: "${argv[0]}": executable file not found in $PATH`);
    r.file ??= this.#openLog(r.name);
    const proc = spawnIsolated({
      argv: [exe, ...argv.slice(1)],
      env,
      cwd,
      binds,
      identity,
      enter: this.#opts.enter,
    });
    r.proc = proc;
    r.config = structuredClone(config);
    r.startedAt = Date.now();
    r.transition("starting");
    this.#opts.log(`Service "${r.name}" starting: ${config.command}`);
    const onData = (chunk: Buffer) => this.#output(r, chunk.toString("utf8"));
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    let exited = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      this.#flushPartial(r);
      this.#exited(r, proc, code, signal);
    };
    // 'close' comes after the output is drained; a daemonised grandchild can hold the pipes
    // open, so fall back to 'exit' shortly after.
    proc.on("close", onExit);
    proc.on("exit", (code, signal) => setTimeout(() => onExit(code, signal), 200).unref());
    proc.on("error", (err) => {
      this.#output(r, `pebble: cannot run ${argv[0]}: ${err.message}\n`);
      onExit(127, null);
    });
    r.okayTimer = setTimeout(() => {
      if (r.proc !== proc || r.state !== "starting") return;
      r.transition("running");
      r.startWaiter?.resolve();
      r.startWaiter = undefined;
    }, OKAY_DELAY_MS);
    // Staying up for backoff-limit resets the backoff, as Pebble documents.
    const limit = durationOr(config["backoff-limit"], 30_000);
    r.resetTimer = setTimeout(() => {
      if (r.proc === proc) r.backoffDelay = undefined;
    }, limit);
    r.resetTimer.unref();
  }

  #openLog(name: string): WriteStream {
    mkdirSync(this.#opts.logDir, { recursive: true });
    const file = createWriteStream(join(this.#opts.logDir, `${name}.log`), { flags: "a" });
    file.on("error", (e) => this.#opts.log(`cannot write log of service "${name}": ${e.message}`));
    return file;
  }

  #output(r: Record_, text: string): void {
    const parts = (r.partial + text).split("\n");
    r.partial = parts.pop() ?? "";
    for (const line of parts) this.#line(r, line);
  }

  #flushPartial(r: Record_): void {
    if (r.partial) this.#line(r, r.partial);
    r.partial = "";
  }

  #line(r: Record_, line: string): void {
    r.lines.push(line);
    if (r.lines.length > KEEP_LINES) r.lines.splice(0, r.lines.length - KEEP_LINES);
    const time = new Date();
    r.file?.write(`${time.toISOString()} [${r.name}] ${line}\n`);
    this.#opts.onLine?.(r.name, line, time);
  }

  #exited(r: Record_, proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (r.proc !== proc) return;
    clearTimeout(r.okayTimer);
    clearTimeout(r.resetTimer);
    r.proc = undefined;
    const exitCode = code ?? -1;
    const how = signal ? `signal ${signal}` : `code ${exitCode}`;
    const wasStopping = r.state === "terminating" || r.state === "killing";
    if (wasStopping) {
      r.transition("stopped");
      this.#opts.log(`Service "${r.name}" stopped (${how})`);
    } else {
      if (r.state === "starting" && r.startWaiter) {
        const err = new Error(`cannot start service: exited quickly with ${how}`);
        r.startWaiter.reject(err);
        r.startWaiter = undefined;
      }
      this.#applyPolicy(r, code === 0 && !signal, how);
    }
    const waiters = r.exitWaiters.splice(0);
    for (const w of waiters) w();
  }

  #applyPolicy(r: Record_, success: boolean, how: string): void {
    const config = r.config ?? {};
    const action = (success ? config["on-success"] : config["on-failure"]) ?? "restart";
    this.#opts.log(`Service "${r.name}" exited with ${how}; action ${action}`);
    if (action === "restart") {
      this.#backoff(r);
      return;
    }
    if (action !== "ignore") {
      // Pebble would exit the daemon (and the container would restart); here that is left to
      // the controller, so the service just stays down.
      this.#opts.log(
        `Service "${r.name}" requested "${action}" of the daemon; the local runtime keeps running`,
      );
    }
    r.transition("exited");
  }

  #backoff(r: Record_): void {
    const config = r.config ?? {};
    const first = durationOr(config["backoff-delay"], 500);
    const factor = config["backoff-factor"] ?? 2;
    const limit = durationOr(config["backoff-limit"], 30_000);
    const delay = Math.min(r.backoffDelay ?? first, limit);
    r.backoffDelay = Math.min(delay * factor, limit);
    r.transition("backoff");
    r.backoffTimer = setTimeout(() => {
      if (r.state !== "backoff") return;
      try {
        this.#spawn(r);
      } catch (e) {
        this.#opts.log(`Service "${r.name}" restart failed: ${(e as Error).message}`);
        r.transition("exited");
      }
    }, delay);
  }

  /**
   * Stops a service: SIGTERM to its process group, SIGKILL after kill-delay, then waits for it.
   * A service in backoff simply stops waiting; an inactive one is left alone.
   *
   * @throws Error when the process survives SIGKILL for {@link FAIL_DELAY_MS}.
   */
  async stop(name: string): Promise<void> {
    const r = this.#records.get(name);
    if (!r) return;
    clearTimeout(r.backoffTimer);
    if (r.state === "backoff") {
      r.transition("stopped");
      return;
    }
    const proc = r.proc;
    if (!proc) return;
    if (r.startWaiter) {
      r.startWaiter.reject(new Error("cannot start service: stopped while starting"));
      r.startWaiter = undefined;
    }
    const gone = new Promise<void>((resolve) => r.exitWaiters.push(resolve));
    if (r.state === "starting" || r.state === "running") {
      r.transition("terminating");
      killGroup(proc, "SIGTERM");
    }
    const killDelay = durationOr(r.config?.["kill-delay"], 5000);
    const killTimer = setTimeout(() => {
      if (r.proc !== proc) return;
      r.transition("killing");
      killGroup(proc, "SIGKILL");
    }, killDelay);
    let failTimer: NodeJS.Timeout | undefined;
    const failed = new Promise<"timeout">((resolve) => {
      failTimer = setTimeout(() => resolve("timeout"), killDelay + FAIL_DELAY_MS);
    });
    const outcome = await Promise.race([gone, failed]);
    clearTimeout(killTimer);
    clearTimeout(failTimer);
    if (outcome === "timeout") throw new Error(`cannot stop service: process still running after SIGKILL`);
  }

  /** Stops then restarts a service through backoff, as Pebble does for `on-check-failure: restart`. */
  async restartForCheck(name: string, check: string): Promise<void> {
    const r = this.#records.get(name);
    if (!r?.proc || (r.state !== "running" && r.state !== "starting")) return;
    this.#opts.log(`Service "${name}" restarting: check "${check}" failed`);
    await this.stop(name);
    this.#backoff(r);
  }

  /** Sends a signal to a running service's process group. */
  /** Whether the service's process is starting or running (what a signal can reach). */
  isRunning(name: string): boolean {
    const r = this.#records.get(name);
    return r?.proc !== undefined && ["starting", "running"].includes(r.state);
  }

  signal(name: string, sig: NodeJS.Signals): void {
    const r = this.#records.get(name);
    if (!r?.proc || !["starting", "running"].includes(r.state)) {
      throw new Error(`cannot send signal to "${name}": service is not running`);
    }
    killGroup(r.proc, sig);
  }

  /** Stops every service (used on server shutdown), honouring each kill-delay. */
  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.#records.keys()].map((n) => this.stop(n)));
    for (const r of this.#records.values()) {
      clearTimeout(r.backoffTimer);
      r.file?.end();
      r.file = undefined;
    }
  }
}

function killGroup(proc: ChildProcess, sig: NodeJS.Signals): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(-proc.pid, sig);
  } catch {
    try {
      proc.kill(sig);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Orders services for starting: dependencies named in `requires` are added, `after`/`before`
 * respected, ties broken by name. Stopping uses the reverse.
 *
 * @throws Error on an unknown service or a dependency cycle.
 */
export function startOrder(plan: Plan, names: readonly string[]): string[] {
  const services = plan.services ?? {};
  const wanted = new Set<string>();
  const add = (n: string) => {
    if (wanted.has(n)) return;
    if (!services[n]) throw new Error(`service "${n}" does not exist`);
    wanted.add(n);
    for (const dep of services[n]?.requires ?? []) add(dep);
  };
  for (const n of names) add(n);
  const after = new Map<string, Set<string>>();
  for (const n of wanted) after.set(n, new Set());
  for (const n of wanted) {
    for (const a of services[n]?.after ?? []) if (wanted.has(a)) after.get(n)?.add(a);
    for (const b of services[n]?.before ?? []) if (wanted.has(b)) after.get(b)?.add(n);
  }
  const out: string[] = [];
  const remaining = new Set(wanted);
  while (remaining.size) {
    const ready = [...remaining]
      .filter((n) => [...(after.get(n) ?? [])].every((d) => !remaining.has(d)))
      .sort();
    if (!ready.length) throw new Error(`services in before/after loop: ${[...remaining].sort().join(", ")}`);
    const next = ready[0] as string;
    out.push(next);
    remaining.delete(next);
  }
  return out;
}

/**
 * The order to stop `names` in, as Pebble's plan StopOrder: the named services plus every service
 * that requires one of them (transitively), dependants first (`before`/`after` read backwards).
 *
 * @throws Error on a before/after loop.
 */
export function stopOrder(plan: Plan, names: readonly string[]): string[] {
  const services = plan.services ?? {};
  const wanted = new Set<string>();
  const add = (n: string) => {
    if (wanted.has(n)) return;
    wanted.add(n);
    for (const [other, svc] of Object.entries(services)) if (svc.requires?.includes(n)) add(other);
  };
  for (const n of names) add(n);
  const starting = startOrder(
    { services: Object.fromEntries([...wanted].map((n) => [n, { ...services[n], requires: [] }])) },
    [...wanted],
  );
  return starting.reverse();
}

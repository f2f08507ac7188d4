/**
 * Health checks from the plan: http (2xx is up), tcp (connect), exec (exit code 0, run in the
 * container's namespace like any exec), each with period, timeout and threshold. A check goes
 * "down" after `threshold` consecutive failures and then triggers `on-check-failure` of the
 * services that name it; one success brings it back "up". As in Pebble (checkstate/request.go),
 * a running check is driven by a change: "perform-check" while it is up, which fails when the
 * check reaches its threshold and gives way to a "recover-check" change until it succeeds again;
 * `GET /v1/checks` reports the current one as `change-id` (ops takes a check without one as
 * inactive).
 */
import { connect } from "node:net";
import type { Check, Plan } from "@charmkit/ops/pebble";
import type { ChangeStore } from "./changes.js";
import { parseCommand } from "./command.js";
import { parseDuration } from "./duration.js";
import { computeBinds, type Mount, spawnIsolated } from "./sandbox.js";
import { resolveIdentity } from "./users.js";

/** A check as `GET /v1/checks` reports it. */
export interface CheckInfo {
  name: string;
  level?: string;
  startup: "enabled" | "disabled";
  status: "up" | "down" | "inactive";
  successes: number;
  failures: number;
  threshold: number;
  "change-id"?: string;
  "prev-change-id"?: string;
}

/** Options of a {@link CheckManager}. */
export interface CheckManagerOptions {
  rootDir: string;
  mounts: readonly Mount[];
  env: Readonly<Record<string, string>>;
  plan: () => Plan;
  /** Called when a check goes down (reaches its threshold). */
  onDown: (check: string) => void;
  log: (line: string) => void;
  /** Where the perform-check and recover-check changes live. */
  changes?: ChangeStore;
  /** Namespaces to enter before the container's own (see `IsolatedCommand.enter`). */
  enter?: readonly string[] | undefined;
}

interface Runner {
  timer: NodeJS.Timeout | undefined;
  successes: number;
  failures: number;
  status: "up" | "down";
  running: boolean;
  /** The change driving the check now, and how to end it (an error message fails it). */
  changeId?: string | undefined;
  prevChangeId?: string | undefined;
  finish?: ((error?: string) => void) | undefined;
}

/** checkstate's checkType: how a check is named in its changes' summaries. */
function checkType(c: Check): string {
  return c.http ? "HTTP" : c.tcp ? "TCP" : "exec";
}

/** Runs the checks of one container. */
export class CheckManager {
  readonly #opts: CheckManagerOptions;
  readonly #runners = new Map<string, Runner>();

  constructor(opts: CheckManagerOptions) {
    this.#opts = opts;
  }

  /** Reports the checks of the plan, optionally filtered, sorted by name. */
  list(level?: string, names?: readonly string[]): CheckInfo[] {
    const checks = this.#opts.plan().checks ?? {};
    return Object.keys(checks)
      .sort()
      .filter((n) => !names?.length || names.includes(n))
      .filter((n) => !level || checks[n]?.level === level)
      .map((name) => {
        const c = checks[name] as Check;
        const r = this.#runners.get(name);
        const info: CheckInfo = {
          name,
          startup: c.startup ?? "enabled",
          status: r ? r.status : "inactive",
          successes: r?.successes ?? 0,
          failures: r?.failures ?? 0,
          threshold: c.threshold ?? 3,
        };
        if (c.level) info.level = c.level;
        if (r?.changeId) info["change-id"] = r.changeId;
        if (r?.prevChangeId) info["prev-change-id"] = r.prevChangeId;
        return info;
      });
  }

  /** Starts the named checks (already running ones are left alone); returns those that changed. */
  start(names: readonly string[]): string[] {
    const changed: string[] = [];
    for (const name of names) {
      if (this.#runners.has(name)) continue;
      const runner: Runner = { timer: undefined, successes: 0, failures: 0, status: "up", running: false };
      this.#runners.set(name, runner);
      this.#drive(name, runner, "perform-check");
      this.#schedule(name, runner);
      changed.push(name);
    }
    return changed.sort();
  }

  /** Stops the named checks; returns those that changed. */
  stop(names: readonly string[]): string[] {
    const changed: string[] = [];
    for (const name of names) {
      const r = this.#runners.get(name);
      if (!r) continue;
      clearTimeout(r.timer);
      this.#runners.delete(name);
      r.finish?.("check stopped");
      changed.push(name);
    }
    return changed.sort();
  }

  /**
   * Brings running checks in line with the plan: checks removed from it stop, changed ones are
   * restarted, and `startup: enabled` ones start.
   */
  replan(previous: Plan | undefined): void {
    const checks = this.#opts.plan().checks ?? {};
    for (const name of [...this.#runners.keys()]) {
      const before = JSON.stringify(previous?.checks?.[name] ?? null);
      if (!checks[name] || before !== JSON.stringify(checks[name])) this.stop([name]);
    }
    this.start(Object.keys(checks).filter((n) => (checks[n]?.startup ?? "enabled") === "enabled"));
  }

  /** Stops every check. */
  stopAll(): void {
    this.stop([...this.#runners.keys()]);
  }

  /** Opens the change that drives the check from now on (the previous one is already ended). */
  #drive(name: string, r: Runner, kind: "perform-check" | "recover-check"): void {
    const changes = this.#opts.changes;
    const check = this.#opts.plan().checks?.[name];
    if (!changes || !check) return;
    const summary = `${kind === "perform-check" ? "Perform" : "Recover"} ${checkType(check)} check "${name}"`;
    let finish: (error?: string) => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      finish = (error) => (error === undefined ? resolve() : reject(new Error(error)));
    });
    const change = changes.start(kind, summary, [{ kind, summary, run: () => done }]);
    r.prevChangeId = r.changeId;
    r.changeId = change.id;
    r.finish = (error) => {
      r.finish = undefined;
      finish(error);
    };
  }

  #schedule(name: string, r: Runner): void {
    const check = this.#opts.plan().checks?.[name];
    const period = check?.period ? parseDuration(check.period) : 10_000;
    r.timer = setTimeout(() => void this.#runOnce(name, r), period);
    r.timer.unref();
  }

  async #runOnce(name: string, r: Runner): Promise<void> {
    const check = this.#opts.plan().checks?.[name];
    if (!check || this.#runners.get(name) !== r) return;
    const timeout = check.timeout ? parseDuration(check.timeout) : 3000;
    let error: string | undefined;
    try {
      await this.#perform(check, timeout);
    } catch (e) {
      error = (e as Error).message;
    }
    if (this.#runners.get(name) !== r) return;
    if (error === undefined) {
      r.successes++;
      r.failures = 0;
      if (r.status === "down") {
        this.#opts.log(`Check "${name}" is up again`);
        r.finish?.();
        this.#drive(name, r, "perform-check");
      }
      r.status = "up";
    } else {
      r.failures++;
      this.#opts.log(`Check "${name}" failure ${r.failures}/${check.threshold ?? 3}: ${error}`);
      if (r.status === "up" && r.failures >= (check.threshold ?? 3)) {
        r.status = "down";
        r.finish?.(error);
        this.#drive(name, r, "recover-check");
        this.#opts.onDown(name);
      }
    }
    this.#schedule(name, r);
  }

  async #perform(check: Check, timeoutMs: number): Promise<void> {
    if (check.http) {
      const res = await fetch(check.http.url ?? "", {
        headers: check.http.headers ?? {},
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status > 299) throw new Error(`non-20x status code ${res.status}`);
      return;
    }
    if (check.tcp) {
      const { port, host = "localhost" } = check.tcp;
      await new Promise<void>((resolve, reject) => {
        const sock = connect({ port: port ?? 0, host, timeout: timeoutMs });
        sock.once("connect", () => {
          sock.destroy();
          resolve();
        });
        sock.once("timeout", () => {
          sock.destroy();
          reject(new Error(`timed out connecting to ${host}:${port}`));
        });
        sock.once("error", reject);
      });
      return;
    }
    if (check.exec) await this.#exec(check, timeoutMs);
  }

  async #exec(check: Check, timeoutMs: number): Promise<void> {
    const spec = check.exec ?? {};
    const ctx = spec["service-context"] ? this.#opts.plan().services?.[spec["service-context"]] : undefined;
    const identity = resolveIdentity({
      user: spec.user ?? ctx?.user,
      userId: spec["user-id"] ?? ctx?.["user-id"],
      group: spec.group ?? ctx?.group,
      groupId: spec["group-id"] ?? ctx?.["group-id"],
    });
    const env = { ...this.#opts.env, ...ctx?.environment, ...spec.environment };
    const { binds } = computeBinds(this.#opts.rootDir, this.#opts.mounts);
    const proc = spawnIsolated({
      argv: parseCommand(spec.command ?? ""),
      env,
      cwd: spec["working-dir"] ?? ctx?.["working-dir"] ?? "/",
      binds,
      identity,
      enter: this.#opts.enter,
    });
    let out = "";
    proc.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => {
      if (proc.pid) process.kill(-proc.pid, "SIGKILL");
    }, timeoutMs);
    const code = await new Promise<number | null>((resolve) => proc.on("close", (c) => resolve(c)));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`exit status ${code ?? "signal"}: ${out.trim().slice(-500)}`);
  }
}

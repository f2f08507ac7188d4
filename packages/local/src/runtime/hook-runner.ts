/**
 * Runs one hook or action: the charm's `dispatch` with Juju's environment and the hook tools first
 * on PATH, its output captured into the hook context and the unit's log, killed when it outlives
 * the hook timeout.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type { HookContext } from "./hook-context.js";
import type { ModelLayout } from "./layout.js";
import type { ModelFile, QueuedEvent, UnitRec } from "./model.js";
import { eventEnv } from "./events.js";

/** Options of a {@link HookRunner}. */
export interface HookRunnerOptions {
  readonly layout: ModelLayout;
  readonly model: ModelFile;
  /** Kill a hook that runs longer than this. */
  readonly hookTimeoutMs: number;
}

/** Starts hook processes and keeps track of the running ones. */
export class HookRunner {
  private readonly procs = new Set<ChildProcess>();

  constructor(private readonly opts: HookRunnerOptions) {}

  /** Runs `ev` on unit `u` with context `ctx`; resolves with the exit code (null when killed). */
  run(u: UnitRec, ev: QueuedEvent, ctx: HookContext): Promise<number | null> {
    const { layout } = this.opts;
    const charmDir = layout.unitCharmDir(u.name);
    const inherited: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      // A controller started from inside a hook must not leak that hook's identity.
      if (v !== undefined && !k.startsWith("JUJU_") && k !== "CHARM_DIR") inherited[k] = v;
    }
    const env: Record<string, string> = {
      ...inherited,
      PATH: `${layout.toolsDir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      ...eventEnv(this.opts.model, u, ev, charmDir),
      CHARM_DIR: charmDir,
      JUJU_CONTEXT_ID: ctx.id,
      JUJU_AGENT_SOCKET_ADDRESS: layout.agentSocket,
      JUJU_AGENT_SOCKET_NETWORK: "unix",
      JUJU_API_ADDRESSES: "",
      JUJU_MACHINE_ID: "",
      JUJU_AVAILABILITY_ZONE: "",
      CHARMKIT_PEBBLE_SOCKET_DIR: layout.containersDir(u.name),
      CHARMKIT_UNIT_FQDN: u.address,
    };
    layout.logUnit(
      u.name,
      `running ${ev.hook}${ev.env.JUJU_REMOTE_UNIT ? ` (remote ${ev.env.JUJU_REMOTE_UNIT})` : ""}`,
    );
    return new Promise((res) => {
      const child = spawn(join(charmDir, "dispatch"), [], {
        cwd: charmDir,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.procs.add(child);
      const timer = setTimeout(() => child.kill("SIGKILL"), this.opts.hookTimeoutMs);
      child.stdout?.on("data", (d: Buffer) => {
        ctx.stdout += d.toString();
        layout.logUnit(u.name, d.toString());
      });
      child.stderr?.on("data", (d: Buffer) => {
        ctx.stderr += d.toString();
        layout.logUnit(u.name, d.toString());
      });
      child.on("error", (e) => {
        layout.logUnit(u.name, `cannot run dispatch: ${e.message}`);
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        this.procs.delete(child);
        res(code === null ? null : code);
      });
    });
  }

  /** Kills every running hook process. */
  killAll(): void {
    for (const p of this.procs) p.kill("SIGKILL");
  }
}

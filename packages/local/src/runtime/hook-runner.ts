/**
 * Runs one hook or action as Juju's unit agent does on Kubernetes: the charm's `dispatch` in the
 * unit's charm container (see pods/charm-container.ts), inside the pod's network and UTS
 * namespaces, with Juju's environment and nothing else (no variable of the runtime's own), its
 * output captured into the hook context and the unit's log, killed when it outlives the timeout.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { bwrapArgs } from "../pods/charm-container.js";
import type { PodRuntime } from "../pods/runtime.js";
import type { CharmMeta } from "../charm-meta.js";
import { eventEnv } from "./events.js";
import type { HookContext } from "./hook-context.js";
import { ContainerPaths, charmContainerBinds, type ModelLayout } from "./layout.js";
import type { ModelFile, QueuedEvent, UnitRec } from "./model.js";

/** The PATH of a charm container's image (Ubuntu's default), after which Juju puts its tools. */
const IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Options of a {@link HookRunner}. */
export interface HookRunnerOptions {
  readonly layout: ModelLayout;
  readonly model: ModelFile;
  readonly pods: () => PodRuntime;
  readonly bwrap: string;
  meta(app: string): CharmMeta;
  /** Kill a hook that runs longer than this. */
  readonly hookTimeoutMs: number;
}

/**
 * The environment Juju gives a hook (its uniter's HookVars plus the Ubuntu variables of
 * internal/worker/uniter/runner/context/env.go), for the charm container's paths.
 */
export function hookEnvironment(
  model: ModelFile,
  u: UnitRec,
  ev: QueuedEvent,
  contextId: string,
): Record<string, string> {
  const c = new ContainerPaths(u.name);
  const env: Record<string, string> = {
    APT_LISTCHANGES_FRONTEND: "none",
    DEBIAN_FRONTEND: "noninteractive",
    LANG: "C.UTF-8",
    TERM: "tmux-256color",
    PATH: `${c.toolsDir}:${IMAGE_PATH}`,
    CHARM_DIR: c.charmDir,
    JUJU_CONTEXT_ID: contextId,
    JUJU_AGENT_SOCKET_ADDRESS: c.agentSocket,
    JUJU_AGENT_SOCKET_NETWORK: "unix",
    JUJU_API_ADDRESSES: "",
    JUJU_MACHINE_ID: "",
    JUJU_PRINCIPAL_UNIT: "",
    JUJU_AVAILABILITY_ZONE: "",
    CLOUD_API_VERSION: "",
    JUJU_CHARM_HTTP_PROXY: "",
    JUJU_CHARM_HTTPS_PROXY: "",
    JUJU_CHARM_FTP_PROXY: "",
    JUJU_CHARM_NO_PROXY: "127.0.0.1,localhost,::1",
    ...eventEnv(model, u, ev, c.charmDir),
  };
  // Storage hooks also say where the storage is and what kind it is.
  const storageId = ev.env.JUJU_STORAGE_ID;
  if (storageId !== undefined) {
    env.JUJU_STORAGE_LOCATION = c.storage(storageId.slice(0, storageId.lastIndexOf("/")));
    env.JUJU_STORAGE_KIND = "filesystem";
  }
  return env;
}

/** Starts hook processes and keeps track of the running ones. */
export class HookRunner {
  private readonly procs = new Set<ChildProcess>();

  constructor(private readonly opts: HookRunnerOptions) {}

  /**
   * Runs `ev` on unit `u` with context `ctx` (the charm's dispatch, or `argv` for a command in the
   * hook context); resolves with the exit code (null when killed).
   */
  run(u: UnitRec, ev: QueuedEvent, ctx: HookContext, argv?: readonly string[]): Promise<number | null> {
    const { layout } = this.opts;
    const pod = this.opts.pods().pod(u.name);
    const paths = new ContainerPaths(u.name);
    const meta = this.opts.meta(u.app);
    layout.logUnit(
      u.name,
      argv
        ? `running juju-exec ${argv.join(" ")}`
        : `running ${ev.hook}${ev.env.JUJU_REMOTE_UNIT ? ` (remote ${ev.env.JUJU_REMOTE_UNIT})` : ""}`,
    );
    if (!pod) {
      layout.logUnit(u.name, `cannot run dispatch: unit ${u.name} has no pod`);
      return Promise.resolve(null);
    }
    const args = bwrapArgs({
      usr: this.opts.pods().usr.mountPoint,
      binds: charmContainerBinds(layout, u.name, Object.keys(meta.containers), meta.storage),
      chdir: paths.charmDir,
    });
    const [enter = "nsenter", ...enterArgs] = pod.enter;
    return new Promise((res) => {
      const command = argv ?? [`${paths.charmDir}/dispatch`];
      const child = spawn(enter, [...enterArgs, this.opts.bwrap, ...args, "--", ...command], {
        env: hookEnvironment(this.opts.model, u, ev, ctx.id),
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

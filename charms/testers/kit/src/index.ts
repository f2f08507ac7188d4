/**
 * What the tester charms share (bundled into each of them by the charm build, like any package
 * they import): the events after which they reconcile, keeping a file of the charm's in the
 * workload container, and keeping a Pebble service running a given command. Each tester's
 * reconcile is then its own logic plus these calls. What their workload scripts share is in
 * ./workload.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Framework } from "@charmkit/ops";
import type { Container } from "@charmkit/ops/pebble";

/**
 * Observes the events after which every tester reconciles: its workload container's
 * pebble-ready (when it has one), config-changed, upgrade-charm (a new charm may bring a new
 * workload script) and update-status. The charm observes its relation events itself.
 */
export function observeLifecycle(framework: Framework, run: () => Promise<void>, container?: string): void {
  if (container !== undefined) framework.observe("pebble-ready", container, run);
  framework.observe("config-changed", run);
  framework.observe("upgrade-charm", run);
  framework.observe("update-status", run);
}

/**
 * Pushes `content` to `path` (making its directories) unless the container holds exactly that
 * already. A file that cannot be read counts as missing. Returns true when it pushed.
 */
export async function pushIfChanged(c: Container, path: string, content: string): Promise<boolean> {
  const current = await c.pull(path).catch(() => undefined);
  if (current === content) return false;
  await c.push(path, content, { makeDirs: true });
  return true;
}

/**
 * Puts the charm's `workload/<file>` at `dest` in the container (the charm's own files are not
 * there). When it changed, `service` is stopped, so that {@link ensureService} starts it again on
 * the new script instead of leaving the old one running. Returns true when it pushed.
 */
export async function pushWorkloadScript(
  c: Container,
  charmDir: string,
  file: string,
  dest: string,
  service: string,
): Promise<boolean> {
  const pushed = await pushIfChanged(c, dest, readFileSync(join(charmDir, "workload", file), "utf8"));
  // Stopping a service the plan does not have yet fails; there is nothing to stop then.
  if (pushed) await c.stop(service).catch(() => undefined);
  return pushed;
}

/** A Pebble service a tester keeps running. */
export interface TesterService {
  /** The service's name, also its layer's label. */
  readonly name: string;
  readonly command: string;
  /** The layer's summary. */
  readonly summary: string;
}

/**
 * Keeps `service` running its command: when the plan has another command for it, or it is not
 * active, its layer is replaced (combined, `override: replace`, started at boot) and the plan
 * replanned. `onStart` runs just before, to say so in the unit's status. Returns true when it
 * (re)started the service, false when it was already running that command.
 */
export async function ensureService(
  c: Container,
  service: TesterService,
  onStart?: () => void,
): Promise<boolean> {
  const { name, command, summary } = service;
  const planned = ((await c.getPlan()).services as Record<string, { command?: string }> | undefined)?.[name];
  if (planned?.command === command && (await serviceState(c, name)) === "active") return false;
  onStart?.();
  await c.addLayer(
    name,
    { summary, services: { [name]: { override: "replace", command, startup: "enabled" } } },
    { combine: true },
  );
  await c.replan();
  return true;
}

/** The service's current state (`active`, `inactive`, `error`...), or undefined when there is none. */
export async function serviceState(c: Container, name: string): Promise<string | undefined> {
  return (await c.getServices(name)).get(name)?.current;
}

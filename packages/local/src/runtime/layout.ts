/**
 * Where a local model keeps things, on the host under its home directory and inside a unit's
 * charm container at Juju's paths.
 *
 * Host side: the model file, the hook-tool executables, each application's prepared charm, and
 * per unit `units/<app>-<n>/`: `agent/` (Juju's agent directory: `charm/` and `agent.socket`),
 * `containers/<c>/` (a workload container's root and Pebble socket), `storage/<name>/0`, `pod/`
 * (the pod's hosts and hostname files), `rootfs/` (the charm container's /tmp and /root) and the
 * unit's log.
 *
 * Container side (Kubernetes charm container, as Juju lays it out): the agent directory
 * `/var/lib/juju/agents/unit-<app>-<n>` with the charm in `charm/`, the hook tools in
 * `/var/lib/juju/tools/unit-<app>-<n>`, storage at `/var/lib/juju/storage/<name>/<n>`, and
 * Pebble sockets at `/charm/containers/<container>/pebble.socket`.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import type { ContainerBind } from "../pods/charm-container.js";
import { unitTag } from "../pods/naming.js";

/** Paths of one model's home. */
export class ModelLayout {
  constructor(readonly home: string) {}

  get modelFile(): string {
    return join(this.home, "model.json");
  }

  /** Where the hook-tool executables are installed. */
  get toolsDir(): string {
    return join(this.home, "tools");
  }

  /** An application's prepared charm, copied into each of its units. */
  charmSource(app: string): string {
    return join(this.home, "charms", app);
  }

  unitDir(unit: string): string {
    return join(this.home, "units", unit.replace("/", "-"));
  }

  /** The unit's agent directory (Juju's /var/lib/juju/agents/unit-<app>-<n>). */
  agentDir(unit: string): string {
    return join(this.unitDir(unit), "agent");
  }

  /** The charm directory a unit runs (its own copy, so the charm's state is per unit). */
  unitCharmDir(unit: string): string {
    return join(this.agentDir(unit), "charm");
  }

  /** The socket the unit's hook tools talk to. */
  agentSocket(unit: string): string {
    return join(this.agentDir(unit), "agent.socket");
  }

  /** The unit's log file (hook output and juju-log lines). */
  unitLogPath(unit: string): string {
    return join(this.unitDir(unit), "unit.log");
  }

  /** The directory of a unit's workload containers (`<dir>/<container>/pebble.socket`, `root/`). */
  containersDir(unit: string): string {
    return join(this.unitDir(unit), "containers");
  }

  /** The directory of storage instance `<name>/0` of a unit. */
  storageDir(unit: string, storage: string): string {
    return join(this.unitDir(unit), "storage", storage, "0");
  }

  /** The pod's own files (hosts, hostname). */
  podDir(unit: string): string {
    return join(this.unitDir(unit), "pod");
  }

  /** A writable directory of the charm container kept for the pod's life (`tmp`, `root`). */
  rootfsDir(unit: string, name: string): string {
    return join(this.unitDir(unit), "rootfs", name);
  }

  /** Appends a timestamped line to a unit's log. */
  logUnit(unit: string, line: string): void {
    const p = this.unitLogPath(unit);
    mkdirSync(dirname(p), { recursive: true });
    appendFileSync(p, `${new Date().toISOString()} ${line.endsWith("\n") ? line : `${line}\n`}`);
  }
}

/** Juju's paths inside a unit's charm container. */
export class ContainerPaths {
  readonly agentDir: string;
  readonly charmDir: string;
  readonly agentSocket: string;
  readonly toolsDir: string;

  constructor(readonly unit: string) {
    const tag = unitTag(unit);
    this.agentDir = `/var/lib/juju/agents/${tag}`;
    this.charmDir = `${this.agentDir}/charm`;
    this.agentSocket = `${this.agentDir}/agent.socket`;
    this.toolsDir = `/var/lib/juju/tools/${tag}`;
  }

  /** Where storage instance `<name>/0` is mounted in the charm container. */
  storage(name: string): string {
    return `/var/lib/juju/storage/${name}/0`;
  }

  /** A workload container's Pebble socket, as the charm sees it. */
  pebbleSocket(container: string): string {
    return `/charm/containers/${container}/pebble.socket`;
  }
}

/**
 * The host paths bound into a unit's charm container: the agent directory (charm and tool
 * socket), the hook tools, Pebble sockets, storage, the pod's hosts files, /tmp and /root.
 */
export function charmContainerBinds(
  layout: ModelLayout,
  unit: string,
  containers: readonly string[],
  storage: readonly string[],
): ContainerBind[] {
  const c = new ContainerPaths(unit);
  const pod = layout.podDir(unit);
  return [
    { host: layout.agentDir(unit), container: c.agentDir, writable: true },
    { host: layout.toolsDir, container: c.toolsDir, writable: false },
    ...containers.map((name) => ({
      host: join(layout.containersDir(unit), name, "pebble.socket"),
      container: c.pebbleSocket(name),
      writable: true,
      optional: true,
    })),
    ...storage.map((s) => ({ host: layout.storageDir(unit, s), container: c.storage(s), writable: true })),
    { host: join(pod, "hosts"), container: "/etc/hosts", writable: false },
    { host: join(pod, "hostname"), container: "/etc/hostname", writable: false },
    { host: layout.rootfsDir(unit, "tmp"), container: "/tmp", writable: true },
    { host: layout.rootfsDir(unit, "root"), container: "/root", writable: true },
  ];
}

/**
 * The host path of a file a hook names by its container path (`cwd` for relative names), through
 * the charm container's binds.
 * @throws an ENOENT error when the path is in none of the binds: the container has no such file
 */
export function hostPathOf(binds: readonly ContainerBind[], cwd: string, path: string): string {
  const p = posix.resolve(cwd, path);
  let best: ContainerBind | undefined;
  for (const b of binds) {
    if (
      (p === b.container || p.startsWith(`${b.container}/`)) &&
      (!best || b.container.length > best.container.length)
    )
      best = b;
  }
  if (!best)
    throw Object.assign(new Error(`${p} is outside the unit's directories bound into its charm container`), {
      code: "ENOENT",
    });
  return join(best.host, p.slice(best.container.length));
}

/**
 * A unit's workload containers: one Pebble server per container the charm declares, each with its
 * own root directory and socket under the unit's directory, its storage mounts, and its output in
 * the unit's log. Started when a unit is added or the controller restarts, stopped on removal.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { CharmMeta } from "../charm-meta.js";
import type { ModelLayout } from "./layout.js";
import type { UnitRec } from "./model.js";

/** A workload container's Pebble server, as the controller drives it. */
export interface ContainerServer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Options passed to the container-server factory (mirrors `PebbleServer`'s options). */
export interface ContainerServerOptions {
  readonly socketPath: string;
  readonly rootDir: string;
  /** Storage mounts: a unit's storage directory seen at the charm's `mounts` location. */
  readonly mounts: readonly { containerPath: string; hostPath: string }[];
  readonly env: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
}

/** Builds the server of one container. */
export type ContainerServerFactory = (
  opts: ContainerServerOptions,
) => ContainerServer | Promise<ContainerServer>;

/** The running container servers of every unit. */
export class Containers {
  private readonly servers = new Map<string, ContainerServer[]>();

  constructor(
    private readonly layout: ModelLayout,
    private readonly factory: ContainerServerFactory | undefined,
    private readonly say: (line: string) => void,
  ) {}

  /** Starts a server for each container of `u`'s charm, in name order. */
  async start(u: UnitRec, meta: CharmMeta): Promise<void> {
    const servers: ContainerServer[] = [];
    for (const [c, mounts] of Object.entries(meta.containers).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const base = join(this.layout.containersDir(u.name), c);
      const rootDir = join(base, "root");
      mkdirSync(rootDir, { recursive: true });
      const m = mounts.map((mt) => ({
        containerPath: mt.location,
        hostPath: this.layout.storageDir(u.name, mt.storage),
      }));
      const socketPath = join(base, "pebble.socket");
      rmSync(socketPath, { force: true });
      const factory = this.factory ?? (await loadPebbleFactory(this.say));
      const server = await factory({
        socketPath,
        rootDir,
        mounts: m,
        env: { CHARMKIT_UNIT_ADDRESS: u.address, CHARMKIT_UNIT_FQDN: u.address },
        log: (line) => this.layout.logUnit(u.name, `[${c}] ${line}`),
      });
      await server.start();
      servers.push(server);
    }
    this.servers.set(u.name, servers);
  }

  /** Stops `unit`'s servers (errors ignored: the unit is going away). */
  async stop(unit: string): Promise<void> {
    const servers = this.servers.get(unit) ?? [];
    this.servers.delete(unit);
    await Promise.all(servers.map((s) => s.stop().catch(() => {})));
  }
}

let pebbleFactory: ((o: ContainerServerOptions) => ContainerServer) | undefined;

async function loadPebbleFactory(
  log: (line: string) => void,
): Promise<(o: ContainerServerOptions) => ContainerServer> {
  if (pebbleFactory) return pebbleFactory;
  for (const file of ["../pebble/index.ts", "../pebble/server.ts"]) {
    const url = new URL(file, import.meta.url);
    if (!existsSync(url)) continue;
    try {
      const mod = (await import(url.href)) as {
        PebbleServer?: new (o: ContainerServerOptions) => ContainerServer;
      };
      const Ctor = mod.PebbleServer;
      if (Ctor) {
        pebbleFactory = (o) => new Ctor(o);
        return pebbleFactory;
      }
    } catch (e) {
      log(`cannot load the Pebble server from ${file}: ${(e as Error).message}`);
    }
  }
  log("no Pebble server available; containers have no socket");
  pebbleFactory = () => ({ start: async () => {}, stop: async () => {} });
  return pebbleFactory;
}

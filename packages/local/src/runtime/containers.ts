/**
 * A unit's workload containers: one Pebble server per container the charm declares, each with its
 * own root directory and socket under the unit's directory, its storage mounts, and its output in
 * the unit's log. Started when a unit is added or the controller restarts, stopped on removal.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CharmMeta } from "../charm-meta.js";
import { PebbleServer } from "../pebble/server.js";
import type { ModelLayout } from "./layout.js";
import type { UnitRec } from "./model.js";
import type { Pod, PodRuntime } from "../pods/runtime.js";
import { seedTrustStore } from "../trust-store.js";

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
  /** Namespaces every process of the container enters first: its pod's network and host name. */
  readonly enter?: readonly string[];
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
  ) {}

  /**
   * Starts a server for each container of `u`'s charm, in name order, its processes inside
   * `pod`, whose hosts and hostname files the container's root gets as /etc/hosts and /etc/hostname.
   */
  async start(u: UnitRec, meta: CharmMeta, pod: Pod, pods: PodRuntime): Promise<void> {
    const servers: ContainerServer[] = [];
    for (const [c, mounts] of Object.entries(meta.containers).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const base = join(this.layout.containersDir(u.name), c);
      const rootDir = join(base, "root");
      mkdirSync(join(rootDir, "etc"), { recursive: true });
      pods.copyHostsTo(u.name, join(rootDir, "etc", "hosts"), join(rootDir, "etc", "hostname"));
      // The host's name servers are out of the pod's reach: a lookup that misses /etc/hosts fails
      // at once instead of waiting for a server that cannot answer.
      writeFileSync(
        join(rootDir, "etc", "resolv.conf"),
        "# names resolve through /etc/hosts in the local runtime's pods\n",
      );
      // A container's /etc/ssl is its own (an image's), so update-ca-certificates run by a
      // workload rebuilds the copy and never the host's trust store.
      seedTrustStore(rootDir);
      const m = mounts.map((mt) => ({
        containerPath: mt.location,
        hostPath: this.layout.storageDir(u.name, mt.storage),
      }));
      const socketPath = join(base, "pebble.socket");
      rmSync(socketPath, { force: true });
      const factory = this.factory ?? ((o: ContainerServerOptions) => new PebbleServer(o));
      const server = await factory({
        socketPath,
        rootDir,
        mounts: m,
        env: {},
        log: (line) => this.layout.logUnit(u.name, `[${c}] ${line}`),
        enter: pod.enter,
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

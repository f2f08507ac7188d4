/**
 * A model's pods: each unit runs as in a Kubernetes pod, with a network namespace of its own
 * (an address on a bridge the model creates, shared by the charm and workload containers) and a
 * UTS namespace holding its short host name, plus the hosts files that resolve every unit's FQDN
 * in every pod and on the host.
 *
 * Everything a model creates on the host carries its key (a hash of its home): the bridge
 * `ckbr<key>`, veths `ck<key>v<hex>`, network namespaces `charmkit-<key>-<app>-<n>`, the runtime
 * directory `/run/charmkit/<key>` (owner pid, home, subnet, UTS namespace files, the Node-free
 * /usr) and a block in /etc/hosts. {@link PodRuntime.open} tears down whatever an earlier run of
 * the same model left (a crash) and whatever models whose owner died left; `close` removes it all.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NodeFreeUsr } from "./charm-container.js";
import {
  bridgeName,
  gatewayAddress,
  type HostEntry,
  hostBlock,
  hostVethName,
  modelKey,
  netnsName,
  parseHostsFile,
  podHostsFile,
  podName,
  type Subnet,
  unitFqdn,
  withHostBlock,
} from "./naming.js";
import {
  alive,
  PodError,
  pidsInNetns,
  run,
  sleepSync,
  tryRun,
  which,
  withHostLock,
  writeInPlace,
} from "./sys.js";

/** Where models keep their host-wide state. */
export const RUN_DIR = "/run/charmkit";
/** The hosts file the host's resolver reads. */
export const HOST_HOSTS = "/etc/hosts";
/** Range of the second octet of a model's 10.x.0.0/16. */
const OCTETS = { first: 100, last: 250 };

/** One unit's pod. */
export interface Pod {
  readonly unit: string;
  readonly address: string;
  readonly fqdn: string;
  /** The short host name, `<app>-<n>`. */
  readonly hostname: string;
  /** The pod's network namespace (a file under /run/netns). */
  readonly netns: string;
  /** The pod's UTS namespace (a bind-mounted nsfs file). */
  readonly uts: string;
  /** Argument prefix that runs a command inside the pod's network and UTS namespaces. */
  readonly enter: readonly string[];
  /** The pod's /etc/hosts and /etc/hostname (host paths). */
  readonly hostsFile: string;
  readonly hostnameFile: string;
}

/** Options of {@link PodRuntime.open}. */
export interface PodRuntimeOptions {
  readonly home: string;
  readonly model: string;
  /** The subnet the model had before (kept across restarts); a free one is chosen when absent. */
  readonly subnet?: Subnet | undefined;
  /** Where each unit's pod files go (`<dir>/hosts`, `<dir>/hostname`). */
  readonly podDir: (unit: string) => string;
  /** Host hosts file to keep the model's block in (tests use a scratch file). */
  readonly hostHosts?: string;
}

interface PodRecord {
  pod: Pod;
  /** Other copies of the pod's hosts file (each workload container's /etc/hosts). */
  hostsCopies: Set<string>;
}

/** The tools pods are made with; PodError names what is missing. */
export function podTools(): { ip: string; nsenter: string; unshare: string; bwrap: string } {
  const ip = which("ip");
  const nsenter = which("nsenter");
  const unshare = which("unshare");
  const bwrap = which("bwrap");
  const missing = [
    !ip && "iproute2 (ip)",
    !nsenter && "util-linux (nsenter)",
    !unshare && "util-linux (unshare)",
    !bwrap && "bubblewrap (bwrap)",
  ].filter(Boolean);
  if (missing.length > 0 || !ip || !nsenter || !unshare || !bwrap)
    throw new PodError(`pods need ${missing.join(", ")}; run scripts/install.sh`);
  if (process.getuid?.() !== 0) throw new PodError("pods need root (network namespaces, bridges, mounts)");
  return { ip, nsenter, unshare, bwrap };
}

/** A model's pods and the host-wide things they need. */
export class PodRuntime {
  readonly key: string;
  readonly dir: string;
  readonly subnet: Subnet;
  readonly usr: NodeFreeUsr;
  private readonly pods = new Map<string, PodRecord>();

  private constructor(
    private readonly opts: PodRuntimeOptions,
    subnet: Subnet,
    private readonly tools: ReturnType<typeof podTools>,
  ) {
    this.key = modelKey(opts.home);
    this.dir = join(RUN_DIR, this.key);
    this.subnet = subnet;
    this.usr = new NodeFreeUsr(join(this.dir, "base"));
  }

  /**
   * Claims the model's host-wide state: removes what an earlier run left, sweeps models whose
   * owner died, picks a subnet, creates the bridge and the Node-free /usr.
   * @throws PodError when another live process runs this model, or a tool is missing
   */
  static open(opts: PodRuntimeOptions): PodRuntime {
    const runDir = RUN_DIR;
    const key = modelKey(opts.home);
    mkdirSync(runDir, { recursive: true });
    const tools = podTools();
    return withHostLock(join(runDir, ".lock"), () => {
      const owner = readOwner(join(runDir, key));
      if (owner && owner.pid !== process.pid && alive(owner.pid))
        throw new PodError(`the model at ${opts.home} is already running (pid ${owner.pid})`);
      sweep(runDir, opts.hostHosts ?? HOST_HOSTS, key);
      // FQDNs carry the model name: two live models of one name would give the host two answers.
      const hostHosts = opts.hostHosts ?? HOST_HOSTS;
      const other = parseHostsFile(readFileSync(hostHosts, "utf8")).blocks.find(
        (b) => b.key !== key && b.model === opts.model,
      );
      if (other)
        throw new PodError(
          `a model named "${opts.model}" is already running at ${other.home}; give this one another name`,
        );
      // A kept model's network may have been taken while it was down (its run directory goes
      // with it): it gets another, as a rescheduled pod gets a new address; its names stay.
      const kept = opts.subnet && !usedOctets(runDir, key).has(opts.subnet.octet) ? opts.subnet : undefined;
      const subnet = kept ?? freeSubnet(runDir);
      const rt = new PodRuntime(opts, subnet, tools);
      mkdirSync(rt.dir, { recursive: true });
      writeFileSync(join(rt.dir, "owner"), `${process.pid}\n${opts.home}\n${subnet.octet}\n`);
      rt.createBridge();
      rt.usr.mount();
      rt.writeHostBlock([]);
      return rt;
    });
  }

  /** The pod of `unit`, if it has one. */
  pod(unit: string): Pod | undefined {
    return this.pods.get(unit)?.pod;
  }

  /** Creates the pod of `unit` at `address`: namespaces, veth, address, route, host name. */
  addPod(unit: string, address: string): Pod {
    this.removePod(unit);
    const ns = netnsName(this.key, unit);
    const hostname = podName(unit);
    const uts = join(this.dir, "uts", hostname);
    try {
      this.makeNamespaces(ns, uts, hostname, address);
    } catch (e) {
      teardownPod(this.tools.ip, ns, uts);
      throw e;
    }
    const { nsenter } = this.tools;
    const dir = this.opts.podDir(unit);
    mkdirSync(dir, { recursive: true });
    const pod: Pod = {
      unit,
      address,
      fqdn: unitFqdn(unit, this.opts.model),
      hostname,
      netns: `/run/netns/${ns}`,
      uts,
      enter: [nsenter, `--net=/run/netns/${ns}`, `--uts=${uts}`, "--"],
      hostsFile: join(dir, "hosts"),
      hostnameFile: join(dir, "hostname"),
    };
    writeFileSync(pod.hostsFile, "");
    writeFileSync(pod.hostnameFile, `${hostname}\n`);
    this.pods.set(unit, { pod, hostsCopies: new Set() });
    return pod;
  }

  /** Keeps `path` (a workload container's /etc/hosts) a copy of the pod's hosts file. */
  copyHostsTo(unit: string, path: string, hostnamePath?: string): void {
    const rec = this.pods.get(unit);
    if (!rec) return;
    rec.hostsCopies.add(path);
    if (!existsSync(path)) writeFileSync(path, "");
    if (hostnamePath !== undefined) writeFileSync(hostnamePath, `${rec.pod.hostname}\n`);
  }

  /** Removes `unit`'s pod: kills what still runs in it, deletes its namespaces and veth. */
  removePod(unit: string): void {
    this.pods.delete(unit);
    teardownPod(this.tools.ip, netnsName(this.key, unit), join(this.dir, "uts", podName(unit)));
  }

  /** Rewrites every pod's hosts files and the host's block for the units `entries`. */
  syncHosts(entries: readonly HostEntry[]): void {
    for (const { pod, hostsCopies } of this.pods.values()) {
      const text = podHostsFile({ unit: pod.unit, address: pod.address }, entries, this.opts.model);
      for (const p of [pod.hostsFile, ...hostsCopies]) {
        if (!existsSync(p)) writeFileSync(p, "");
        writeInPlace(p, text);
      }
    }
    withHostLock(join(RUN_DIR, ".lock"), () => this.writeHostBlock(entries));
  }

  /** Replaces the model's block in the host's hosts file (the caller holds the host lock). */
  private writeHostBlock(entries: readonly HostEntry[]): void {
    const hostHosts = this.opts.hostHosts ?? HOST_HOSTS;
    const text = readFileSync(hostHosts, "utf8");
    const block = hostBlock(this.key, this.opts.home, entries, this.opts.model);
    writeInPlace(hostHosts, withHostBlock(text, this.key, block));
  }

  /** Removes every pod and what the model created on the host. */
  close(): void {
    withHostLock(join(RUN_DIR, ".lock"), () => {
      teardownModel(this.dir, this.key, this.opts.hostHosts ?? HOST_HOSTS);
    });
    this.pods.clear();
  }

  /** The pod's network namespace wired to the bridge, and its UTS namespace named `hostname`. */
  private makeNamespaces(ns: string, uts: string, hostname: string, address: string): void {
    const { ip, unshare } = this.tools;
    const veth = hostVethName(this.key, address);
    run(ip, ["netns", "add", ns]);
    run(
      ip,
      ["-batch", "-"],
      [
        `link add ${veth} type veth peer name eth0 netns ${ns}`,
        `link set ${veth} master ${bridgeName(this.key)} up`,
      ],
    );
    run(
      ip,
      ["-n", ns, "-batch", "-"],
      [
        `addr add ${address}/16 dev eth0`,
        "link set eth0 up",
        "link set lo up",
        `route add default via ${gatewayAddress(this.subnet)}`,
      ],
    );
    mkdirSync(join(this.dir, "uts"), { recursive: true });
    writeFileSync(uts, "");
    run(unshare, [`--uts=${uts}`, "hostname", hostname]);
  }

  private createBridge(): void {
    const { ip } = this.tools;
    const br = bridgeName(this.key);
    tryRun(ip, ["link", "del", br]);
    run(ip, ["link", "add", br, "type", "bridge"]);
    run(ip, ["addr", "add", `${gatewayAddress(this.subnet)}/16`, "dev", br]);
    run(ip, ["link", "set", br, "up"]);
  }
}

interface Owner {
  pid: number;
  home: string;
  octet: number;
}

function readOwner(dir: string): Owner | undefined {
  try {
    const [pid = "", home = "", octet = ""] = readFileSync(join(dir, "owner"), "utf8").split("\n");
    return { pid: Number(pid), home, octet: Number(octet) };
  } catch {
    return undefined;
  }
}

/** Second octets of 10.x/16 networks in use: host routes and addresses, and live models. */
function usedOctets(runDir: string, exceptKey?: string): Set<number> {
  const used = new Set<number>();
  const text = `${run("ip", ["-4", "-o", "addr", "show"])}\n${run("ip", ["-4", "route", "show"])}`;
  for (const m of text.matchAll(/\b10\.(\d+)\.\d+\.\d+(\/(\d+))?/g)) {
    const prefix = m[3] === undefined ? 32 : Number(m[3]);
    // A route of 10.0.0.0/8 (or shorter) covers every /16 we could pick.
    if (prefix < 16) for (let o = OCTETS.first; o <= OCTETS.last; o++) used.add(o);
    else used.add(Number(m[1]));
  }
  for (const k of safeReaddir(runDir)) {
    if (k === exceptKey || k.startsWith(".")) continue;
    const o = readOwner(join(runDir, k));
    if (o && alive(o.pid)) used.add(o.octet);
  }
  return used;
}

function freeSubnet(runDir: string): Subnet {
  const used = usedOctets(runDir);
  for (let o = OCTETS.first; o <= OCTETS.last; o++) if (!used.has(o)) return { octet: o };
  throw new PodError(`no free 10.x.0.0/16 network between 10.${OCTETS.first} and 10.${OCTETS.last}`);
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Kills what runs in a pod, then removes its network namespace (and veth) and UTS file. */
function teardownPod(ip: string, ns: string, uts: string): void {
  const nsPath = `/run/netns/${ns}`;
  // Kill until none is left (a dying process may still fork), waiting at most 5 s.
  for (let deadline = Date.now() + 5000; Date.now() < deadline; ) {
    const pids = pidsInNetns(nsPath);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    sleepSync(20);
  }
  // Deleting the namespace destroys the veth pair once no process holds the namespace.
  tryRun(ip, ["netns", "del", ns]);
  unmountUnder(uts);
  rmSync(uts, { force: true });
}

/** Mount points at or under `path` in this mount namespace, deepest first. */
function mountsUnder(path: string): string[] {
  let info: string;
  try {
    info = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of info.split("\n")) {
    // Field 5 is the mount point, with spaces and the like escaped as octal.
    const mp = line
      .split(" ")[4]
      ?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    if (mp && (mp === path || mp.startsWith(`${path}/`))) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

/**
 * Unmounts everything at or under `path`, detaching lazily what is busy, so that removing the
 * directory afterwards can never reach into a mounted filesystem.
 */
function unmountUnder(path: string): void {
  for (let round = 0; round < 8; round++) {
    const mounts = mountsUnder(path);
    if (mounts.length === 0) return;
    for (const mp of mounts) if (!tryRun("umount", [mp])) tryRun("umount", ["-l", mp]);
  }
  throw new PodError(`cannot unmount ${mountsUnder(path).join(", ")}`);
}

/** Removes everything a model (by key) created on the host. Idempotent. */
function teardownModel(dir: string, key: string, hostHosts: string): void {
  for (const ns of safeReaddir("/run/netns")) {
    if (ns.startsWith(`charmkit-${key}-`))
      teardownPod("ip", ns, join(dir, "uts", ns.slice(`charmkit-${key}-`.length)));
  }
  // Leftover veths whose namespace is already gone, then the bridge.
  const links = run("ip", ["-o", "link", "show"]);
  for (const m of links.matchAll(new RegExp(`^\\d+: (ck${key}v[0-9a-f]{4})[@:]`, "gm"))) {
    if (m[1]) tryRun("ip", ["link", "del", m[1]]);
  }
  tryRun("ip", ["link", "del", bridgeName(key)]);
  unmountUnder(dir);
  if (existsSync(hostHosts)) {
    const text = readFileSync(hostHosts, "utf8");
    const next = withHostBlock(text, key, undefined);
    if (next !== text) writeInPlace(hostHosts, next);
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Tears down this model's leftovers and every model whose owner is dead. */
function sweep(runDir: string, hostHosts: string, key: string): void {
  for (const k of safeReaddir(runDir)) {
    if (k.startsWith(".")) continue;
    const owner = readOwner(join(runDir, k));
    if (k === key || !owner || !alive(owner.pid)) teardownModel(join(runDir, k), k, hostHosts);
  }
  // Namespaces and hosts blocks of models whose runtime directory is already gone.
  const keys = new Set(safeReaddir(runDir));
  for (const ns of safeReaddir("/run/netns")) {
    const m = /^charmkit-([0-9a-f]{6})-/.exec(ns);
    if (m?.[1] && (m[1] === key || !keys.has(m[1]))) teardownModel(join(runDir, m[1]), m[1], hostHosts);
  }
  if (existsSync(hostHosts)) {
    for (const b of parseHostsFile(readFileSync(hostHosts, "utf8")).blocks) {
      if (b.key === key || !keys.has(b.key)) teardownModel(join(runDir, b.key), b.key, hostHosts);
    }
  }
}

/**
 * Removes a model's pods and host-wide state without opening it (`charmkit down` when the
 * controller is not running). Refuses while a live process owns the model.
 */
export function teardownModelAt(home: string, opts: { hostHosts?: string } = {}): void {
  const runDir = RUN_DIR;
  const key = modelKey(home);
  if (!existsSync(runDir)) return;
  withHostLock(join(runDir, ".lock"), () => {
    const owner = readOwner(join(runDir, key));
    if (owner && owner.pid !== process.pid && alive(owner.pid))
      throw new PodError(`the model at ${home} is running (pid ${owner.pid}); stop it first`);
    teardownModel(join(runDir, key), key, opts.hostHosts ?? HOST_HOSTS);
  });
}

/**
 * Names and addresses of a model's pods, and the hosts files that resolve them. Pure functions:
 * everything here follows from the model's home, name and subnet, so a restarted runtime (or
 * `charmkit down` after a crash) finds the same names again.
 *
 * As on Kubernetes, unit `<app>/<n>` of model `<model>` runs in pod `<app>-<n>` (its host name)
 * whose fully qualified name is `<app>-<n>.<app>-endpoints.<model>.svc.cluster.local` (the pod's
 * entry in the application's headless service, which Juju creates as `<app>-endpoints`).
 */
import { createHash } from "node:crypto";

/** Kubernetes' cluster domain, which Juju's pods live under. */
export const CLUSTER_DOMAIN = "svc.cluster.local";

/** The short key of a model's home: it prefixes every host-wide name the model creates. */
export function modelKey(home: string): string {
  return createHash("sha256").update(home).digest("hex").slice(0, 6);
}

/** The pod (and host) name of a unit: `prometheus/0` -> `prometheus-0`. */
export function podName(unit: string): string {
  return unit.replace("/", "-");
}

/** Juju's unit tag: `prometheus/0` -> `unit-prometheus-0`. */
export function unitTag(unit: string): string {
  return `unit-${podName(unit)}`;
}

/** The unit's FQDN: `<app>-<n>.<app>-endpoints.<model>.svc.cluster.local`. */
export function unitFqdn(unit: string, model: string): string {
  const app = unit.slice(0, unit.indexOf("/"));
  return `${podName(unit)}.${app}-endpoints.${model}.${CLUSTER_DOMAIN}`;
}

/** The network namespace of a pod, as `ip netns` names it. */
export function netnsName(key: string, unit: string): string {
  return `charmkit-${key}-${podName(unit)}`;
}

/** The network namespace file of `unit`'s pod in the model at `home` (while the model runs). */
export function podNetnsPath(home: string, unit: string): string {
  return `/run/netns/${netnsName(modelKey(home), unit)}`;
}

/** The model's bridge (an interface name: at most 15 characters). */
export function bridgeName(key: string): string {
  return `ckbr${key}`;
}

/**
 * The host end of a pod's veth pair, named from the last two octets of the pod's address so that
 * it is unique in the model and fits the 15 characters of an interface name.
 */
export function hostVethName(key: string, address: string): string {
  const [, , c = "0", d = "0"] = address.split(".");
  const hex = ((Number(c) << 8) | Number(d)).toString(16).padStart(4, "0");
  return `ck${key}v${hex}`;
}

/** A model's /16: `10.<octet>.0.0/16`, the bridge at `.0.1`, unit `n` of app index `i` at `.i.(n+1)`. */
export interface Subnet {
  readonly octet: number;
}

/** The CIDR of a subnet. */
export function subnetCidr(s: Subnet): string {
  return `10.${s.octet}.0.0/16`;
}

/** The bridge's (gateway's) address in a subnet. */
export function gatewayAddress(s: Subnet): string {
  return `10.${s.octet}.0.1`;
}

/** The address of unit number `n` of the application with index `appIndex`. */
export function podAddress(s: Subnet, appIndex: number, n: number): string {
  if (appIndex < 1 || appIndex > 255) throw new RangeError(`application index ${appIndex} is outside 1..255`);
  if (n < 0 || n > 253) throw new RangeError(`unit number ${n} is outside 0..253`);
  return `10.${s.octet}.${appIndex}.${n + 1}`;
}

/**
 * The names of an application's two Services, as Juju creates them: `<app>` (a ClusterIP on
 * Kubernetes) and `<app>-endpoints` (headless: every pod's address).
 */
export function serviceNames(app: string, model: string): string[] {
  return [`${app}.${model}.${CLUSTER_DOMAIN}`, `${app}-endpoints.${model}.${CLUSTER_DOMAIN}`];
}

/**
 * The hosts lines of every unit's FQDN, then of each application's Services (one line per unit:
 * a resolver takes the first, Go's takes them all; Kubernetes would answer a ClusterIP instead).
 */
function modelLines(all: readonly HostEntry[], model: string, except?: string): string[] {
  const sorted = [...all].sort((a, b) => (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
  const lines: string[] = [];
  for (const e of sorted) if (e.unit !== except) lines.push(`${e.address}\t${unitFqdn(e.unit, model)}`);
  for (const e of sorted)
    lines.push(`${e.address}\t${serviceNames(e.unit.slice(0, e.unit.indexOf("/")), model).join("\t")}`);
  return lines;
}

/** One unit of the model as the hosts files list it. */
export interface HostEntry {
  readonly unit: string;
  readonly address: string;
}

/**
 * A pod's /etc/hosts. Like the file Kubernetes writes into a pod, it gives localhost and the pod's
 * own address with its FQDN first (so `socket.getfqdn()` returns the FQDN) and its host name; the
 * other units' FQDNs and the applications' Service names, which cluster DNS would answer on
 * Kubernetes, follow.
 */
export function podHostsFile(self: HostEntry, all: readonly HostEntry[], model: string): string {
  const lines = [
    "# Kubernetes-style hosts file written by the charmkit local runtime.",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "fe00::0\tip6-mcastprefix",
    "fe00::1\tip6-allnodes",
    "fe00::2\tip6-allrouters",
    `${self.address}\t${unitFqdn(self.unit, model)}\t${podName(self.unit)}`,
    "# The model's units and Services (cluster DNS on Kubernetes):",
    ...modelLines(all, model, self.unit),
  ];
  return `${lines.join("\n")}\n`;
}

const BLOCK_BEGIN = "# charmkit model";
const BLOCK_END = "# charmkit end";

/**
 * The host's /etc/hosts block of one model: each unit's FQDN, so a browser on the host finds it.
 * Its first line names the model's key, name and home (a name is one model's on a machine).
 */
export function hostBlock(key: string, home: string, all: readonly HostEntry[], model: string): string {
  const lines = [`${BLOCK_BEGIN} ${key} ${model} ${home}`, ...modelLines(all, model), `${BLOCK_END} ${key}`];
  return `${lines.join("\n")}\n`;
}

/** A model's block found in a hosts file. */
export interface ParsedBlock {
  readonly key: string;
  readonly model: string;
  readonly home: string;
  /** The names the block maps. */
  readonly names: readonly string[];
}

/** Splits a hosts file into the lines outside any charmkit block and the blocks it holds. */
export function parseHostsFile(text: string): { rest: string[]; blocks: ParsedBlock[] } {
  const rest: string[] = [];
  const blocks: ParsedBlock[] = [];
  let open: { key: string; model: string; home: string; names: string[] } | undefined;
  for (const line of text.split("\n")) {
    if (open) {
      if (line === `${BLOCK_END} ${open.key}`) {
        blocks.push(open);
        open = undefined;
      } else {
        const names = line.split(/\s+/).slice(1).filter(Boolean);
        open.names.push(...names);
      }
      continue;
    }
    if (line.startsWith(`${BLOCK_BEGIN} `)) {
      const [key = "", model = "", ...home] = line.slice(BLOCK_BEGIN.length + 1).split(" ");
      open = { key, model, home: home.join(" "), names: [] };
      continue;
    }
    rest.push(line);
  }
  // An unterminated block (a crash mid-write cannot leave one: writes replace the whole file)
  // is kept as it is rather than dropped.
  if (open) blocks.push(open);
  while (rest.length > 0 && rest[rest.length - 1] === "") rest.pop();
  return { rest, blocks };
}

/**
 * The host's hosts file with this model's block replaced by `block` (or removed when undefined),
 * other models' blocks kept.
 */
export function withHostBlock(text: string, key: string, block: string | undefined): string {
  const { rest, blocks } = parseHostsFile(text);
  const out = [...rest, ""].join("\n");
  const kept = blocks.filter((b) => b.key !== key);
  const others = kept.map((b) => extractBlock(text, b.key)).join("");
  return `${out}${others}${block ?? ""}`;
}

function extractBlock(text: string, key: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`${BLOCK_BEGIN} ${key} `));
  if (start < 0) return "";
  const end = lines.findIndex((l, i) => i > start && l === `${BLOCK_END} ${key}`);
  return `${lines.slice(start, end < 0 ? undefined : end + 1).join("\n")}\n`;
}

/**
 * The unit's fully qualified host name, as Python's `socket.getfqdn()` finds it (what the Python
 * charms publish): the host name, then the canonical name the resolver gives for it. In a
 * Kubernetes pod, kubelet's /etc/hosts maps `<ip> <app>-<n>.<app>-endpoints.<model>.svc.cluster.local
 * <app>-<n>`, so the short pod host name `<app>-<n>` becomes the name other pods can resolve.
 *
 * Only the hosts file is read (glibc's `files` source, first in nsswitch): a DNS lookup would be
 * asynchronous or a process per hook, and a pod's own name is not in DNS under its short form
 * anyway. When the hosts file does not name the host, the host name is the answer, as getfqdn
 * answers when the resolver fails.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/** One line of a hosts file: an address, its canonical name, and its aliases. */
export interface HostsEntry {
  readonly address: string;
  /** Canonical name first, then the aliases, as written. */
  readonly names: readonly string[];
}

/** Parses hosts(5) text: `#` starts a comment, fields are separated by blanks. */
export function parseHosts(text: string): HostsEntry[] {
  const out: HostsEntry[] = [];
  for (const raw of text.split("\n")) {
    const fields = raw.replace(/#.*/, "").trim().split(/\s+/);
    const [address, ...names] = fields;
    if (address && names.length > 0) out.push({ address, names });
  }
  return out;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * `socket.getfqdn()` over a hosts file (CPython Lib/socket.py `getfqdn`): `gethostbyaddr(host)`
 * resolves the host name to its first address (the first line naming it), then that address back
 * to the first line holding it; of that line's canonical name and aliases, the first containing a
 * dot wins, else the canonical name. A host name no line names is returned as it is.
 */
export function getfqdn(host: string, hosts: readonly HostsEntry[]): string {
  const forward = hosts.find((e) => e.names.some((n) => same(n, host)));
  if (!forward) return host;
  const reverse = hosts.find((e) => e.address === forward.address) ?? forward;
  return reverse.names.find((n) => n.includes(".")) ?? reverse.names[0] ?? host;
}

let cached: string | undefined;

/**
 * This machine's FQDN from `os.hostname()` and /etc/hosts, worked out once per process (every
 * hook is a new process; the names do not change within one).
 */
export function localFqdn(hostsFile = "/etc/hosts"): string {
  if (cached !== undefined) return cached;
  let hosts: HostsEntry[] = [];
  try {
    hosts = parseHosts(readFileSync(hostsFile, "utf8"));
  } catch {
    // No readable hosts file: the resolver would answer with the host name alone.
  }
  cached = getfqdn(hostname(), hosts);
  return cached;
}

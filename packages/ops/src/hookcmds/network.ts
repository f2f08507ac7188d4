/** Network and port hook tools: network-get, open-port, close-port, opened-ports. */

import type { BindAddress, NetworkInfo, Port } from "../backend.js";
import { HookOutputError } from "../errors.js";
import { asObject, asStringList, type Runner } from "./run.js";

/** `network-get --format=json [-r <id>] <binding>` (bare integer id, unlike relation tools). */
export function networkGet(run: Runner, binding: string, relationId?: number): NetworkInfo {
  const args = ["--format=json"];
  if (relationId !== undefined) args.push("-r", String(relationId));
  args.push(binding);
  const o = asObject("network-get", run.json("network-get", args));
  const binds: BindAddress[] = [];
  for (const b of Array.isArray(o["bind-addresses"]) ? o["bind-addresses"] : []) {
    const bo = asObject("network-get", b);
    const addrs = Array.isArray(bo.addresses) ? bo.addresses : [];
    binds.push({
      interfaceName: String(bo["interface-name"] ?? ""),
      macAddress: String(bo["mac-address"] ?? ""),
      addresses: addrs.map((a) => {
        const ao = asObject("network-get", a);
        // Juju < 2.9 said `address` instead of `value`.
        return {
          hostname: String(ao.hostname ?? ""),
          value: String(ao.value ?? ao.address ?? ""),
          cidr: String(ao.cidr ?? ""),
        };
      }),
    });
  }
  return {
    bindAddresses: binds,
    egressSubnets: asStringList("network-get", o["egress-subnets"] ?? null),
    ingressAddresses: asStringList("network-get", o["ingress-addresses"] ?? null),
  };
}

/** Render a port as Juju's `8080/tcp`, `8000-8999/udp` or `icmp`. */
export function formatPort(p: Port): string {
  if (p.protocol === "icmp") return "icmp";
  if (p.port === undefined) throw new RangeError(`${p.protocol} port needs a port number`);
  return p.toPort === undefined ? `${p.port}/${p.protocol}` : `${p.port}-${p.toPort}/${p.protocol}`;
}

/** Parse one `opened-ports` entry, e.g. `80/tcp`, `80` (tcp), `icmp`, `8080/tcp (ep1,ep2)`. */
export function parsePort(raw: string): Port {
  const m = /^(icmp|(\d+)(?:-(\d+))?(?:\/(tcp|udp))?)(?:\s+\(([^)]*)\))?$/.exec(raw.trim());
  if (!m) throw new HookOutputError("opened-ports", raw, "malformed port");
  const endpoints = m[5]
    ? m[5]
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
  if (m[1] === "icmp") return { protocol: "icmp", endpoints };
  return {
    protocol: (m[4] as "tcp" | "udp" | undefined) ?? "tcp",
    port: Number(m[2]),
    toPort: m[3] === undefined ? undefined : Number(m[3]),
    endpoints,
  };
}

function portArgs(p: Port): string[] {
  const args = [formatPort(p)];
  if (p.endpoints && p.endpoints.length > 0) args.push("--endpoints", p.endpoints.join(","));
  return args;
}

/** `open-port <port>[/<proto>] [--endpoints a,b]`. */
export function openPort(run: Runner, p: Port): void {
  run.text("open-port", portArgs(p));
}

/** `close-port <port>[/<proto>] [--endpoints a,b]`. */
export function closePort(run: Runner, p: Port): void {
  run.text("close-port", portArgs(p));
}

/** `opened-ports --format=json`. */
export function openedPorts(run: Runner): Port[] {
  return asStringList("opened-ports", run.json("opened-ports", ["--format=json"])).map(parsePort);
}

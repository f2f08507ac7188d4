/**
 * What the `charmkit` CLI prints, as pure functions of what the controller answered: the status
 * tables, the "Where to look" list, `up`'s progress line, the action results, and unit logs merged
 * by time. Kept apart from cli.ts (which parses argv and talks to the daemon) so they are tested
 * as units.
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { ActionResult, UnitInfo } from "./controller.js";
import type { ModelStatus } from "./runtime/status.js";

function pad(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Renders `status` as `juju status`-style tables. */
export function formatStatus(s: ModelStatus): string {
  const apps = [["App", "Version", "Status", "Scale", "Charm", "Message"]];
  for (const a of s.applications)
    apps.push([a.name, a.version || "", a.status, String(a.scale), a.charm, a.message]);
  const units = [["Unit", "Workload", "Agent", "Address", "Ports", "Message"]];
  for (const u of s.units)
    units.push([
      `${u.name}${u.leader ? "*" : ""}`,
      u.workload,
      u.agent,
      u.address,
      u.ports.join(","),
      u.message,
    ]);
  const rels = [["Integration provider", "Requirer", "Interface", "Type"]];
  for (const r of s.relations) rels.push([r.provider, r.requirer, r.interface, r.peer ? "peer" : "regular"]);
  return `Model: ${s.model.name}\n\n${pad(apps)}\n\n${pad(units)}\n\n${pad(rels)}\n`;
}

/**
 * The URL an ingress gave `unit`, read from the provider's application bag as `juju show-unit`
 * shows it: `ingress` holding a YAML mapping of unit name to `{url}` (ingress_per_unit), or a
 * single `{url}` for the whole application (ingress v2).
 */
export function ingressUrlOf(info: UnitInfo): string | undefined {
  for (const rel of info["relation-info"]) {
    const raw = rel["application-data"].ingress;
    if (raw === undefined) continue;
    let doc: unknown;
    try {
      doc = parseYaml(raw);
    } catch {
      continue;
    }
    if (typeof doc !== "object" || doc === null) continue;
    const perUnit = (doc as Record<string, unknown>)[info.unit];
    const entry = typeof perUnit === "object" && perUnit !== null ? perUnit : doc;
    const url = (entry as Record<string, unknown>).url;
    if (typeof url === "string" && /^https?:\/\//.test(url)) return url;
  }
  return undefined;
}

/**
 * What to open after `up`, one unit per line. A unit behind an ingress gets two lines: the ingress
 * URL for a browser (the workload builds its links and redirects with that external URL, so its own
 * address sends a browser to paths only the ingress serves) and its own address for API clients.
 * Other units list every opened port on their FQDN. URLs a unit's status message names (a charm
 * saying where its workload answers or what it uses) follow on the unit's line. The FQDNs resolve
 * on this host through the model's block in /etc/hosts. A port listed in `tls` (`fqdn:port`, it
 * answered a TLS handshake) is given as https: open-port carries no scheme.
 */
export function whereToLook(
  s: ModelStatus,
  ingress: ReadonlyMap<string, string>,
  home: string,
  tls: ReadonlySet<string> = new Set(),
): string {
  const lines: string[] = [];
  const indent = " ".repeat(2 + 18 + 1);
  for (const u of s.units) {
    const direct: string[] = [];
    for (const p of u.ports) {
      const [port, proto] = p.split("/");
      if (!port || proto === "udp") continue;
      direct.push(`${tls.has(`${u.fqdn}:${port}`) ? "https" : "http"}://${u.fqdn}:${port}`);
    }
    const named = [...u.message.matchAll(/https?:\/\/[^\s;,)]+/g)].map((m) => m[0]);
    const viaIngress = ingress.get(u.name);
    const head = `  ${u.name.padEnd(18)} `;
    if (viaIngress) {
      const browser = viaIngress.endsWith("/") ? viaIngress : `${viaIngress}/`;
      lines.push(`${head}${browser}  (in a browser: through the ingress)`);
      for (const d of direct) lines.push(`${indent}${d}  (API and scrapes: the unit's own address)`);
      continue;
    }
    const urls = [...new Set([...direct, ...named])];
    if (urls.length > 0) lines.push(`${head}${urls.join("  ")}`);
  }
  if (lines.length === 0) return "";
  return (
    `\nWhere to look (the names resolve on this host through /etc/hosts; addresses: npx charmkit status):\n` +
    `${lines.join("\n")}\n\n` +
    `Next: npx charmkit status, npx charmkit logs [UNIT] [--follow], npx charmkit down (model home: ${home})\n`
  );
}

/** `m:ss` of a duration in milliseconds. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Units whose agent has nothing left to run (idle, or stopped in error waiting for `resolve`). */
export function settledCount(s: ModelStatus): number {
  return s.units.filter((u) => u.agent === "idle" || u.agent === "error").length;
}

/** The prefix of every progress line of `up`: how many units have settled, and the time so far. */
export function progressPrefix(s: ModelStatus, ms: number): string {
  return `[${settledCount(s)}/${s.units.length} settled ${elapsed(ms)}]`;
}

/**
 * An action's outcome as `juju run` prints it: the log lines, then the results as YAML (a
 * multi-line value as a block under its key), then the status.
 */
export function formatActionResult(r: ActionResult): string {
  let out = "";
  for (const l of r.logs) out += `log: ${l}\n`;
  if (Object.keys(r.results).length > 0) out += stringifyYaml(r.results, { lineWidth: 0 });
  out += `status: ${r.status}${r.message ? ` (${r.message})` : ""}\n`;
  return out;
}

/** The unit a directory under `<home>/units` belongs to: `targets-a-0` is `targets-a/0`. */
export function unitOfDir(dir: string): string {
  const m = /^(.+)-(\d+)$/.exec(dir);
  return m ? `${m[1]}/${m[2]}` : dir;
}

/** One source of log lines: a label and text whose lines start with an ISO timestamp. */
export interface LogSource {
  /** Put before each line with ": "; empty for none. */
  readonly label: string;
  readonly text: string;
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /;

/**
 * Merges log texts into one, ordered by their timestamps (stable: equal times keep the order of
 * `sources`), each line prefixed with its source's label. A line without a timestamp continues
 * the one before it (multi-line hook output) and stays with it. A last line without its newline
 * is left out, so a file being written is never printed half.
 */
export function mergeLogs(sources: readonly LogSource[]): string {
  const entries: { time: number; source: number; seq: number; text: string }[] = [];
  sources.forEach((src, source) => {
    const lines = src.text.split("\n");
    lines.pop();
    let current: (typeof entries)[number] | undefined;
    for (const line of lines) {
      const stamp = STAMP.exec(line)?.[1];
      const text = src.label ? `${src.label}: ${line}` : line;
      if (stamp === undefined && current) {
        current.text += `\n${text}`;
        continue;
      }
      current = { time: stamp ? Date.parse(stamp) : 0, source, seq: entries.length, text };
      entries.push(current);
    }
  });
  entries.sort((a, b) => a.time - b.time || a.source - b.source || a.seq - b.seq);
  return entries.map((e) => `${e.text}\n`).join("");
}

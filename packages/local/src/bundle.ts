/**
 * Juju-style bundle files for the local runtime: parsing and validation.
 *
 * ```yaml
 * applications:
 *   prom: { charm: ../charms/prometheus-k8s, scale: 1, options: { log_level: debug } }
 *   target: { charm: ../charms/testers/metrics-tester, num_units: 2 }
 * relations:
 *   - [prom:metrics-endpoint, target:metrics-endpoint]
 * ```
 * Charm paths are relative to the bundle file: a packed `.charm` (as `npm run pack` writes it), or
 * a charm directory. Validation reports every problem at once, each naming the application,
 * endpoint or option at fault.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { type CharmMeta, coerceOption, type EndpointMeta, loadCharmMeta } from "./charm-meta.js";
import { isPackedCharm, unpackedCharm } from "./runtime/charms.js";

/** One application of a validated bundle. */
export interface BundleApp {
  readonly name: string;
  /** Absolute path of the `.charm` file or charm directory. */
  readonly charm: string;
  readonly scale: number;
  /** Options converted to the declared types. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** A validated bundle: applications plus relations as resolved `[app:ep, app:ep]` pairs. */
export interface Bundle {
  readonly applications: readonly BundleApp[];
  readonly relations: readonly (readonly [string, string])[];
}

/** A bundle with problems; `problems` lists each one, naming what is wrong. */
export class BundleError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid bundle:\n  - ${problems.join("\n  - ")}`);
    this.name = "BundleError";
  }
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** Two endpoints can be related when their interfaces match and their roles are provides/requires. */
export function endpointsCompatible(a: EndpointMeta, b: EndpointMeta): boolean {
  if (a.interface !== b.interface) return false;
  return (a.role === "provides" && b.role === "requires") || (a.role === "requires" && b.role === "provides");
}

/**
 * Resolves `app` or `app:endpoint` against the other side, inferring the endpoint when exactly
 * one fits, as `juju integrate` does.
 * @returns `[endpointA, endpointB]` or an error message
 */
export function resolveRelation(
  a: string,
  b: string,
  metaOf: (app: string) => CharmMeta | undefined,
): { endpoints: [EndpointMeta, EndpointMeta] } | { error: string } {
  const [appA = "", epA] = a.split(":");
  const [appB = "", epB] = b.split(":");
  const ma = metaOf(appA);
  const mb = metaOf(appB);
  if (!ma) return { error: `relation ${a} ${b}: unknown application "${appA}"` };
  if (!mb) return { error: `relation ${a} ${b}: unknown application "${appB}"` };
  if (appA === appB)
    return { error: `relation ${a} ${b}: cannot relate "${appA}" to itself (peers are automatic)` };
  const candA = epA === undefined ? Object.values(ma.endpoints) : [ma.endpoints[epA]];
  const candB = epB === undefined ? Object.values(mb.endpoints) : [mb.endpoints[epB]];
  if (epA !== undefined && !candA[0])
    return { error: `relation ${a} ${b}: application "${appA}" has no endpoint "${epA}"` };
  if (epB !== undefined && !candB[0])
    return { error: `relation ${a} ${b}: application "${appB}" has no endpoint "${epB}"` };
  const pairs: [EndpointMeta, EndpointMeta][] = [];
  for (const x of candA) for (const y of candB) if (x && y && endpointsCompatible(x, y)) pairs.push([x, y]);
  if (pairs.length === 1) return { endpoints: pairs[0]! };
  if (pairs.length > 1) {
    return {
      error: `relation ${a} ${b}: ambiguous, name the endpoints (${pairs.map(([x, y]) => `${appA}:${x.name} ${appB}:${y.name}`).join(", ")})`,
    };
  }
  if (epA !== undefined && epB !== undefined) {
    const x = candA[0]!;
    const y = candB[0]!;
    if (x.interface !== y.interface) {
      return { error: `relation ${a} ${b}: interface mismatch (${x.interface} vs ${y.interface})` };
    }
    return { error: `relation ${a} ${b}: roles ${x.role} and ${y.role} cannot be related` };
  }
  return { error: `relation ${a} ${b}: no compatible endpoints` };
}

/**
 * Validates a parsed bundle document. Pure apart from `loadMeta` (reads each charm's metadata).
 * @throws BundleError listing every problem
 */
export function validateBundle(
  doc: unknown,
  baseDir: string,
  loadMeta: (charmDir: string) => CharmMeta = loadCharmMeta,
): { bundle: Bundle; metas: Map<string, CharmMeta> } {
  const problems: string[] = [];
  const root = obj(doc);
  const apps = obj(root?.applications);
  if (!apps) throw new BundleError(["missing `applications` mapping"]);
  const metas = new Map<string, CharmMeta>();
  const out: BundleApp[] = [];
  for (const name of Object.keys(apps).sort()) {
    const def = obj(apps[name]);
    if (!/^[a-z][a-z0-9-]*$/.test(name)) problems.push(`application "${name}": invalid name`);
    if (!def || typeof def.charm !== "string") {
      problems.push(`application "${name}": missing \`charm\` (a path to a .charm file or charm directory)`);
      continue;
    }
    const charm = isAbsolute(def.charm) ? def.charm : resolve(baseDir, def.charm);
    let meta: CharmMeta;
    try {
      meta = loadMeta(charm);
    } catch (e) {
      problems.push(`application "${name}": cannot load charm ${charm}: ${(e as Error).message}`);
      continue;
    }
    metas.set(name, meta);
    const rawScale = def.scale ?? def.num_units ?? 1;
    const scale = typeof rawScale === "number" ? rawScale : Number.NaN;
    if (!Number.isInteger(scale) || scale < 0)
      problems.push(`application "${name}": scale must be an integer >= 0`);
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj(def.options) ?? {})) {
      const r = coerceOption(meta, k, v);
      if ("error" in r) problems.push(`application "${name}": ${r.error}`);
      else options[k] = r.value;
    }
    out.push({ name, charm, scale, options });
  }
  const relations: [string, string][] = [];
  const rels = root?.relations ?? [];
  if (!Array.isArray(rels)) problems.push("`relations` must be a list of [app:endpoint, app:endpoint] pairs");
  else {
    for (const r of rels) {
      if (!Array.isArray(r) || r.length !== 2 || typeof r[0] !== "string" || typeof r[1] !== "string") {
        problems.push(`relation ${JSON.stringify(r)}: expected [app:endpoint, app:endpoint]`);
        continue;
      }
      const res = resolveRelation(r[0], r[1], (a) => metas.get(a));
      if ("error" in res) problems.push(res.error);
      else {
        const appA = r[0].split(":")[0];
        const appB = r[1].split(":")[0];
        relations.push([`${appA}:${res.endpoints[0].name}`, `${appB}:${res.endpoints[1].name}`]);
      }
    }
  }
  if (problems.length) throw new BundleError(problems);
  return { bundle: { applications: out, relations }, metas };
}

/**
 * Reads and validates a bundle file; `.charm` files it names are unpacked (into the cache) to read
 * their metadata. @throws BundleError
 */
export async function loadBundle(path: string): Promise<{ bundle: Bundle; metas: Map<string, CharmMeta> }> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    throw new BundleError([`cannot read ${path}: ${(e as Error).message}`]);
  }
  const base = dirname(resolve(path));
  const unpacked = new Map<string, string>();
  const apps = obj(obj(doc)?.applications) ?? {};
  for (const def of Object.values(apps)) {
    const charm = obj(def)?.charm;
    if (typeof charm !== "string" || !isPackedCharm(charm)) continue;
    const file = isAbsolute(charm) ? charm : resolve(base, charm);
    try {
      unpacked.set(file, await unpackedCharm(file));
    } catch {
      // Left to validation, which reports the file as unloadable.
    }
  }
  return validateBundle(doc, base, (charm) => {
    if (!isPackedCharm(charm)) return loadCharmMeta(charm);
    const dir = unpacked.get(charm);
    if (!dir)
      throw new Error(
        `not a readable .charm file${existsSync(charm) ? "" : " (no such file; run npm run pack)"}`,
      );
    return loadCharmMeta(dir);
  });
}

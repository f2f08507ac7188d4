/**
 * Scrape-job transformations of the prometheus_scrape consumer, reproducing the Python library
 * (LIBPATCH 61) on the wire: sanitising to the allowed keys, job-name prefixing, wildcard and
 * explicit-host target expansion into per-unit jobs, and hash-based dedupe of job names.
 *
 * Everything here is pure. Key order is preserved the way Python dicts preserve it, because the
 * dedupe hash is taken over Python `json.dumps` text and must come out identical.
 */
import { createRequire } from "node:module";
import type { JujuTopology } from "./topology.js";

/** A scrape job as JSON data (provider-controlled until validated). */
export type ScrapeJob = Record<string, unknown>;

/**
 * Top-level scrape_config keys a provider may set; anything else is dropped (the Python library's
 * `ALLOWED_KEYS`).
 */
export const ALLOWED_KEYS: ReadonlySet<string> = new Set([
  "job_name",
  "metrics_path",
  "static_configs",
  "scrape_interval",
  "scrape_timeout",
  "proxy_url",
  "relabel_configs",
  "metric_relabel_configs",
  "sample_limit",
  "label_limit",
  "label_name_length_limit",
  "label_value_length_limit",
  "scheme",
  "basic_auth",
  "tls_config",
  "authorization",
  "params",
]);

/** The job a provider gets when it declares none; also the base every sanitised job is built on. */
export function defaultJob(): ScrapeJob {
  return { metrics_path: "/metrics", static_configs: [{ targets: ["*:80"] }] };
}

/**
 * `sanitize_scrape_config`: `DEFAULT_JOB` updated with the job's allowed keys only, so the result
 * always has `metrics_path` and `static_configs` first, then the job's other allowed keys in order.
 * Values are not validated here (see `limits.ts`/`consumer.ts`).
 *
 * @example sanitizeScrapeConfig({ job_name: "x", honor_labels: true }).job_name // "x"
 */
export function sanitizeScrapeConfig(job: ScrapeJob): ScrapeJob {
  const out = defaultJob();
  for (const [k, v] of Object.entries(job)) if (ALLOWED_KEYS.has(k)) out[k] = v;
  return out;
}

/** Top-level keys of `job` that sanitising would drop, sorted. */
export function disallowedKeys(job: ScrapeJob): string[] {
  return Object.keys(job)
    .filter((k) => !ALLOWED_KEYS.has(k))
    .sort();
}

/** `juju_{identifier}_prometheus_scrape`, the prefix of every job name on the metadata path. */
export function jobNamePrefix(topology: JujuTopology): string {
  return `juju_${topology.identifier}_prometheus_scrape`;
}

/**
 * Prefixes each job's name as the Python library does: `P_name`, or just `P` when the job has no
 * (or an empty) name.
 */
export function prefixJobNames(jobs: readonly ScrapeJob[], topology: JujuTopology): ScrapeJob[] {
  const prefix = jobNamePrefix(topology);
  return jobs.map((job) => {
    const name = job.job_name;
    return { ...job, job_name: typeof name === "string" && name !== "" ? `${prefix}_${name}` : prefix };
  });
}

// ---------------------------------------------------------------------------------------------
// Python json.dumps

/** Thrown for values Python's default encoder would also refuse (NaN, Infinity, functions...). */
export class PyJsonDumpsError extends Error {
  override readonly name = "PyJsonDumpsError";
}

function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    // ensure_ascii: everything outside printable ASCII becomes \uXXXX of its UTF-16 code unit, so
    // astral characters come out as surrogate pairs, exactly as Python writes them.
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += s[i];
  }
  return `${out}"`;
}

/**
 * Python `float.__repr__` for a non-integral finite number: the shortest round-trip digits, in
 * positional form when the decimal exponent is in [-4, 16), scientific (`1e-05`, `1.5e+16`)
 * otherwise. JavaScript switches notation at different exponents, hence this rewrite.
 */
function pyFloatRepr(n: number): string {
  const [mant = "", expStr = "0"] = n.toExponential().split("e");
  const exp = Number(expStr);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  let body: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    body = `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  } else if (exp < 0) {
    body = `0.${"0".repeat(-exp - 1)}${digits}`;
  } else if (digits.length > exp + 1) {
    body = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    body = `${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  }
  return neg ? `-${body}` : body;
}

function pyNumber(n: number): string {
  if (!Number.isFinite(n))
    throw new PyJsonDumpsError(`Out of range float values are not JSON compliant: ${n}`);
  // JSON.parse cannot tell `5` from `5.0`; integral values are printed as Python ints. Providers'
  // job data carries ints here (ports, limits), so this matches what Python hashes in practice.
  if (Number.isInteger(n))
    return Object.is(n, -0) ? "0" : String(n).includes("e") ? BigInt(n).toString() : String(n);
  return pyFloatRepr(n);
}

/**
 * Python `json.dumps(value)` with default arguments: `", "`/`": "` separators, insertion key
 * order, `ensure_ascii=True`, Python float repr. `undefined` object members are skipped.
 *
 * @example pyJsonDumps({ a: [1, 0.5, "é"] }) // '{"a": [1, 0.5, "\\u00e9"]}'
 */
export function pyJsonDumps(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return pyNumber(value);
    case "string":
      return pyString(value);
    case "object":
      break;
    default:
      throw new PyJsonDumpsError(`Object of type ${typeof value} is not JSON serializable`);
  }
  if (Array.isArray(value)) return `[${value.map((v) => pyJsonDumps(v)).join(", ")}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    parts.push(`${pyString(k)}: ${pyJsonDumps(v)}`);
  }
  return `{${parts.join(", ")}}`;
}

// node:crypto takes milliseconds to load and is needed only when job names collide, so it is
// loaded on first use. Any absolute path anchors a require function for a built-in module; this
// works the same in the ESM sources and in CommonJS bundles (which have no import.meta.url).
let createHash: typeof import("node:crypto").createHash | undefined;

/** `sha256(json.dumps(job))` as lowercase hex: the dedupe hash. */
export function jobHash(job: unknown): string {
  createHash ??= (createRequire("/")("node:crypto") as typeof import("node:crypto")).createHash;
  return createHash("sha256").update(pyJsonDumps(job), "utf8").digest("hex");
}

// ---------------------------------------------------------------------------------------------
// Dedupe

/**
 * `_dedupe_job_names`: jobs sharing a name are each renamed `{name}_{sha256(json)}` (hash
 * over the job before renaming), groups are flattened in first-occurrence order of their name,
 * then jobs whose JSON was already seen are dropped. Every job must have a string `job_name`.
 */
export function dedupeJobNames(jobs: readonly ScrapeJob[]): ScrapeJob[] {
  return dedupeEntries(
    jobs,
    (j) => j,
    (_, j) => j,
  );
}

/**
 * {@link dedupeJobNames} over any items that carry a job (e.g. a job and what the consumer knows
 * of its relation), so that what travels with each job survives the renaming.
 */
export function dedupeEntries<T>(
  items: readonly T[],
  jobOf: (item: T) => ScrapeJob,
  withJob: (item: T, job: ScrapeJob) => T,
): T[] {
  // Identical jobs have identical names, so only jobs whose name is shared need hashing: a job
  // with a unique name is kept as is (no copy, no hash), which keeps large models linear.
  // A name maps to its one item, or to the array of its items once it is shared.
  const groups = new Map<string, T | T[]>();
  const shared = new Set<string>();
  for (const item of items) {
    const name = String(jobOf(item).job_name);
    const g = groups.get(name);
    if (g === undefined) groups.set(name, item);
    else {
      if (shared.has(name)) (g as T[]).push(item);
      else groups.set(name, [g as T, item]);
      shared.add(name);
    }
  }
  // All names distinct (the common case): nothing to rename or drop.
  if (shared.size === 0) return [...items];
  const out: T[] = [];
  const emitted = new Map<string, ScrapeJob>();
  let hashes: Map<ScrapeJob, string> | undefined;
  const emit = (item: T) => {
    const job = jobOf(item);
    const name = String(job.job_name);
    const prior = emitted.get(name);
    if (prior !== undefined) {
      // Only reachable when a renamed job meets a job that already had that name: drop it when
      // identical (as Python does); otherwise keep both, as Python would.
      hashes ??= new Map();
      const h = (j: ScrapeJob) => {
        let v = hashes!.get(j);
        if (v === undefined) {
          v = jobHash(j);
          hashes!.set(j, v);
        }
        return v;
      };
      if (h(prior) === h(job)) return;
    } else emitted.set(name, job);
    out.push(item);
  };
  for (const [name, group] of groups) {
    if (!shared.has(name)) {
      emit(group as T);
      continue;
    }
    const seen = new Set<string>();
    for (const item of group as T[]) {
      const job = jobOf(item);
      const h = jobHash(job);
      // Same content before renaming means same content after: Python's second pass drops it.
      if (seen.has(h)) continue;
      seen.add(h);
      emit(withJob(item, { ...job, job_name: `${name}_${h}` }));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Host map and target expansion

/** What a remote unit's bag says about how to reach it. */
export interface UnitHost {
  readonly address: string;
  readonly path: string;
  readonly fqdn: string;
}

/** A unit's entry in the host map: its name (what `juju_unit` says) and how to reach it. */
export interface UnitEntry extends UnitHost {
  readonly name: string;
}

/**
 * Python's reading of a unit bag (the library's `_relation_hosts`): name from
 * `prometheus_scrape_unit_name` (else the unit name), address from
 * `prometheus_scrape_unit_address` (else legacy `prometheus_scrape_host`), path from
 * `prometheus_scrape_unit_path` and FQDN from `prometheus_scrape_unit_fqdn` (both default "");
 * no address (an empty bag has none) means the unit is not scraped.
 */
export function pythonUnitEntry(unit: string, bag: Readonly<Record<string, string>>): UnitEntry | undefined {
  const address = bag.prometheus_scrape_unit_address || bag.prometheus_scrape_host || "";
  if (address === "") return undefined;
  return {
    name: bag.prometheus_scrape_unit_name || unit,
    address,
    path: bag.prometheus_scrape_unit_path ?? "",
    fqdn: bag.prometheus_scrape_unit_fqdn ?? "",
  };
}

/**
 * Builds the host map (unit name to address, path and FQDN, as the Python library's
 * `_relation_hosts`) from remote unit bags, each read by `resolve` (Python's reading by default;
 * the consumer's checks its values). Units it returns `undefined` for are left out. The result is
 * ordered by unit number, so output does not depend on bag order (Python iterates ops'
 * `relation.units`, a set, in no fixed order).
 */
export function buildHostMap(
  units: Readonly<Record<string, Readonly<Record<string, string>>>>,
  resolve: (unit: string, bag: Readonly<Record<string, string>>) => UnitEntry | undefined = pythonUnitEntry,
): Map<string, UnitHost> {
  const entries: [string, UnitHost][] = [];
  let sorted = true;
  for (const unitName in units) {
    const e = resolve(unitName, units[unitName]!);
    if (e === undefined) continue;
    const last = entries.at(-1);
    if (last && compareUnitName(last[0], e.name) > 0) sorted = false;
    entries.push([e.name, { address: e.address, path: e.path, fqdn: e.fqdn }]);
  }
  // Bags usually arrive in unit order already; sort only when they do not.
  if (!sorted) entries.sort((a, b) => compareUnitName(a[0], b[0]));
  return new Map(entries);
}

/** Orders `app/N` names by application, then numerically by N. */
export function compareUnitName(a: string, b: string): number {
  const ia = a.lastIndexOf("/");
  const ib = b.lastIndexOf("/");
  const appA = ia < 0 ? a : a.slice(0, ia);
  const appB = ib < 0 ? b : b.slice(0, ib);
  if (appA !== appB) return appA < appB ? -1 : 1;
  const na = Number(a.slice(ia + 1));
  const nb = Number(b.slice(ib + 1));
  if (Number.isInteger(na) && Number.isInteger(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

const WILDCARD = /^\*(?::\d+)?/;

/** True for a wildcard target (`*`, `*:port`, or anything starting with `*`, like Python's `re.match`). */
export function isWildcardTarget(target: string): boolean {
  return WILDCARD.test(target);
}

/**
 * The host of a target as Python's `urlparse("//" + target).hostname` sees it: userinfo removed,
 * IPv6 brackets stripped, lowercased; `undefined` when empty.
 */
export function targetHost(target: string): string | undefined {
  let netloc = target;
  const cut = netloc.search(/[/?#]/);
  if (cut >= 0) netloc = netloc.slice(0, cut);
  const hostinfo = netloc.slice(netloc.lastIndexOf("@") + 1);
  let host: string;
  const br = hostinfo.indexOf("[");
  if (br >= 0) {
    const rest = hostinfo.slice(br + 1);
    const close = rest.indexOf("]");
    // Python raises "Invalid IPv6 URL" here and the library falls back to split(":")[0].
    if (close < 0) return target.split(":")[0] || undefined;
    host = rest.slice(0, close);
  } else {
    const colon = hostinfo.indexOf(":");
    host = colon < 0 ? hostinfo : hostinfo.slice(0, colon);
  }
  return host === "" ? undefined : host.toLowerCase();
}

function bareHost(host: string): string {
  const h = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return h.toLowerCase();
}

/**
 * A unit address as the host part of a target: IPv6 addresses in brackets (`[fd00::1]:8000`;
 * `fd00::1:8000` is another address, and a bare `fd00::1` gets no default port from Prometheus).
 */
export function hostForTarget(address: string): string {
  return address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
}

function instanceRelabel(withUnit: boolean): Record<string, unknown> {
  return {
    source_labels: withUnit
      ? ["juju_model", "juju_model_uuid", "juju_application", "juju_unit"]
      : ["juju_model", "juju_model_uuid", "juju_application"],
    separator: "_",
    target_label: "instance",
    regex: "(.*)",
  };
}

/** Names of the topology labels the consumer owns; providers may not set them (see consumer.ts). */
export const TOPOLOGY_LABELS: ReadonlySet<string> = new Set([
  "juju_model",
  "juju_model_uuid",
  "juju_application",
  "juju_charm",
  "juju_unit",
]);

const NO_LABELS: Readonly<Record<string, unknown>> = Object.freeze({});

function providerLabels(staticConfig: Record<string, unknown>): Readonly<Record<string, unknown>> {
  const labels = staticConfig.labels;
  if (typeof labels !== "object" || labels === null || Array.isArray(labels)) return NO_LABELS;
  return labels as Record<string, unknown>;
}

/**
 * Topology labels first (plus `juju_unit` when given), then the provider's labels. Unlike the
 * Python library, the provider's labels never override topology labels: a provider could otherwise
 * make its series look like another application's (the consumer reports such labels; see
 * consumer.ts).
 */
function mergeLabels(
  topo: Readonly<Record<string, string>>,
  unitName: string | undefined,
  provider: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...topo };
  if (unitName !== undefined) out.juju_unit = unitName;
  for (const k in provider) if (!TOPOLOGY_LABELS.has(k)) out[k] = provider[k];
  return out;
}

/**
 * What every per-unit job of one declared job shares, computed once per job. `unitRelabel` (the
 * provider's relabel configs plus the instance relabel) is one frozen array referenced by all of
 * them, like the provider's own nested values already are: thousands of units then cost one copy.
 */
interface UnitJobBase {
  readonly job: ScrapeJob;
  readonly name: string;
  readonly metricsPath: string;
  readonly relabel: readonly unknown[];
  readonly unitRelabel: readonly unknown[];
  readonly topoLabels: Readonly<Record<string, string>>;
}

function unitJobBase(job: ScrapeJob, topoLabels: Readonly<Record<string, string>>): UnitJobBase {
  const relabel = Array.isArray(job.relabel_configs) ? job.relabel_configs : [];
  const instance = instanceRelabel(true);
  Object.freeze(instance.source_labels);
  return {
    job,
    name: typeof job.job_name === "string" && job.job_name !== "" ? job.job_name : "unnamed-job",
    metricsPath:
      typeof job.metrics_path === "string" && job.metrics_path !== "" ? job.metrics_path : "/metrics",
    relabel,
    unitRelabel: Object.freeze([...relabel, Object.freeze(instance)]),
    topoLabels,
  };
}

function unitJob(
  base: UnitJobBase,
  staticConfig: Record<string, unknown>,
  targets: string[],
  unitName: string,
  host: UnitHost,
): ScrapeJob {
  const labels = mergeLabels(base.topoLabels, unitName, providerLabels(staticConfig));
  return {
    ...base.job,
    job_name: `${base.name}-${unitName.slice(unitName.lastIndexOf("/") + 1)}`,
    metrics_path: host.path + base.metricsPath,
    static_configs: [{ ...staticConfig, targets, labels }],
    relabel_configs: base.unitRelabel,
  };
}

/**
 * Merges the per-unit jobs that {@link expandWildcardTargets} made from one declared job (same
 * base name, identical apart from `job_name` and the single static_config) into one job whose
 * static_configs are the units', each labelled `job: <the per-unit job name>`. Prometheus keeps a
 * target's own `job` label over the job name, so the scraped series are labelled exactly as with
 * one job per unit, while the config has one job per declared job instead of one per unit.
 * Other jobs pass unchanged; the output order follows the first job of each group.
 */
export function compactUnitJobs(jobs: readonly ScrapeJob[]): ScrapeJob[] {
  const groups = new Map<string, { job: ScrapeJob; configs: Record<string, unknown>[] }>();
  const out: (ScrapeJob | string)[] = [];
  for (const job of jobs) {
    const name = typeof job.job_name === "string" ? job.job_name : "";
    const scs = job.static_configs;
    const m = /^(.*)-\d+$/.exec(name);
    const sc = Array.isArray(scs) && scs.length === 1 ? (scs[0] as Record<string, unknown>) : undefined;
    const labels = sc?.labels as Record<string, unknown> | undefined;
    if (!m || !sc || typeof labels?.juju_unit !== "string" || "job" in labels) {
      out.push(job);
      continue;
    }
    const { job_name: _n, static_configs: _s, ...rest } = job;
    const key = `${m[1]}\u0000${pyJsonDumps(rest)}`;
    const config = { ...sc, labels: { ...labels, job: name } };
    const g = groups.get(key);
    if (g) g.configs.push(config);
    else {
      groups.set(key, { job: { ...rest, job_name: `${m[1]}_units` }, configs: [config] });
      out.push(key);
    }
  }
  return out.map((x) => {
    if (typeof x !== "string") return x;
    const g = groups.get(x)!;
    return { ...g.job, static_configs: g.configs };
  });
}

/**
 * `expand_wildcard_targets_into_individual_jobs`. Per job and static_config: jobs for
 * explicit targets matching a unit's address or FQDN, then one job per unit for wildcard targets;
 * unmatched explicit targets are gathered into one job without a unit suffix, emitted last. Jobs
 * without `static_configs` and static_configs without targets are dropped.
 */
export function expandWildcardTargets(
  jobs: readonly ScrapeJob[],
  hosts: ReadonlyMap<string, UnitHost>,
  topology: JujuTopology,
): ScrapeJob[] {
  const hostToUnit = new Map<string, string>();
  for (const [unit, h] of hosts) {
    // Keyed the way targetHost() reads a target's host: lowercase, IPv6 without brackets.
    hostToUnit.set(bareHost(h.address), unit);
    if (h.fqdn !== "") hostToUnit.set(bareHost(h.fqdn), unit);
  }
  const topoLabels = topology.labelMatcherDict();
  const out: ScrapeJob[] = [];
  for (const job of jobs) {
    const staticConfigs = job.static_configs;
    if (!Array.isArray(staticConfigs) || staticConfigs.length === 0) continue;
    const base = unitJobBase(job, topoLabels);
    const unmatched: Record<string, unknown>[] = [];
    for (const sc of staticConfigs as Record<string, unknown>[]) {
      const targets = Array.isArray(sc.targets) ? (sc.targets as string[]) : [];
      if (targets.length === 0) continue;
      const matched = new Map<string, string[]>();
      const unmatchedTargets: string[] = [];
      const wildcards: string[] = [];
      for (const t of targets) {
        if (isWildcardTarget(t)) {
          wildcards.push(t);
          continue;
        }
        const host = targetHost(t);
        const unit = host === undefined ? undefined : hostToUnit.get(host);
        if (unit === undefined) unmatchedTargets.push(t);
        else matched.set(unit, [...(matched.get(unit) ?? []), t]);
      }
      for (const unit of [...matched.keys()].sort(compareUnitName)) {
        const host = hosts.get(unit);
        if (host) out.push(unitJob(base, sc, matched.get(unit) ?? [], unit, host));
      }
      if (wildcards.length > 0) {
        const ports = wildcards.map((t) => t.slice(1));
        for (const [unit, host] of hosts) {
          const h = hostForTarget(host.address);
          const resolved = ports.map((p) => h + p);
          out.push(unitJob(base, sc, resolved, unit, host));
        }
      }
      if (unmatchedTargets.length > 0) {
        unmatched.push({
          ...sc,
          targets: unmatchedTargets,
          labels: mergeLabels(topoLabels, undefined, providerLabels(sc)),
        });
      }
    }
    if (unmatched.length > 0) {
      out.push({
        ...job,
        static_configs: unmatched,
        metrics_path: base.metricsPath,
        relabel_configs: [...base.relabel, instanceRelabel(false)],
      });
    }
  }
  return out;
}

/**
 * The prometheus_scrape consumer (the Prometheus side of `metrics-endpoint`): turns every related
 * application's databags into scrape jobs and alert-rule files, pure and deterministic.
 *
 * On the wire this reproduces the Python `MetricsEndpointConsumer` (LIBPATCH 61): job names, `-N`
 * suffixes, unit-path prefixes, the two instance relabel variants, hash dedupe, the legacy raw path
 * without `scrape_metadata`, rule-file naming. Where the Python library fails as a whole (one bad
 * relation breaks every relation's jobs) or trusts providers too much, this module rejects only the
 * bad part, names the relation and the field, and keeps everything else (see `rejected`).
 *
 * Deliberate differences from Python, each tested:
 * - malformed JSON, bad metadata or UUID, invalid job fields: only that relation / job is rejected;
 * - top-level keys outside `ALLOWED_KEYS` are dropped on the raw path too (Prometheus' strict parser
 *   would otherwise refuse the whole config), and reported;
 * - `*_file` keys (except tls_config's PEM-content fields) reject the job: relation data must not
 *   pick files on our disk for Prometheus to read;
 * - relabel configs may not write, drop or remap `juju_*` labels; static labels may not override
 *   topology labels (the topology wins and the override is reported);
 * - every alert expression gets the relation's topology injected, including rules without topology
 *   labels when `scrape_metadata` is known, plus `juju_unit` for unit-level rules;
 * - rule files with invalid rules or repeated group names are rejected (promtool would refuse them);
 * - per-relation bounds (limits.ts).
 */
import type { RelationSnapshot } from "@charmkit/ops";
import { validateScrapeJob } from "./job-validation.js";
import {
  buildHostMap,
  compactUnitJobs,
  dedupeJobNames,
  disallowedKeys,
  expandWildcardTargets,
  prefixJobNames,
  pyJsonDumps,
  type ScrapeJob,
  sanitizeScrapeConfig,
  TOPOLOGY_LABELS,
  type UnitHost,
} from "./jobs.js";
import { type Limits, resolveLimits, utf8Bytes } from "./limits.js";
import { stripTopologyPlaceholder, topologyInjector, validateGroups } from "./promql.js";
import { JujuTopology, TopologyError } from "./topology.js";

/** Options of {@link consume}. */
export interface ConsumerOptions {
  /** Add `fallback_scrape_protocol: PrometheusText0.0.4` to metadata-path jobs; only for Prometheus >= 3. */
  readonly fallbackScrapeProtocol?: boolean;
  /** Per-relation bounds; unset fields take `DEFAULT_LIMITS`. */
  readonly limits?: Partial<Limits> | undefined;
  /**
   * Compact rendering: the per-unit jobs of one declared job become one job with a static_config
   * per unit, each carrying the `job` label the per-unit job would have had, so every scraped
   * series keeps exactly the same labels with ~10x fewer jobs (see `compactUnitJobs`).
   */
  readonly compact?: boolean;
}

/** One alert-rules file, for `/etc/prometheus/rules/{name}.rules`. */
export interface RuleFile {
  /** File stem: `juju_` + `key`, e.g. `juju_cos_c2e9f4d5_zinc-k8s_metrics-endpoint_7`. */
  readonly name: string;
  /** The Python library's key: `{identifier}_{endpoint}_{relationId}`. */
  readonly key: string;
  readonly relationId: number;
  /** Rule groups, expressions already carrying the topology matchers. */
  readonly groups: Record<string, unknown>[];
}

/**
 * Something from a relation that was not used, or used only in part.
 * - `relation`: nothing of the relation is used (e.g. unusable `scrape_metadata`);
 * - `jobs`: the relation's jobs, or one job, were rejected (the reason says which);
 * - `rules`: the relation's rule file was rejected;
 * - `ignored`: a part was dropped or overridden while the rest of the job was kept.
 */
export interface ConsumerRejection {
  readonly relationId: number;
  readonly app: string;
  readonly kind: "jobs" | "rules" | "relation" | "ignored";
  readonly reason: string;
}

/** Everything {@link consume} derives from the `metrics-endpoint` relations. */
export interface ConsumerResult {
  /** Scrape jobs in relation-id order, deduped; without `honor_labels` (the charm sets it). */
  readonly jobs: ScrapeJob[];
  readonly ruleFiles: RuleFile[];
  readonly rejected: ConsumerRejection[];
  /**
   * Relation id to the JSON string the leader writes to its app bag under `event`:
   * `{"errors": ..., "scrape_job_errors": ...}`, or `{}` once clean (so stale errors are cleared).
   * Only relations whose feedback is worth writing appear: those with alert rules (as Python
   * does), with errors, or with a stale `event` in the local app bag.
   */
  readonly feedback: Map<number, string>;
}

const FALLBACK_PROTOCOL = "PrometheusText0.0.4";

interface RelationCtx {
  readonly rel: RelationSnapshot;
  readonly app: string;
  readonly where: string;
  readonly limits: Limits;
  readonly rejected: ConsumerRejection[];
  readonly jobErrors: string[];
  readonly ruleErrors: string[];
}

function add(ctx: RelationCtx, kind: ConsumerRejection["kind"], reason: string): void {
  ctx.rejected.push({ relationId: ctx.rel.id, app: ctx.app, kind, reason: `${ctx.where}: ${reason}` });
  if (kind === "jobs" || kind === "relation") ctx.jobErrors.push(reason);
  if (kind === "rules") ctx.ruleErrors.push(reason);
}

type Parsed = { ok: true; value: unknown } | { ok: false };

/** Reads and parses one JSON databag value, enforcing the size bound; records the failure. */
function readJson(ctx: RelationCtx, key: string, fallback: string, kind: ConsumerRejection["kind"]): Parsed {
  const raw = ctx.rel.remoteAppData[key] ?? fallback;
  const bytes = utf8Bytes(raw);
  if (bytes > ctx.limits.maxValueBytes) {
    add(ctx, kind, `'${key}' is ${bytes} bytes, over the limit maxValueBytes=${ctx.limits.maxValueBytes}`);
    return { ok: false };
  }
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (e) {
    add(ctx, kind, `'${key}' is not valid JSON: ${(e as Error).message}`);
    return { ok: false };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** Python truthiness of a parsed JSON value. */
function truthy(v: unknown): boolean {
  if (v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isRecord(v)) return Object.keys(v).length > 0;
  return true;
}

/** The relation's topology from `scrape_metadata`: `null` when absent/empty (raw path), `undefined` when unusable. */
function readTopology(ctx: RelationCtx): JujuTopology | null | undefined {
  const parsed = readJson(ctx, "scrape_metadata", "{}", "relation");
  if (!parsed.ok) return undefined;
  if (!truthy(parsed.value)) return null;
  try {
    return JujuTopology.fromDict(parsed.value);
  } catch (e) {
    if (e instanceof TopologyError) {
      add(
        ctx,
        "relation",
        `'scrape_metadata' ${e.field === "scrape_metadata" ? "" : `field '${e.field}' `}is unusable: ${e.message}`,
      );
      return undefined;
    }
    throw e;
  }
}

function jobLabel(job: unknown, i: number): string {
  const name =
    isRecord(job) && typeof job.job_name === "string" && job.job_name !== "" ? `'${job.job_name}' ` : "";
  return `job ${name}(scrape_jobs[${i}])`;
}

/** Reports and removes provider labels that would override topology labels (the topology wins). */
function reportTopologyLabelOverrides(ctx: RelationCtx, job: ScrapeJob, label: string): void {
  const scs = job.static_configs;
  if (!Array.isArray(scs)) return;
  scs.forEach((sc, i) => {
    if (!isRecord(sc) || !isRecord(sc.labels)) return;
    const hits = Object.keys(sc.labels)
      .filter((k) => TOPOLOGY_LABELS.has(k))
      .sort();
    if (hits.length > 0) {
      add(
        ctx,
        "ignored",
        `${label}: static_configs[${i}].labels ${hits.join(", ")} may not override topology labels; topology kept`,
      );
    }
  });
}

function relationJobs(ctx: RelationCtx, topology: JujuTopology | null, opts: ConsumerOptions): ScrapeJob[] {
  const parsed = readJson(ctx, "scrape_jobs", "[]", "jobs");
  if (!parsed.ok || !truthy(parsed.value)) return [];
  if (!Array.isArray(parsed.value)) {
    add(ctx, "jobs", "'scrape_jobs' is not a JSON list");
    return [];
  }
  const list = parsed.value;
  if (list.length > ctx.limits.maxJobs) {
    add(ctx, "jobs", `'scrape_jobs' has ${list.length} jobs, over the limit maxJobs=${ctx.limits.maxJobs}`);
    return [];
  }
  const accepted: ScrapeJob[] = [];
  list.forEach((job, i) => {
    const label = jobLabel(job, i);
    if (!isRecord(job)) {
      add(ctx, "jobs", `${label} is not a JSON object`);
      return;
    }
    const dropped = disallowedKeys(job);
    if (dropped.length > 0)
      add(ctx, "ignored", `${label}: keys not allowed in a scrape job were dropped: ${dropped.join(", ")}`);
    // Python passes raw-path jobs through untouched; we still drop disallowed keys because
    // Prometheus refuses unknown fields and one such job would break the whole config.
    const clean = topology === null ? withoutKeys(job, dropped) : sanitizeScrapeConfig(job);
    const problems = validateScrapeJob(clean, ctx.limits, topology === null);
    if (problems.length > 0) {
      add(ctx, "jobs", `${label} rejected: ${problems.join("; ")}`);
      return;
    }
    if (topology !== null) reportTopologyLabelOverrides(ctx, clean, label);
    accepted.push(clean);
  });
  if (topology === null) return accepted;
  const hosts = unitHosts(ctx);
  let jobs = expandWildcardTargets(prefixJobNames(accepted, topology), hosts, topology);
  // The expanded jobs are fresh objects owned here: add the key in place (last, as Python does).
  if (opts.fallbackScrapeProtocol) for (const j of jobs) j.fallback_scrape_protocol = FALLBACK_PROTOCOL;
  jobs = dedupeJobNames(jobs);
  return opts.compact ? compactUnitJobs(jobs) : jobs;
}

// A host name, an IPv4 address, or an IPv6 address (bare or in brackets): what a unit may give as
// the address Prometheus scrapes. Anything else (spaces, newlines, URLs) would only fail at scrape
// time, far from the relation that sent it.
const HOST =
  /^(?:\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*|[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)$/;

/** The hosts of the remote units whose address is usable; the others are reported and left out. */
function unitHosts(ctx: RelationCtx): Map<string, UnitHost> {
  return buildHostMap(ctx.rel.remoteUnitsData, (unit, address) => {
    if (HOST.test(address)) return true;
    add(
      ctx,
      "jobs",
      `unit ${unit}: prometheus_scrape_unit_address ${JSON.stringify(address.slice(0, 100))} is not a host name or IP address; that unit is not scraped`,
    );
    return false;
  });
}

function withoutKeys(job: Record<string, unknown>, keys: readonly string[]): ScrapeJob {
  if (keys.length === 0) return { ...job };
  const drop = new Set(keys);
  return Object.fromEntries(Object.entries(job).filter(([k]) => !drop.has(k)));
}

/**
 * Whether two rules' labels give the same topology: consecutive rules nearly always do, and this
 * comparison is much cheaper than their {@link ruleTopologyKey}s (~8% of a 2,000-app render).
 */
function sameTopologyLabels(a: Record<string, unknown> | null, b: Record<string, unknown> | null): boolean {
  if (a === null || b === null) return a === b;
  for (const k of TOPOLOGY_LABELS) if (a[k] !== b[k]) return false;
  return true;
}

/** A rule's own topology labels as one string key, or `null` unless model, uuid and application are strings. */
function ruleTopologyKey(labels: unknown): string | null {
  if (!isRecord(labels)) return null;
  const {
    juju_model: m,
    juju_model_uuid: u,
    juju_application: a,
    juju_unit: unit,
    juju_charm: charm,
  } = labels;
  if (typeof m !== "string" || typeof u !== "string" || typeof a !== "string") return null;
  // JSON-encoded, so values containing any separator cannot make two tuples share a key.
  return JSON.stringify([
    m,
    u,
    a,
    typeof unit === "string" ? unit : "",
    typeof charm === "string" ? charm : "",
  ]);
}

/**
 * How one rule is scoped: the topology its own labels give (if any) and the injector of the
 * matchers its expression gets. Rules of one relation nearly always share one label tuple, so
 * scopes are memoised by that tuple: one UUID check and one quoting per tuple, not per rule.
 */
interface RuleScope {
  readonly topo: JujuTopology | null;
  readonly inject: ((expr: string) => string) | undefined;
}

/** The scope of a rule whose labels gave `key` (see {@link ruleTopologyKey}). */
function ruleScope(
  key: string | null,
  labels: Record<string, unknown> | null,
  relationTopology: JujuTopology | null,
): RuleScope {
  let topo: JujuTopology | null = null;
  if (key !== null && labels !== null) {
    // Built from the label values themselves, never by splitting the key: a value may contain
    // the separator.
    const str = (v: unknown) => (typeof v === "string" ? v : "");
    topo = new JujuTopology(
      str(labels.juju_model),
      str(labels.juju_model_uuid),
      str(labels.juju_application),
      str(labels.juju_unit),
      str(labels.juju_charm),
    );
  }
  // Rules without topology labels still get the relation's topology, so a provider's rule can
  // only see its own application's series.
  const scope = topo ?? relationTopology;
  if (!scope) return { topo, inject: undefined };
  const matchers: Record<string, string> = { ...scope.alertExpressionDict() };
  if (topo && topo.unit !== "") matchers.juju_unit = topo.unit;
  return { topo, inject: topologyInjector(matchers) };
}

function relationRules(ctx: RelationCtx, topology: JujuTopology | null): RuleFile | undefined {
  const parsed = readJson(ctx, "alert_rules", "{}", "rules");
  if (!parsed.ok || !truthy(parsed.value)) return undefined;
  const doc = parsed.value;
  if (!isRecord(doc) || !Array.isArray(doc.groups)) {
    add(ctx, "rules", "'alert_rules' is not an object with a 'groups' list");
    return undefined;
  }
  // `doc` was parsed from the bag just above and is owned here: mutate it in place, no copy.
  const groups = doc.groups as unknown[];
  let ruleCount = 0;
  for (const g of groups) if (isRecord(g) && Array.isArray(g.rules)) ruleCount += g.rules.length;
  if (groups.length > ctx.limits.maxGroups) {
    add(
      ctx,
      "rules",
      `'alert_rules' has ${groups.length} groups, over the limit maxGroups=${ctx.limits.maxGroups}`,
    );
    return undefined;
  }
  if (ruleCount > ctx.limits.maxRules) {
    add(ctx, "rules", `'alert_rules' has ${ruleCount} rules, over the limit maxRules=${ctx.limits.maxRules}`);
    return undefined;
  }
  const problems: string[] = [];
  let identifier: string | undefined;
  const scopes = new Map<string | null, RuleScope>();
  // What to inject into each rule's expression, once the file is known to be valid.
  const pendingRules: Record<string, unknown>[] = [];
  const pendingInjectors: ((expr: string) => string)[] = [];
  let last: { labels: Record<string, unknown> | null; scope: RuleScope } | undefined;
  groups.forEach((group, gi) => {
    if (!isRecord(group) || !Array.isArray(group.rules)) return;
    group.rules.forEach((rule, ri) => {
      if (!isRecord(rule)) return;
      const labels = isRecord(rule.labels) ? rule.labels : null;
      let scope: RuleScope;
      if (last !== undefined && sameTopologyLabels(last.labels, labels)) scope = last.scope;
      else {
        const key = ruleTopologyKey(labels);
        let found = scopes.get(key);
        if (found === undefined) {
          try {
            found = ruleScope(key, labels, topology);
          } catch (e) {
            if (!(e instanceof TopologyError)) throw e;
            problems.push(`group ${gi} rule ${ri}: labels.juju_model_uuid: ${e.message}`);
            return;
          }
          scopes.set(key, found);
        }
        scope = found;
        last = { labels, scope };
      }
      // Python takes the identifier from the first group whose first rule is labelled.
      if (identifier === undefined && ri === 0 && scope.topo) identifier = scope.topo.identifier;
      if (typeof rule.expr !== "string") return;
      rule.expr = stripTopologyPlaceholder(rule.expr);
      if (scope.inject) {
        pendingRules.push(rule);
        pendingInjectors.push(scope.inject);
      }
    });
  });
  if (identifier === undefined && topology) identifier = topology.identifier;
  if (identifier === undefined) {
    const first = groups[0];
    if (isRecord(first) && typeof first.name === "string" && first.name !== "") identifier = first.name;
  }
  if (identifier === undefined) {
    add(ctx, "rules", "alert rules were found but no usable group or identifier was present");
    return undefined;
  }
  // Validated before injecting: splicing well-formed matchers into a valid expression keeps it
  // valid, and the stripped expressions are what the parse cache already holds.
  for (const p of validateGroups(groups)) problems.push(p);
  if (problems.length > 0) {
    add(ctx, "rules", `invalid alert rule file: ${problems.join("; ")}`);
    return undefined;
  }
  for (let i = 0; i < pendingRules.length; i++) {
    const rule = pendingRules[i]!;
    rule.expr = pendingInjectors[i]!(rule.expr as string);
  }
  const key = `${identifier}_${ctx.rel.endpoint}_${ctx.rel.id}`;
  return { name: `juju_${key}`, key, relationId: ctx.rel.id, groups: groups as Record<string, unknown>[] };
}

/**
 * Builds the scrape jobs and rule files of all `metrics-endpoint` relations. Pure: same input,
 * same output, byte for byte. Relations are processed in id order and units in unit-number order.
 *
 * @example
 * const { jobs, ruleFiles, rejected, feedback } = consume(model.relations("metrics-endpoint"), { fallbackScrapeProtocol: true });
 */
export function consume(relations: readonly RelationSnapshot[], opts: ConsumerOptions = {}): ConsumerResult {
  const limits = resolveLimits(opts.limits);
  const rejected: ConsumerRejection[] = [];
  const feedback = new Map<number, string>();
  const ruleFiles: RuleFile[] = [];
  const all: ScrapeJob[] = [];
  const sorted = [...relations].sort((a, b) => a.id - b.id);
  for (const rel of sorted) {
    if (rel.remoteApp === undefined || isEmpty(rel.remoteUnitsData)) continue;
    const ctx: RelationCtx = {
      rel,
      app: rel.remoteApp,
      where: `relation ${rel.endpoint}:${rel.id} (${rel.remoteApp})`,
      limits,
      rejected,
      jobErrors: [],
      ruleErrors: [],
    };
    const topology = readTopology(ctx);
    let hasRules = false;
    if (topology !== undefined) {
      for (const j of relationJobs(ctx, topology, opts)) all.push(j);
      const file = relationRules(ctx, topology);
      if (file) ruleFiles.push(file);
      hasRules = file !== undefined;
    }
    const event: Record<string, string> = {};
    if (ctx.ruleErrors.length > 0) event.errors = ctx.ruleErrors.join(", ");
    if (ctx.jobErrors.length > 0) event.scrape_job_errors = ctx.jobErrors.join(", ");
    const value = pyJsonDumps(event);
    const previous = rel.localAppData?.event;
    const stale = previous !== undefined && previous !== value;
    if (hasRules || ctx.ruleErrors.length > 0 || ctx.jobErrors.length > 0 || stale)
      feedback.set(rel.id, value);
  }
  return { jobs: dedupeJobNames(all), ruleFiles, rejected, feedback };
}

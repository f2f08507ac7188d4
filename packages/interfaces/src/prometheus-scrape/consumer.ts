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
 * Trust (trust.ts, SECURITY.md): every relation is pinned to the topology Juju vouches for (its
 * remote application, its units, its model), unless the operator names its application a trusted
 * aggregator. Pinned relations' metadata, unit names, static and rule `juju_*` labels must agree
 * with those facts; their jobs scrape with `honor_labels: false`; their rules are scoped to and
 * labelled with the verified topology and may not create `juju_*` labels or run queries from
 * templates. Aggregators keep the Python library's reading (raw jobs without metadata, rules
 * scoped by their own labels, `honor_labels: true`).
 *
 * Deliberate differences from Python for every relation, each tested:
 * - malformed JSON, bad metadata or UUID, invalid job fields: only that relation / job is rejected;
 * - top-level keys outside `ALLOWED_KEYS` are dropped on the raw path too (Prometheus' strict parser
 *   would otherwise refuse the whole config), and reported;
 * - `*_file` keys (except tls_config's PEM-content fields) reject the job: relation data must not
 *   pick files on our disk for Prometheus to read;
 * - relabel configs may not write, drop or remap `juju_*` labels;
 * - every alert expression gets a topology injected, including rules without topology labels;
 * - rule files with invalid rules or repeated group names are rejected (promtool would refuse them);
 * - per-relation bounds (limits.ts), checked before anything is copied.
 */
import { isIP } from "node:net";
import type { RelationSnapshot } from "@charmkit/ops";
import { validateScrapeJob } from "./job-validation.js";
import {
  buildHostMap,
  compactUnitJobs,
  dedupeEntries,
  dedupeJobNames,
  disallowedKeys,
  expandWildcardTargets,
  isWildcardTarget,
  jobHash,
  prefixJobNames,
  pyJsonDumps,
  type ScrapeJob,
  sanitizeScrapeConfig,
  TOPOLOGY_LABELS,
  targetHost,
  type UnitHost,
} from "./jobs.js";
import { jsonDepthExceeds, type Limits, resolveLimits, utf8Bytes } from "./limits.js";
import { stripTopologyPlaceholder, topologyInjector, validateGroups } from "./promql.js";
import { JujuTopology, TopologyError } from "./topology.js";
import {
  addTopologyLabels,
  isUnitOf,
  type LocalModel,
  pinnedRuleProblems,
  pinTopology,
  type RelationTrust,
  readUnit,
  ruleFileHints,
  staticLabelProblems,
} from "./trust.js";

export type { LocalModel, RelationTrust } from "./trust.js";

/** A relation as the consumer reads it: the SDK's snapshot plus the remote side's model uuid. */
export interface ScrapeRelation extends RelationSnapshot {
  /**
   * The remote side's model uuid as Juju reports it (`relation-model-get`). Absent or equal to
   * this model's uuid for a relation within this model.
   */
  readonly remoteModelUuid?: string | undefined;
}

/** Options of {@link consume}. */
export interface ConsumerOptions {
  /** This model; pinned relations within it must carry its name and uuid. */
  readonly model: LocalModel;
  /**
   * Remote application names (as this model knows them) allowed to speak for other applications,
   * e.g. cos-proxy. Every other relation is pinned to its own topology.
   */
  readonly trustedAggregators?: Iterable<string> | undefined;
  /** Add `fallback_scrape_protocol: PrometheusText0.0.4` to metadata-path jobs; only for Prometheus >= 3. */
  readonly fallbackScrapeProtocol?: boolean;
  /** The Prometheus major version the output must load in (rule keys, functions); default 3. */
  readonly prometheusMajor?: number;
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
 * - `jobs`: the relation's jobs, or one job or unit, were rejected (the reason says which);
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
  /**
   * Scrape jobs in relation-id order, deduped, each with `honor_labels` set: `false` for pinned
   * relations (a target's own labels cannot override the topology), `true` for aggregators.
   */
  readonly jobs: ScrapeJob[];
  /** The relation each of `jobs` came from (same order). */
  readonly jobRelations: number[];
  readonly ruleFiles: RuleFile[];
  readonly rejected: ConsumerRejection[];
  /**
   * Relation id to the JSON string the leader writes to its app bag under `event`:
   * `{"errors": ..., "scrape_job_errors": ...}`, or `{}` once clean (so stale errors are cleared).
   * Only relations whose feedback is worth writing appear: those with alert rules (as Python
   * does), with errors, or with a stale `event` in the local app bag.
   */
  readonly feedback: Map<number, string>;
  /** How each relation with units was read. */
  readonly trust: Map<number, RelationTrust>;
}

const FALLBACK_PROTOCOL = "PrometheusText0.0.4";

interface RelationCtx {
  readonly rel: ScrapeRelation;
  readonly app: string;
  readonly where: string;
  readonly limits: Limits;
  readonly pinned: boolean;
  readonly major: number;
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

/**
 * Reads and parses one JSON databag value, enforcing the size and nesting bounds before parsing;
 * records the failure. Error messages quote at most the start of the value.
 */
function readJson(ctx: RelationCtx, key: string, fallback: string, kind: ConsumerRejection["kind"]): Parsed {
  const raw = ctx.rel.remoteAppData[key] ?? fallback;
  const bytes = utf8Bytes(raw);
  if (bytes > ctx.limits.maxValueBytes) {
    add(ctx, kind, `'${key}' is ${bytes} bytes, over the limit maxValueBytes=${ctx.limits.maxValueBytes}`);
    return { ok: false };
  }
  if (jsonDepthExceeds(raw, ctx.limits.maxJsonDepth)) {
    add(ctx, kind, `'${key}' nests deeper than the limit maxJsonDepth=${ctx.limits.maxJsonDepth}`);
    return { ok: false };
  }
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (e) {
    add(ctx, kind, `'${key}' is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
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

/**
 * The relation's topology: for a pinned relation the one Juju vouches for (metadata checked
 * against it); for an aggregator its `scrape_metadata`, or `null` without one (the raw path).
 * `undefined` when unusable (reported).
 */
function readTopology(ctx: RelationCtx, local: LocalModel): JujuTopology | null | undefined {
  const parsed = readJson(ctx, "scrape_metadata", "{}", "relation");
  if (!parsed.ok) return undefined;
  const meta = truthy(parsed.value) ? parsed.value : null;
  if (ctx.pinned) {
    const remote = ctx.rel.remoteModelUuid;
    const crossModel = remote !== undefined && remote !== local.uuid;
    const pinned = pinTopology(meta, { app: ctx.app, modelUuid: remote ?? local.uuid, crossModel }, local);
    if ("reason" in pinned) {
      add(ctx, "relation", pinned.reason);
      return undefined;
    }
    return pinned.topology;
  }
  if (meta === null) return null;
  try {
    return JujuTopology.fromDict(meta);
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
    isRecord(job) && typeof job.job_name === "string" && job.job_name !== ""
      ? `'${job.job_name.slice(0, 100)}' `
      : "";
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

/**
 * How many targets a job has once its `*` targets are expanded for every unit, and how many
 * per-unit jobs it becomes: both known before anything is copied.
 */
function expansionSize(
  job: ScrapeJob,
  hosts: ReadonlyMap<string, UnitHost>,
  known: ReadonlySet<string>,
): { targets: number; copies: number } {
  let targets = 0;
  let copies = 1;
  for (const sc of job.static_configs as { targets?: unknown }[]) {
    const ts = Array.isArray(sc.targets) ? (sc.targets as string[]) : [];
    let wildcard = false;
    let matched = 0;
    for (const t of ts) {
      if (isWildcardTarget(t)) wildcard = true;
      else {
        targets++;
        const h = targetHost(t);
        if (h !== undefined && known.has(h)) matched++;
      }
    }
    if (wildcard) {
      targets += ts.filter(isWildcardTarget).length * hosts.size;
      copies += hosts.size;
    }
    copies += Math.min(matched, hosts.size);
  }
  return { targets, copies };
}

interface RelationJobs {
  readonly jobs: ScrapeJob[];
}

function relationJobs(ctx: RelationCtx, topology: JujuTopology | null, opts: ConsumerOptions): RelationJobs {
  const none: RelationJobs = { jobs: [] };
  const parsed = readJson(ctx, "scrape_jobs", "[]", "jobs");
  if (!parsed.ok || !truthy(parsed.value)) return none;
  if (!Array.isArray(parsed.value)) {
    add(ctx, "jobs", "'scrape_jobs' is not a JSON list");
    return none;
  }
  const list = parsed.value;
  if (list.length > ctx.limits.maxJobs) {
    add(ctx, "jobs", `'scrape_jobs' has ${list.length} jobs, over the limit maxJobs=${ctx.limits.maxJobs}`);
    return none;
  }
  const hosts = topology === null ? new Map<string, UnitHost>() : unitHosts(ctx);
  // The hosts explicit targets are matched against (see expandWildcardTargets).
  const known = new Set<string>();
  for (const h of hosts.values()) {
    known.add(h.address.toLowerCase());
    if (h.fqdn !== "") known.add(h.fqdn.toLowerCase());
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
      add(
        ctx,
        "ignored",
        `${label}: keys not allowed in a scrape job were dropped: ${dropped.slice(0, 20).join(", ")}`,
      );
    // Python passes raw-path jobs through untouched; we still drop disallowed keys because
    // Prometheus refuses unknown fields and one such job would break the whole config.
    const clean = topology === null ? withoutKeys(job, dropped) : sanitizeScrapeConfig(job);
    const problems = validateScrapeJob(clean, ctx.limits, topology === null);
    const one = problems.length === 0 ? utf8Bytes(JSON.stringify(clean)) : 0;
    if (one > ctx.limits.maxJobBytes)
      problems.push(`job is ${one} bytes, over the limit maxJobBytes=${ctx.limits.maxJobBytes}`);
    if (problems.length === 0 && topology !== null) {
      const { targets, copies } = expansionSize(clean, hosts, known);
      if (targets > ctx.limits.maxTargetsPerJob) {
        problems.push(
          `job has ${targets} targets once '*' is expanded for ${hosts.size} units, over the limit maxTargetsPerJob=${ctx.limits.maxTargetsPerJob}`,
        );
      } else if (one * copies > ctx.limits.maxExpandedJobBytes) {
        problems.push(
          `job would take ${one * copies} bytes once copied for ${copies - 1} units, over the limit maxExpandedJobBytes=${ctx.limits.maxExpandedJobBytes}`,
        );
      }
    }
    if (problems.length === 0 && ctx.pinned && topology !== null)
      problems.push(...staticLabelProblems(clean.static_configs, topology, ctx.app));
    if (problems.length > 0) {
      add(ctx, "jobs", `${label} rejected: ${problems.slice(0, 10).join("; ")}`);
      return;
    }
    bracketIpv6Targets(clean);
    if (topology !== null && !ctx.pinned) reportTopologyLabelOverrides(ctx, clean, label);
    accepted.push(clean);
  });
  if (topology === null) return { jobs: accepted };
  let jobs = expandWildcardTargets(prefixJobNames(accepted, topology), hosts, topology);
  // The expanded jobs are fresh objects owned here: add the key in place (last, as Python does).
  if (opts.fallbackScrapeProtocol) for (const j of jobs) j.fallback_scrape_protocol = FALLBACK_PROTOCOL;
  jobs = dedupeJobNames(jobs);
  return { jobs: opts.compact ? compactUnitJobs(jobs) : jobs };
}

/**
 * Writes explicit targets that are bare IPv6 addresses in brackets: Prometheus adds its default
 * port only to `[fd00::3]`, and takes `fd00::3` for a host name it cannot reach. The job's
 * target lists were parsed from the bag in this call, so they are changed in place.
 */
function bracketIpv6Targets(job: ScrapeJob): void {
  const scs = job.static_configs;
  if (!Array.isArray(scs)) return;
  for (const sc of scs as { targets?: unknown }[]) {
    if (!Array.isArray(sc.targets)) continue;
    sc.targets = sc.targets.map((t) => (typeof t === "string" && isIP(t) === 6 ? `[${t}]` : t));
  }
}

/** The hosts of the remote units whose bags are usable; the others are reported and left out. */
function unitHosts(ctx: RelationCtx): Map<string, UnitHost> {
  return buildHostMap(ctx.rel.remoteUnitsData, (unit, bag) => {
    const r = readUnit(unit, bag, ctx.pinned, ctx.limits);
    if ("entry" in r) return r.entry;
    add(ctx, "jobs", `unit ${unit}: ${r.reason}; that unit is not scraped`);
    return undefined;
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

/** The scope of an aggregator's rule whose labels gave `key` (see {@link ruleTopologyKey}). */
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

/**
 * The scope of a pinned relation's rule: always the relation's verified topology, narrowed to one
 * unit when the rule is labelled with one of the application's units.
 */
function pinnedScope(labels: Record<string, unknown> | null, topology: JujuTopology): RuleScope {
  const unit = labels?.juju_unit;
  const matchers: Record<string, string> = { ...topology.alertExpressionDict() };
  if (typeof unit === "string" && isUnitOf(unit, topology.application)) matchers.juju_unit = unit;
  return { topo: topology, inject: topologyInjector(matchers) };
}

function relationRules(ctx: RelationCtx, topology: JujuTopology | null): RuleFile | undefined {
  const parsed = readJson(ctx, "alert_rules", "{}", "rules");
  if (!parsed.ok || !truthy(parsed.value)) return undefined;
  const doc = parsed.value;
  if (!isRecord(doc) || !Array.isArray(doc.groups)) {
    add(ctx, "rules", "'alert_rules' is not an object with a 'groups' list");
    return undefined;
  }
  const hints = ruleFileHints(ctx.rel.remoteAppData.alert_rules ?? "");
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
  // A pinned relation's file is named after its verified topology, as its honest rules are.
  let identifier: string | undefined = ctx.pinned ? topology?.identifier : undefined;
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
      if (typeof rule.expr === "string") rule.expr = stripTopologyPlaceholder(rule.expr);
      if (ctx.pinned && topology !== null) {
        for (const p of pinnedRuleProblems(rule, topology, hints))
          problems.push(`group ${gi} rule ${ri}: ${p}`);
        const key = typeof labels?.juju_unit === "string" ? labels.juju_unit : null;
        let found = scopes.get(key);
        if (found === undefined) {
          found = pinnedScope(labels, topology);
          scopes.set(key, found);
        }
        scope = found;
      } else if (last !== undefined && sameTopologyLabels(last.labels, labels)) scope = last.scope;
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
      if (identifier === undefined && ri === 0 && scope.topo && !ctx.pinned)
        identifier = scope.topo.identifier;
      if (typeof rule.expr !== "string") return;
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
  for (const p of validateGroups(groups, ctx.major)) problems.push(p);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join("; ");
    add(
      ctx,
      "rules",
      `invalid alert rule file: ${shown}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ""}`,
    );
    return undefined;
  }
  if (ctx.pinned && topology !== null) {
    for (const g of groups)
      for (const rule of (g as { rules: Record<string, unknown>[] }).rules) addTopologyLabels(rule, topology);
  }
  for (let i = 0; i < pendingRules.length; i++) {
    const rule = pendingRules[i]!;
    rule.expr = pendingInjectors[i]!(rule.expr as string);
  }
  const key = `${identifier}_${ctx.rel.endpoint}_${ctx.rel.id}`;
  return { name: `juju_${key}`, key, relationId: ctx.rel.id, groups: groups as Record<string, unknown>[] };
}

const SORTED_TOPOLOGY_LABELS = [...TOPOLOGY_LABELS].sort();

/**
 * A pinned job whose targets do not all carry every topology label (explicit targets matched to
 * no unit have no `juju_unit`; a relation without a charm name has no `juju_charm`) gets metric
 * relabel steps that move such a label, when a scraped series carries it, to `exported_<label>`,
 * as Prometheus does for labels the target sets: with `honor_labels: false` only labels the
 * target also has are protected, so an absent one could otherwise be set by the target.
 */
function guardTopologyLabels(job: ScrapeJob): void {
  const scs = (job.static_configs ?? []) as { labels?: Record<string, unknown> }[];
  let missing: string[] | undefined;
  for (const l of SORTED_TOPOLOGY_LABELS) {
    for (const sc of scs) {
      if (typeof sc.labels?.[l] === "string") continue;
      missing ??= [];
      missing.push(l);
      break;
    }
  }
  if (missing === undefined) return;
  const steps: Record<string, unknown>[] = [];
  for (const l of missing) {
    steps.push({
      source_labels: [l],
      regex: "(.+)",
      target_label: `exported_${l}`,
      replacement: "$1",
      action: "replace",
    });
  }
  steps.push({ regex: missing.join("|"), action: "labeldrop" });
  const own = Array.isArray(job.metric_relabel_configs) ? job.metric_relabel_configs : [];
  job.metric_relabel_configs = [...own, ...steps];
}

interface OwnedJob {
  readonly job: ScrapeJob;
  readonly relationId: number;
  readonly pinned: boolean;
}

/**
 * The Python library's global dedupe, except that a pinned relation's job name is never taken
 * from it: an aggregator's job with the name of a pinned relation's job is dropped when it is
 * the same job and renamed (`{name}_{sha256}`) otherwise. Pinned relations' names are prefixed
 * with their verified topology, so two of them only share names for the same application.
 */
function dedupeAcrossRelations(entries: readonly OwnedJob[]): OwnedJob[] {
  // Usually every relation is pinned: nothing to guard.
  if (entries.every((e) => e.pinned))
    return dedupeEntries(
      entries,
      (e) => e.job,
      (e, job) => ({ ...e, job }),
    );
  const pinnedNames = new Set<string>();
  for (const e of entries) if (e.pinned) pinnedNames.add(String(e.job.job_name));
  let pinnedHashes: Map<string, Set<string>> | undefined;
  const guarded: OwnedJob[] = [];
  for (const e of entries) {
    const name = String(e.job.job_name);
    if (e.pinned || !pinnedNames.has(name)) {
      guarded.push(e);
      continue;
    }
    // Rare (an aggregator forwarding a job of an application also related directly): hash then.
    if (pinnedHashes === undefined) {
      pinnedHashes = new Map();
      for (const p of entries) {
        if (!p.pinned) continue;
        const n = String(p.job.job_name);
        const set = pinnedHashes.get(n) ?? new Set<string>();
        set.add(jobHash(p.job));
        pinnedHashes.set(n, set);
      }
    }
    const h = jobHash(e.job);
    if (!pinnedHashes.get(name)?.has(h)) guarded.push({ ...e, job: { ...e.job, job_name: `${name}_${h}` } });
  }
  return dedupeEntries(
    guarded,
    (e) => e.job,
    (e, job) => ({ ...e, job }),
  );
}

/**
 * What {@link consume} derives from one relation on its own, before the dedupe across relations:
 * plain JSON, so a caller may keep it between hooks (see {@link ConsumeMemo}). Treat as read-only:
 * `consume` never changes a kept outcome, and returns copies of its jobs.
 */
export interface RelationOutcome {
  /** Relation trust, which decides `honor_labels` and the topology guard of its jobs. */
  readonly pinned: boolean;
  /** The relation's jobs, before the dedupe across relations. */
  readonly jobs: readonly ScrapeJob[];
  /** The relation's rule file, when it has valid rules. */
  readonly ruleFile?: RuleFile | undefined;
  /** What of the relation was not used, and why. */
  readonly rejected: readonly ConsumerRejection[];
  /** The `event` value to write back, when worth writing (see {@link ConsumerResult.feedback}). */
  readonly feedback?: string | undefined;
}

/**
 * Outcomes of relations kept between calls (by a charm, between hooks), so a relation whose
 * inputs did not change is neither parsed nor validated again. The key `consume` passes covers
 * everything an outcome depends on: the caller's digest of the relation's remote data
 * ({@link ConsumeCache.dataKey}), the relation's id, endpoint, remote application and model, the
 * `event` this unit last wrote, and every option. A lost entry only costs computing it again.
 */
export interface ConsumeMemo {
  /** The outcome kept for the relation under this key, if any. */
  get(relationId: number, key: string): RelationOutcome | undefined;
  /** Keeps a relation's outcome, computed in this call, under its key. */
  set(relationId: number, key: string, outcome: RelationOutcome): void;
}

/** Lets {@link consume} keep per-relation outcomes between calls. */
export interface ConsumeCache {
  /** Where outcomes are kept. */
  readonly memo: ConsumeMemo;
  /**
   * A digest of the relation's remote data (application name, application bag, every unit's
   * bag), e.g. the SDK's cached relation view's `digest`; `undefined` when unknown (the relation
   * is then computed and not kept).
   */
  dataKey(rel: ScrapeRelation): string | undefined;
}

/** Bumped whenever what an outcome holds, or how it is computed, changes. */
const OUTCOME_FORMAT = 1;

/**
 * The key under which {@link consume} keeps a relation's outcome in a {@link ConsumeMemo}: the
 * caller's digest of the relation's remote data plus everything else the outcome depends on (the
 * relation's id, endpoint, remote application and model, the `event` this unit last wrote, the
 * relation's trust and every option). Equal keys mean equal outcomes; callers that keep work
 * derived from an outcome can key it by this.
 */
export function relationOutcomeKey(rel: RelationHead, dataKey: string, opts: ConsumerOptions): string {
  const o = optionPart(opts);
  const pinned = rel.remoteApp === undefined || !o.trusted.has(rel.remoteApp);
  return outcomeKey(dataKey, rel, pinned, o.text);
}

/** What a relation's outcome key takes from it besides its remote data. */
export type RelationHead = Pick<
  ScrapeRelation,
  "id" | "endpoint" | "remoteApp" | "remoteModelUuid" | "localAppData"
>;

// The options' part of every key, made once per options object (a hook keys every relation).
const optionParts = new WeakMap<ConsumerOptions, { trusted: ReadonlySet<string>; text: string }>();

function optionPart(opts: ConsumerOptions): { trusted: ReadonlySet<string>; text: string } {
  let part = optionParts.get(opts);
  if (part === undefined) {
    const text = JSON.stringify([
      opts.prometheusMajor ?? 3,
      opts.model.name,
      opts.model.uuid,
      opts.fallbackScrapeProtocol === true,
      opts.compact === true,
      resolveLimits(opts.limits),
    ]);
    part = { trusted: new Set(opts.trustedAggregators ?? []), text };
    optionParts.set(opts, part);
  }
  return part;
}

function outcomeKey(dataKey: string, rel: RelationHead, pinned: boolean, options: string): string {
  const own = JSON.stringify([
    OUTCOME_FORMAT,
    dataKey,
    rel.id,
    rel.endpoint,
    rel.remoteApp ?? null,
    rel.remoteModelUuid ?? null,
    rel.localAppData?.event ?? null,
    pinned,
  ]);
  return `${own}${options}`;
}

/** One relation's jobs, rule file, rejections and feedback (the body of {@link consume}). */
function consumeRelation(
  rel: ScrapeRelation,
  app: string,
  pinned: boolean,
  limits: Limits,
  major: number,
  opts: ConsumerOptions,
): RelationOutcome {
  const rejected: ConsumerRejection[] = [];
  const unitCount = Object.keys(rel.remoteUnitsData).length;
  const ctx: RelationCtx = {
    rel,
    app,
    where: `relation ${rel.endpoint}:${rel.id} (${app})`,
    limits,
    pinned,
    major,
    rejected,
    jobErrors: [],
    ruleErrors: [],
  };
  let topology: JujuTopology | null | undefined;
  // Checked before any bag is read: every unit costs a job or a target.
  if (unitCount > limits.maxUnits)
    add(ctx, "relation", `${unitCount} units, over the limit maxUnits=${limits.maxUnits}`);
  else topology = readTopology(ctx, opts.model);
  let jobs: ScrapeJob[] = [];
  let ruleFile: RuleFile | undefined;
  if (topology !== undefined) {
    jobs = relationJobs(ctx, topology, opts).jobs;
    ruleFile = relationRules(ctx, topology);
  }
  const event: Record<string, string> = {};
  if (ctx.ruleErrors.length > 0) event.errors = ctx.ruleErrors.join(", ");
  if (ctx.jobErrors.length > 0) event.scrape_job_errors = ctx.jobErrors.join(", ");
  const value = pyJsonDumps(event);
  const previous = rel.localAppData?.event;
  const stale = previous !== undefined && previous !== value;
  const worth = ruleFile !== undefined || ctx.ruleErrors.length > 0 || ctx.jobErrors.length > 0 || stale;
  return { pinned, jobs, ruleFile, rejected, feedback: worth ? value : undefined };
}

/**
 * Builds the scrape jobs and rule files of all `metrics-endpoint` relations. Pure: same input,
 * same output, byte for byte. Relations are processed in id order and units in unit-number order.
 * With a {@link ConsumeCache}, relations whose inputs are unchanged take their kept outcome; the
 * result is the same as without.
 *
 * @example
 * const { jobs, ruleFiles, rejected, feedback } = consume(snapshots, {
 *   model: { name: model.name, uuid: model.uuid },
 *   trustedAggregators: ["cos-proxy"],
 *   fallbackScrapeProtocol: true,
 * });
 */
export function consume(
  relations: readonly ScrapeRelation[],
  opts: ConsumerOptions,
  cache?: ConsumeCache,
): ConsumerResult {
  const limits = resolveLimits(opts.limits);
  const trusted = new Set(opts.trustedAggregators ?? []);
  const major = opts.prometheusMajor ?? 3;
  const rejected: ConsumerRejection[] = [];
  const feedback = new Map<number, string>();
  const trust = new Map<number, RelationTrust>();
  const ruleFiles: RuleFile[] = [];
  const all: OwnedJob[] = [];
  const sorted = [...relations].sort((a, b) => a.id - b.id);
  for (const rel of sorted) {
    if (rel.remoteApp === undefined || isEmpty(rel.remoteUnitsData)) continue;
    const pinned = !trusted.has(rel.remoteApp);
    trust.set(rel.id, pinned ? "pinned" : "aggregator");
    const dataKey = cache?.dataKey(rel);
    const key = dataKey === undefined ? undefined : outcomeKey(dataKey, rel, pinned, optionPart(opts).text);
    let outcome = key === undefined ? undefined : cache!.memo.get(rel.id, key);
    if (outcome === undefined) {
      outcome = consumeRelation(rel, rel.remoteApp, pinned, limits, major, opts);
      if (key !== undefined) cache!.memo.set(rel.id, key, outcome);
    }
    for (const job of outcome.jobs) all.push({ job, relationId: rel.id, pinned });
    if (outcome.ruleFile) ruleFiles.push(outcome.ruleFile);
    rejected.push(...outcome.rejected);
    if (outcome.feedback !== undefined) feedback.set(rel.id, outcome.feedback);
  }
  const owned = dedupeAcrossRelations(all);
  // Set after dedupe: the Python library hashes jobs before the charm adds honor_labels, and the
  // renamed jobs' names must stay the Python ones. On a copy: an outcome may be kept for later.
  const jobs = owned.map((e) => {
    const job: ScrapeJob = { ...e.job, honor_labels: !e.pinned };
    if (e.pinned) guardTopologyLabels(job);
    return job;
  });
  return { jobs, jobRelations: owned.map((e) => e.relationId), ruleFiles, rejected, feedback, trust };
}

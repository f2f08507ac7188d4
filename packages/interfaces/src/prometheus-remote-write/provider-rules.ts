/**
 * The alert rules remote-write clients forward to Prometheus (`PrometheusRemoteWriteProvider.alerts`,
 * LIBPATCH 15), as rule files plus the `event` feedback the leader writes back.
 *
 * Clients are aggregators (grafana-agent, opentelemetry-collector forward the rules of everything
 * they collect), so rules are scoped by their own labels, as the Python library does:
 * - a rule labelled with `juju_model`, `juju_model_uuid` and `juju_application` gets those three
 *   injected into its expression;
 * - the file is named after the topology of the first group whose first rule is labelled so;
 *   failing that, after the client's `scrape_metadata` (every rule then gets whichever of its own
 *   `juju_*` labels it has injected, unit and charm included); failing that, after the first group;
 * - the key is that identifier alone (`juju_<identifier>.rules`), without the relation suffix of
 *   metrics-endpoint files; two relations with the same identifier share one file, the later wins.
 *
 * Differences, all refusing instead of crashing the hook: malformed JSON, a bad UUID in labels or
 * metadata, and rules Prometheus would refuse reject that relation's file only, with the reason in
 * `event.errors`; `%%juju_topology%%` is stripped from every rule; the size bounds of limits.ts
 * apply.
 */
import type { RelationSnapshot } from "@charmkit/ops";
import { pyJsonDumps } from "../common/pyjson.js";
import { isRecord, parseJsonValue, type Rejection, reject } from "../common/result.js";
import { type Limits, resolveLimits, utf8Bytes } from "../prometheus-scrape/limits.js";
import { stripTopologyPlaceholder, topologyInjector, validateGroups } from "../prometheus-scrape/promql.js";
import { JujuTopology, TopologyError } from "../prometheus-scrape/topology.js";

/** One rule file: `/etc/prometheus/rules/juju_<key>.rules`. */
export interface RemoteWriteRuleFile {
  /** The topology identifier (or group name) the Python library keys the file by. */
  readonly key: string;
  readonly relationId: number;
  readonly groups: Record<string, unknown>[];
}

/** Everything the remote-write clients' rules give. */
export interface RemoteWriteRulesResult {
  readonly ruleFiles: RemoteWriteRuleFile[];
  readonly rejected: Rejection[];
  /**
   * Relation id to the `event` value the leader writes back: the previous `event` with `errors`
   * set or removed, other keys kept. Only relations that sent rules (or carry stale errors) appear.
   */
  readonly feedback: Map<number, string>;
}

const LABEL_KEYS = ["juju_model", "juju_model_uuid", "juju_application", "juju_charm", "juju_unit"] as const;

/** A rule labelled with model, uuid and application: its topology; throws on a bad UUID. */
function labelTopology(labels: unknown): JujuTopology | undefined {
  if (!isRecord(labels)) return undefined;
  const {
    juju_model: m,
    juju_model_uuid: u,
    juju_application: a,
    juju_unit: unit,
    juju_charm: charm,
  } = labels;
  if (typeof m !== "string" || typeof u !== "string" || typeof a !== "string") return undefined;
  return new JujuTopology(
    m,
    u,
    a,
    typeof unit === "string" ? unit : "",
    typeof charm === "string" ? charm : "",
  );
}

function eventWith(previous: string | undefined, errors: string | undefined): string {
  const p = previous === undefined ? undefined : parseJsonValue("event", previous);
  const data: Record<string, unknown> = p?.ok && isRecord(p.value) ? { ...p.value } : {};
  delete data.errors;
  if (errors !== undefined) data.errors = errors;
  return pyJsonDumps(data as never);
}

type FileResult =
  | { file: { key: string; groups: Record<string, unknown>[] } }
  | { error: string }
  | undefined;

function relationFile(rel: RelationSnapshot, limits: Limits): FileResult {
  const raw = rel.remoteAppData.alert_rules ?? "{}";
  if (utf8Bytes(raw) > limits.maxValueBytes)
    return {
      error: `'alert_rules' is ${utf8Bytes(raw)} bytes, over the limit maxValueBytes=${limits.maxValueBytes}`,
    };
  const parsed = parseJsonValue("alert_rules", raw);
  if (!parsed.ok) return { error: parsed.error };
  const doc = parsed.value;
  // Python skips falsy values (`{}`, `[]`, `""`, `null`, `0`).
  if (!doc || (isRecord(doc) && Object.keys(doc).length === 0) || (Array.isArray(doc) && doc.length === 0))
    return undefined;
  if (!isRecord(doc) || !Array.isArray(doc.groups))
    return { error: "'alert_rules' is not an object with a 'groups' list" };
  const groups = doc.groups as unknown[];
  if (groups.length > limits.maxGroups)
    return {
      error: `'alert_rules' has ${groups.length} groups, over the limit maxGroups=${limits.maxGroups}`,
    };
  let ruleCount = 0;
  for (const g of groups) if (isRecord(g) && Array.isArray(g.rules)) ruleCount += g.rules.length;
  if (ruleCount > limits.maxRules)
    return { error: `'alert_rules' has ${ruleCount} rules, over the limit maxRules=${limits.maxRules}` };

  const rules: Record<string, unknown>[] = [];
  let identifier: string | undefined;
  try {
    for (const g of groups) {
      if (!isRecord(g) || !Array.isArray(g.rules)) continue;
      g.rules.forEach((rule, ri) => {
        if (!isRecord(rule)) return;
        rules.push(rule);
        if (typeof rule.expr === "string") rule.expr = stripTopologyPlaceholder(rule.expr);
        const topo = labelTopology(rule.labels);
        if (topo && identifier === undefined && ri === 0) identifier = topo.identifier;
        if (topo && typeof rule.expr === "string")
          rule.expr = topologyInjector(topo.alertExpressionDict())(rule.expr);
      });
    }
  } catch (e) {
    if (e instanceof TopologyError) return { error: `a rule's labels: ${e.message}` };
    // An expression that does not parse: validateGroups below names it.
    if (!(e instanceof Error && e.name === "PromQLError")) throw e;
  }

  if (identifier === undefined && rel.remoteAppData.scrape_metadata) {
    const meta = parseJsonValue("scrape_metadata", rel.remoteAppData.scrape_metadata);
    if (!meta.ok) return { error: meta.error };
    try {
      identifier = JujuTopology.fromDict(meta.value).identifier;
    } catch (e) {
      if (!(e instanceof TopologyError)) throw e;
      return { error: e.message };
    }
    // apply_label_matchers: every rule gets its own juju_* labels injected, unit and charm too.
    for (const rule of rules) {
      if (!isRecord(rule.labels) || typeof rule.expr !== "string") continue;
      const matchers: Record<string, string> = {};
      for (const k of LABEL_KEYS)
        if (typeof rule.labels[k] === "string") matchers[k] = rule.labels[k] as string;
      if (Object.keys(matchers).length === 0) continue;
      try {
        rule.expr = topologyInjector(matchers)(rule.expr);
      } catch (e) {
        if (!(e instanceof Error && e.name === "PromQLError")) throw e;
      }
    }
  }
  if (identifier === undefined) {
    const first = groups[0];
    if (isRecord(first) && typeof first.name === "string" && first.name !== "") identifier = first.name;
  }
  if (identifier === undefined)
    return { error: "alert rules were found but no usable group or identifier was present" };
  const problems = validateGroups(groups);
  if (problems.length > 0) return { error: `invalid alert rule file: ${problems.join("; ")}` };
  return { file: { key: identifier, groups: groups as Record<string, unknown>[] } };
}

/**
 * The rule files of every `receive-remote-write` relation, in relation-id order. Relations without
 * units (or in `-broken`) and without rules are skipped, as in Python.
 */
export function remoteWriteRules(
  relations: readonly RelationSnapshot[],
  opts: { limits?: Partial<Limits> } = {},
): RemoteWriteRulesResult {
  const limits = resolveLimits(opts.limits);
  const byKey = new Map<string, RemoteWriteRuleFile>();
  const rejected: Rejection[] = [];
  const feedback = new Map<number, string>();
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    if (rel.remoteApp === undefined || Object.keys(rel.remoteUnitsData).length === 0) continue;
    const previous = rel.localAppData?.event;
    const r = relationFile(rel, limits);
    if (r === undefined) {
      // No rules: nothing to say, except that errors reported earlier no longer hold.
      const stale = eventWith(previous, undefined);
      if (previous !== undefined && stale !== previous) feedback.set(rel.id, stale);
      continue;
    }
    if ("error" in r) {
      rejected.push(reject(rel.id, `relation ${rel.endpoint}:${rel.id} (${rel.remoteApp}): ${r.error}`));
      feedback.set(rel.id, eventWith(previous, r.error));
      continue;
    }
    const shadowed = byKey.get(r.file.key);
    if (shadowed) {
      rejected.push(
        reject(
          shadowed.relationId,
          `rules keyed ${JSON.stringify(r.file.key)} are replaced by those of relation ${rel.endpoint}:${rel.id} (${rel.remoteApp}), which have the same topology`,
        ),
      );
    }
    byKey.set(r.file.key, { key: r.file.key, relationId: rel.id, groups: r.file.groups });
    feedback.set(rel.id, eventWith(previous, undefined));
  }
  return { ruleFiles: [...byKey.values()], rejected, feedback };
}

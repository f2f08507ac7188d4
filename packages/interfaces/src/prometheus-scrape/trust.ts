/**
 * Who a `metrics-endpoint` relation may speak for, and the checks that hold it to that.
 *
 * Juju vouches for a few facts about every relation: the remote application's name (as this model
 * knows it), its units (`relation-list`), and the model it lives in (this one, or for a
 * cross-model relation the uuid `relation-model-get` reports). Everything else in the bags is the
 * remote charm's claim. A relation is either
 * - **pinned** (the default): its topology is those facts, and any claim that disagrees
 *   (`scrape_metadata`, a unit's `prometheus_scrape_unit_name`, `juju_*` labels on targets or
 *   rules, expressions that create `juju_*` labels or query outside their scope) is rejected with
 *   the reason, never believed; or
 * - an **aggregator**, named by the operator (the charm's `trusted_aggregators` option): it may
 *   speak for other applications, as cos-proxy and prometheus-scrape-config do, and is read the
 *   way the Python library reads every relation.
 * SECURITY.md states the rules; this module implements them for consumer.ts.
 */
import { isIP } from "node:net";
import type { Limits } from "./limits.js";
import { expressionFacts, PromQLError } from "./promql.js";
import { checkTemplate } from "./templates.js";
import { JujuTopology, TopologyError } from "./topology.js";
import type { UnitEntry } from "./jobs.js";

/** This model, as Juju describes it to the charm (`JUJU_MODEL_NAME`, `JUJU_MODEL_UUID`). */
export interface LocalModel {
  readonly name: string;
  readonly uuid: string;
}

/** How a relation's data is read: held to what Juju vouches for, or trusted to speak for others. */
export type RelationTrust = "pinned" | "aggregator";

/** What Juju vouches for about one relation. */
export interface VerifiedRelation {
  /** The remote application as this model knows it (an offer's local name across models). */
  readonly app: string;
  /** The remote side's model uuid: ours, or `relation-model-get`'s for a cross-model relation. */
  readonly modelUuid: string;
  readonly crossModel: boolean;
}

/** The outcome of holding `scrape_metadata` to the facts: a topology, or why not. */
export type PinnedTopology = { readonly topology: JujuTopology } | { readonly reason: string };

// Juju's own name rules, loosened only where Juju has changed them over time.
const MODEL_NAME = /^[a-z0-9][a-z0-9-]*$/;
const CHARM_NAME = /^[a-z0-9][a-z0-9-]*$/;
const UNIT_NAME = /^[a-z0-9][a-z0-9-]*\/\d+$/;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
// A unit's path prefix (from the provider's external URL): empty, or an absolute path.
const UNIT_PATH = /^(?:\/[^\s?#\u0000-\u001f\u007f]*)?$/;
/** Series Prometheus itself writes; a pinned relation's recording rule may not forge them. */
const RESERVED_SERIES = /^(?:up|ALERTS|ALERTS_FOR_STATE|scrape_.*)$/;
const EXPR_SCOPE_LABELS = new Set(["juju_model", "juju_model_uuid", "juju_application"]);
const MINTING = /label_replace|label_join|count_values|absent/;

const hint = (app: string) =>
  `if '${app}' forwards other applications' metrics (cos-proxy, prometheus-scrape-config...), name it in the trusted_aggregators option`;

/** True for `name/N`, a unit of application `app`. */
export function isUnitOf(unit: string, app: string): boolean {
  return unit.startsWith(`${app}/`) && /^\d+$/.test(unit.slice(app.length + 1));
}

/** True for a Juju unit name (`app/N`). */
export function isUnitName(unit: string): boolean {
  return UNIT_NAME.test(unit);
}

/**
 * The topology of a pinned relation: the facts Juju gives, with the remote charm's
 * `scrape_metadata` (parsed, `null` when absent) checked against them. Without metadata the
 * facts alone make the topology, except across models, where the remote model's name is known
 * only from the metadata (Juju's hook tools do not give it).
 */
export function pinTopology(meta: unknown, facts: VerifiedRelation, local: LocalModel): PinnedTopology {
  if (meta === null) {
    if (facts.crossModel) {
      return {
        reason: `cross-model relation without 'scrape_metadata': the remote model's name is unknown to Juju's hook tools, so its topology cannot be built; ${hint(facts.app)}`,
      };
    }
    try {
      return { topology: new JujuTopology(local.name, facts.modelUuid, facts.app) };
    } catch (e) {
      return { reason: (e as Error).message };
    }
  }
  let claimed: JujuTopology;
  try {
    claimed = JujuTopology.fromDict(meta);
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    const field = e.field === "scrape_metadata" ? "" : `field '${e.field}' `;
    return { reason: `'scrape_metadata' ${field}is unusable: ${e.message}` };
  }
  const disagree: string[] = [];
  if (claimed.modelUuid !== facts.modelUuid) {
    disagree.push(
      `model_uuid '${claimed.modelUuid}' is not the uuid of the model the relation comes from (${facts.modelUuid}${facts.crossModel ? ", from relation-model-get" : ", this model"})`,
    );
  }
  if (!facts.crossModel && claimed.model !== local.name)
    disagree.push(`model '${claimed.model}' is not this model ('${local.name}')`);
  if (facts.crossModel && !MODEL_NAME.test(claimed.model))
    disagree.push(`model ${JSON.stringify(claimed.model)} is not a Juju model name`);
  if (claimed.application !== facts.app) {
    disagree.push(
      facts.crossModel
        ? `application '${claimed.application}' is not the remote application as this model knows it ('${facts.app}'); consume the offer under the application's own name (juju consume <offer-url> ${claimed.application}), or ${hint(facts.app)}`
        : `application '${claimed.application}' is not the related application '${facts.app}'; ${hint(facts.app)}`,
    );
  }
  if (claimed.unit !== "" && !isUnitOf(claimed.unit, facts.app))
    disagree.push(`unit '${claimed.unit}' is not a unit of '${facts.app}'`);
  if (claimed.charmName !== "" && !CHARM_NAME.test(claimed.charmName))
    disagree.push(`charm_name ${JSON.stringify(claimed.charmName)} is not a charm name`);
  if (disagree.length > 0) return { reason: `'scrape_metadata' disagrees with Juju: ${disagree.join("; ")}` };
  return { topology: claimed };
}

/** A unit bag read for the host map, or why that unit is left out. */
export type UnitReading = { readonly entry: UnitEntry | undefined } | { readonly reason: string };

const UNIT_KEYS = [
  "prometheus_scrape_unit_address",
  "prometheus_scrape_host",
  "prometheus_scrape_unit_name",
  "prometheus_scrape_unit_path",
  "prometheus_scrape_unit_fqdn",
] as const;

/** True for what a unit may give as the address Prometheus scrapes: a host name or an IP address. */
export function isScrapeHost(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) return bare === host || isIP(bare) === 6;
  return host.length <= 253 && HOST_NAME.test(host);
}

/**
 * Reads one unit bag: every value bounded before it is used, the address a host name or an IP
 * address (IPv6 kept without brackets; targets add them), the path an absolute path. A pinned
 * relation's unit is named what Juju calls it, and a bag that claims another name is refused; an
 * aggregator's unit takes the name its bag gives, as in Python, when it is a unit name.
 * `entry: undefined` is a unit without an address (not scraped, nothing wrong).
 */
export function readUnit(
  unit: string,
  bag: Readonly<Record<string, string>>,
  pinned: boolean,
  limits: Limits,
): UnitReading {
  for (const k of UNIT_KEYS) {
    const v = bag[k];
    // UTF-8 takes at most 3 bytes per UTF-16 unit, so short values need no counting.
    if (
      v !== undefined &&
      v.length > limits.maxUnitValueBytes / 3 &&
      Buffer.byteLength(v) > limits.maxUnitValueBytes
    )
      return {
        reason: `${k} is ${Buffer.byteLength(v)} bytes, over the limit maxUnitValueBytes=${limits.maxUnitValueBytes}`,
      };
  }
  let address = bag.prometheus_scrape_unit_address || bag.prometheus_scrape_host || "";
  if (address === "") return { entry: undefined };
  if (!isScrapeHost(address))
    return { reason: `address ${JSON.stringify(address.slice(0, 100))} is not a host name or IP address` };
  if (address.startsWith("[")) address = address.slice(1, -1);
  const claimed = bag.prometheus_scrape_unit_name || "";
  let name = unit;
  if (pinned) {
    if (claimed !== "" && claimed !== unit)
      return {
        reason: `prometheus_scrape_unit_name ${JSON.stringify(claimed.slice(0, 100))} is not the unit's name ('${unit}')`,
      };
  } else if (claimed !== "") {
    if (!UNIT_NAME.test(claimed))
      return {
        reason: `prometheus_scrape_unit_name ${JSON.stringify(claimed.slice(0, 100))} is not a unit name`,
      };
    name = claimed;
  }
  const path = bag.prometheus_scrape_unit_path ?? "";
  if (!UNIT_PATH.test(path))
    return {
      reason: `prometheus_scrape_unit_path ${JSON.stringify(path.slice(0, 100))} is not an absolute URL path`,
    };
  let fqdn = bag.prometheus_scrape_unit_fqdn ?? "";
  // Only used to recognise the unit's explicit targets: an unusable one is simply not used.
  if (fqdn !== "" && !isScrapeHost(fqdn)) fqdn = "";
  return { entry: { name, address, path, fqdn } };
}

/**
 * Why the static labels of a pinned relation's job do not fit its topology: `juju_*` labels are
 * the consumer's; one equal to the topology's own value is redundant and allowed.
 */
export function staticLabelProblems(staticConfigs: unknown, topology: JujuTopology, app: string): string[] {
  if (!Array.isArray(staticConfigs)) return [];
  const own: Record<string, string> = { ...topology.labelMatcherDict() };
  const problems: string[] = [];
  staticConfigs.forEach((sc, i) => {
    const labels = (sc as { labels?: unknown } | null)?.labels;
    if (typeof labels !== "object" || labels === null || Array.isArray(labels)) return;
    for (const [k, v] of Object.entries(labels)) {
      if (!k.startsWith("juju_") || own[k] === v) continue;
      problems.push(
        `static_configs[${i}].labels.${k}=${JSON.stringify(v)} is not this relation's topology; ${hint(app)}`,
      );
    }
  });
  return problems;
}

/**
 * Why a pinned relation's rule does not stay within its topology, for one rule: its `juju_*`
 * labels must be the topology's (a unit label one of the application's units), its expression
 * may not create `juju_*` labels (label_replace, label_join, count_values, absent() of another
 * unit), a recording rule may not forge Prometheus' own series, and its templates may not run
 * queries. Missing model, uuid and application labels are added, so every alert and recorded
 * series carries the topology the expression was scoped to.
 */
export function pinnedRuleProblems(
  rule: Record<string, unknown>,
  topology: JujuTopology,
  hints: RuleFileHints = ALL_CHECKS,
): string[] {
  const problems: string[] = [];
  const app = topology.application;
  const own = ownRuleLabels(topology);
  const labels = rule.labels;
  if (typeof labels === "object" && labels !== null && !Array.isArray(labels)) {
    for (const k in labels) {
      if (!k.startsWith("juju_")) continue;
      const v = (labels as Record<string, unknown>)[k];
      if (k === "juju_unit") {
        if (typeof v !== "string" || !isUnitOf(v, app))
          problems.push(`label juju_unit=${JSON.stringify(v)} is not a unit of '${app}'`);
      } else if (own[k] !== v) {
        problems.push(
          `label ${k}=${JSON.stringify(v)} is not this relation's topology (${k}=${JSON.stringify(own[k] ?? "")})`,
        );
      }
    }
  }
  if (typeof rule.record === "string" && RESERVED_SERIES.test(rule.record))
    problems.push(`recording rule may not write '${rule.record}', a series Prometheus itself writes`);
  // Only these functions create labels; most expressions use none of them, and a substring test
  // is cheaper than looking the expression's parse up.
  if (hints.minting && typeof rule.expr === "string" && MINTING.test(rule.expr)) {
    try {
      // The consumer has stripped `%%juju_topology%%` already.
      const facts = expressionFacts(rule.expr);
      for (const l of facts.mintedLabels)
        if (l.startsWith("juju_"))
          problems.push(`expression sets label '${l}' (juju_* labels are the topology's)`);
      for (const [l, v] of facts.absentLabels) {
        if (!l.startsWith("juju_") || EXPR_SCOPE_LABELS.has(l)) continue;
        const ok = l === "juju_unit" ? isUnitOf(v, app) : own[l] === v;
        if (!ok)
          problems.push(
            `absent() would create series with ${l}=${JSON.stringify(v)}, outside this relation's topology`,
          );
      }
    } catch (e) {
      // Invalid PromQL is reported by the validation of the whole file.
      if (!(e instanceof PromQLError)) throw e;
    }
  }
  if (hints.templates && rule.alert !== undefined) {
    for (const what of ["labels", "annotations"] as const) {
      const m = rule[what];
      if (typeof m !== "object" || m === null || Array.isArray(m)) continue;
      for (const k in m) {
        const v = (m as Record<string, unknown>)[k];
        if (typeof v === "string" && v.includes("{{") && checkTemplate(v).functions.has("query"))
          problems.push(
            `${what === "labels" ? "label" : "annotation"} '${k}' runs a query; templates may not query outside the rule's topology`,
          );
      }
    }
  }
  return problems;
}

const ownLabelsOf = new WeakMap<JujuTopology, Readonly<Record<string, string>>>();

/** The `juju_*` values a pinned rule may carry: the topology's, its charm's name if it has one. */
function ownRuleLabels(topology: JujuTopology): Readonly<Record<string, string>> {
  let own = ownLabelsOf.get(topology);
  if (own === undefined) {
    const o: Record<string, string> = topology.alertExpressionDict();
    if (topology.charmName !== "") o.juju_charm = topology.charmName;
    own = Object.freeze(o);
    ownLabelsOf.set(topology, own);
  }
  return own;
}

/** What a rule file's JSON text shows can be skipped for all its rules. */
export interface RuleFileHints {
  /** The text holds a function that creates labels. */
  readonly minting: boolean;
  /** The text holds a template action. */
  readonly templates: boolean;
}

const ALL_CHECKS: RuleFileHints = Object.freeze({ minting: true, templates: true });

/** The {@link RuleFileHints} of a rule file from its JSON text (one scan instead of one per rule). */
export function ruleFileHints(json: string): RuleFileHints {
  return { minting: MINTING.test(json), templates: json.includes("{{") };
}

/** Adds the topology's model, uuid and application labels a pinned rule lacks (in place). */
export function addTopologyLabels(rule: Record<string, unknown>, topology: JujuTopology): void {
  const labels =
    typeof rule.labels === "object" && rule.labels !== null && !Array.isArray(rule.labels)
      ? (rule.labels as Record<string, unknown>)
      : {};
  const own = ownRuleLabels(topology);
  for (const k of ["juju_model", "juju_model_uuid", "juju_application"])
    if (!(k in labels) && own[k] !== undefined) labels[k] = own[k];
  rule.labels = labels;
}

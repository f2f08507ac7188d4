/**
 * Which topology labels a scraped series or a rule's output can end up with, judged from the
 * written config alone, and whether each is one of the relation's true values.
 *
 * A scrape job is followed the way Prometheus processes it (scrape/target.go and
 * model/relabel/relabel.go in prometheus/prometheus): static labels, then `relabel_configs` on the
 * target labels, then the scrape itself (with honor_labels false a target's own label is renamed
 * exported_* only when the target already has that label; an absent or empty target label is
 * filled by whatever the target exposes), then `metric_relabel_configs` on every series. Each
 * topology label is tracked as the set of values it may hold: a known string, ABSENT, or UNKNOWN
 * (chosen by the target or by a relabel step that cannot be evaluated here). Any regex outside a
 * small subset that RE2 and JavaScript read the same way counts as "may match".
 */
import type { Truth } from "./corpus.js";

/** The labels Juju vouches for (juju_charm is not: it comes from the relation's own claim). */
export const TOPOLOGY_LABELS = ["juju_model", "juju_model_uuid", "juju_application", "juju_unit"] as const;
type TopoLabel = (typeof TOPOLOGY_LABELS)[number];

const ABSENT = Symbol("absent");
const UNKNOWN = Symbol("unknown");
type Val = string | typeof ABSENT | typeof UNKNOWN;
type LabelState = Map<TopoLabel, Set<Val>>;

function isTopo(name: string): name is TopoLabel {
  return (TOPOLOGY_LABELS as readonly string[]).includes(name);
}

/** Whether `value` is one of the relation's true values for topology label `label`. */
export function allowedValue(t: Truth, label: TopoLabel, value: string): boolean {
  if (label === "juju_model") return t.model === undefined || value === t.model;
  if (label === "juju_model_uuid") return value === t.uuid;
  if (label === "juju_application") return value === t.app;
  return t.units.has(value);
}

// Regexes in this subset mean the same to RE2 and to JavaScript, so JavaScript may judge them.
const PORTABLE_REGEX = /^[A-Za-z0-9_.*+?|()[\]^$-]*$/;

/** Does Prometheus' fully anchored `regex` match `name`? "maybe" when it cannot be judged here. */
export function regexMatches(regex: string, name: string): "yes" | "no" | "maybe" {
  if (!PORTABLE_REGEX.test(regex) || regex.includes("(?") || regex.includes("[:")) return "maybe";
  try {
    return new RegExp(`^(?:${regex})$`).test(name) ? "yes" : "no";
  } catch {
    return "maybe";
  }
}

/** Replacements that copy the whole match of `(.*)`: `$1` and its braced form. */
const COPY_GROUP_1 = new Set(["$1", `$${"{"}1}`]);

function alwaysMatches(regex: unknown): boolean {
  return regex === undefined || regex === null || regex === "(.*)" || regex === ".*";
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
}

function setAll(state: LabelState, v: Val): void {
  for (const l of TOPOLOGY_LABELS) state.get(l)?.add(v);
}

/** Applies one relabel config to the possible values of the topology labels. */
function relabel(state: LabelState, cfg: unknown): void {
  if (typeof cfg !== "object" || cfg === null) return;
  const c = cfg as Record<string, unknown>;
  const action = (str(c.action) ?? "replace").toLowerCase();
  const target = str(c.target_label);
  const regex = c.regex === undefined || c.regex === null ? "(.*)" : (str(c.regex) ?? "\u0000");
  const replacement =
    c.replacement === undefined || c.replacement === null ? "$1" : (str(c.replacement) ?? "");
  const sources = Array.isArray(c.source_labels) ? c.source_labels.map((x) => String(x)) : [];
  switch (action) {
    case "keep":
    case "drop":
    case "keepequal":
    case "dropequal":
      return;
    case "replace": {
      if (target === undefined) return;
      if (target.includes("$")) {
        setAll(state, UNKNOWN);
        return;
      }
      if (!isTopo(target)) return;
      let next: Set<Val>;
      if (!replacement.includes("$")) next = new Set([replacement === "" ? ABSENT : replacement]);
      else if (
        (regex === "(.*)" || c.regex === undefined) &&
        COPY_GROUP_1.has(replacement) &&
        sources.length === 1 &&
        isTopo(sources[0] as string)
      )
        next = new Set(state.get(sources[0] as TopoLabel));
      else next = new Set([UNKNOWN]);
      const cur = state.get(target) as Set<Val>;
      if (alwaysMatches(c.regex)) state.set(target, next);
      else for (const v of next) cur.add(v);
      return;
    }
    case "lowercase":
    case "uppercase":
    case "hashmod":
      // These always write the target label (no regex gate): what it held before is gone.
      if (target !== undefined && isTopo(target)) state.set(target, new Set([UNKNOWN]));
      return;
    case "labelmap":
      if (replacement.includes("$")) setAll(state, UNKNOWN);
      else if (isTopo(replacement)) state.get(replacement)?.add(UNKNOWN);
      return;
    case "labeldrop":
    case "labelkeep":
      for (const l of TOPOLOGY_LABELS) {
        const m = regexMatches(regex, l);
        const dropped = action === "labeldrop" ? m : m === "yes" ? "no" : m === "no" ? "yes" : "maybe";
        if (dropped === "yes") state.set(l, new Set([ABSENT]));
        else if (dropped === "maybe") state.get(l)?.add(ABSENT);
      }
      return;
    default:
      setAll(state, UNKNOWN);
  }
}

/** yaml.v2's YAML 1.1 spellings of true. */
const TRUE_WORDS = new Set(["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"]);

/** honor_labels as Prometheus reads it (a boolean from JSON, or YAML text). */
export function honorsLabels(job: Record<string, unknown>): boolean {
  const v = job.honor_labels;
  return v === true || (typeof v === "string" && TRUE_WORDS.has(v));
}

/** The target groups of a job: [targets, labels] pairs (anything malformed is skipped). */
export function targetGroups(
  job: Record<string, unknown>,
): { targets: string[]; labels: Record<string, unknown> }[] {
  const scs = Array.isArray(job.static_configs) ? job.static_configs : [];
  return scs.flatMap((sc) => {
    if (typeof sc !== "object" || sc === null) return [];
    const s = sc as Record<string, unknown>;
    const targets = Array.isArray(s.targets) ? s.targets.map((x) => String(x)) : [];
    const labels =
      typeof s.labels === "object" && s.labels !== null ? (s.labels as Record<string, unknown>) : {};
    return [{ targets, labels }];
  });
}

/** A target with two or more colons that is not `[address]` or `[address]:port`. */
export function unbracketedIpv6(target: string): boolean {
  const colons = target.split(":").length - 1;
  return colons >= 2 && !/^\[[^[\]]+\](:\d+)?$/.test(target);
}

function describe(v: Val): string {
  return v === ABSENT
    ? "absent"
    : v === UNKNOWN
      ? "a value the target or a relabel step chooses"
      : JSON.stringify(v);
}

/**
 * Why series scraped by `job` could carry topology labels other than `t`'s true ones (empty when
 * they cannot). Also flags honor_labels and service discovery, which the checks cannot follow.
 */
export function jobTopologyViolations(job: Record<string, unknown>, t: Truth): string[] {
  const out: string[] = [];
  const name = JSON.stringify(String(job.job_name)).slice(0, 120);
  if (honorsLabels(job)) out.push(`job ${name}: honor_labels is true for untrusted relation ${t.id}`);
  for (const k of Object.keys(job))
    if (k.endsWith("_sd_configs"))
      out.push(`job ${name}: ${k} (targets and labels the relation does not state)`);
  const relabels = Array.isArray(job.relabel_configs) ? job.relabel_configs : [];
  const metricRelabels = Array.isArray(job.metric_relabel_configs) ? job.metric_relabel_configs : [];
  const seen = new Set<string>();
  for (const g of targetGroups(job)) {
    if (g.targets.length === 0) continue;
    const state: LabelState = new Map();
    for (const l of TOPOLOGY_LABELS) {
      const v = g.labels[l];
      const s = v === undefined || v === null ? "" : String(v);
      state.set(l, new Set([s === "" ? ABSENT : s]));
    }
    for (const cfg of relabels) relabel(state, cfg);
    // The scrape: a label the target does not have after relabelling is the target's to set.
    for (const l of TOPOLOGY_LABELS) {
      const vals = state.get(l) as Set<Val>;
      if (vals.has(ABSENT) || vals.has("")) vals.add(UNKNOWN);
    }
    for (const cfg of metricRelabels) relabel(state, cfg);
    for (const l of TOPOLOGY_LABELS) {
      for (const v of state.get(l) as Set<Val>) {
        if (v === ABSENT || (typeof v === "string" && (v === "" || allowedValue(t, l, v)))) continue;
        const msg = `job ${name}: a scraped series can carry ${l}=${describe(v)} (relation ${t.id} is ${l === "juju_unit" ? [...t.units].slice(0, 3).join("|") : l === "juju_application" ? t.app : l === "juju_model_uuid" ? t.uuid : t.model})`;
        if (!seen.has(msg)) out.push(msg);
        seen.add(msg);
      }
    }
  }
  return out.slice(0, 20);
}

const TEMPLATE_ACTION = /\{\{([\s\S]*?)\}\}/g;

/** Whether a Go template text calls `query` (the only template function that reads the TSDB). */
export function templateQueries(text: string): boolean {
  for (const m of text.matchAll(TEMPLATE_ACTION)) if (/\bquery\b/.test(m[1] ?? "")) return true;
  return false;
}

/**
 * What a rule states about its output that breaks the relation's topology: topology labels that
 * are templated or not its own, and templates that query other series.
 */
export function ruleStaticViolations(rule: Record<string, unknown>, t: Truth): string[] {
  const out: string[] = [];
  const name = JSON.stringify(String(rule.alert ?? rule.record)).slice(0, 80);
  const labels =
    typeof rule.labels === "object" && rule.labels !== null ? (rule.labels as Record<string, unknown>) : {};
  for (const l of TOPOLOGY_LABELS) {
    const v = labels[l];
    if (v === undefined || v === null) continue;
    const s = String(v);
    if (s.includes("{{"))
      out.push(`rule ${name}: label ${l} is a template (${JSON.stringify(s).slice(0, 80)})`);
    else if (s !== "" && !allowedValue(t, l, s))
      out.push(`rule ${name}: label ${l}=${JSON.stringify(s)} is not relation ${t.id}'s`);
  }
  for (const field of ["labels", "annotations"] as const) {
    const m = rule[field];
    if (typeof m !== "object" || m === null) continue;
    for (const [k, v] of Object.entries(m as Record<string, unknown>))
      if (typeof v === "string" && templateQueries(v))
        out.push(`rule ${name}: ${field}.${k} runs a query template`);
  }
  return out;
}

/** Every rule of a rules file (`{groups: [{rules: [...]}]}`), skipping malformed parts. */
export function rulesOf(file: unknown): Record<string, unknown>[] {
  if (typeof file !== "object" || file === null) return [];
  const groups = (file as Record<string, unknown>).groups;
  if (!Array.isArray(groups)) return [];
  return groups.flatMap((g) => {
    if (typeof g !== "object" || g === null) return [];
    const rules = (g as Record<string, unknown>).rules;
    return Array.isArray(rules)
      ? rules.filter((r): r is Record<string, unknown> => typeof r === "object" && r !== null)
      : [];
  });
}

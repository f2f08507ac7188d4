/**
 * Alert rules on the provider side of prometheus_scrape (cosl `Rules` / `AlertRules`).
 *
 * A charm ships rule files in a directory; the provider reads them, names every group after its own
 * topology and sub-directory, labels every rule with the topology, injects topology matchers into
 * every expression, adds the generic `HostHealth` group, and publishes the result as `alert_rules`.
 * Reading the directory is the only I/O; everything after it works on in-memory file texts, so the
 * same code serves hooks, tests and the CLI.
 *
 * Deliberate differences from cosl, all to stop bad rules from reaching Prometheus, where the
 * consumer would drop the whole relation's rules (prometheus-k8s-operator issue #746): a file whose rules do not
 * validate (unparsable PromQL, bad durations, bad label names, repeated group names) is skipped and
 * reported instead of forwarded; a group name repeated across files is reported and the later group
 * dropped; the rules-only provider strips `%%juju_topology%%` too.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { type PyJsonValue, pyJsonDumps } from "../common/pyjson.js";
import { injectTopology, stripTopologyPlaceholder, validateGroups } from "./promql.js";
import type { JujuTopology } from "./topology.js";

/** One alerting or recording rule as published (`alert`/`record`, `expr`, `for`, `labels`, ...). */
export type Rule = Record<string, unknown>;

/** One rule group as published: a name, its rules, and any other group fields the author wrote. */
export interface RuleGroup {
  name: string;
  rules: Rule[];
  [field: string]: unknown;
}

/** The `alert_rules` value: an official rules file, or `{}` when there are no groups. */
export type AlertRulesDict = { groups: RuleGroup[] } | Record<string, never>;

/** A rule file's text, with its path relative to the rules root, using `/` separators. */
export interface RuleFileSource {
  readonly path: string;
  readonly text: string;
}

/** A rule file (or group) that was not used, and why. */
export interface RulesProblem {
  /** The file path relative to the rules root (or the group name for generated groups). */
  readonly path: string;
  readonly reason: string;
}

/** Groups ready to publish, in file order, plus what was skipped. */
export interface RulesResult {
  readonly groups: RuleGroup[];
  readonly problems: RulesProblem[];
}

/** Receives the loader's log lines (cosl logs these; callers decide where they go). */
export type RulesLogger = (level: "debug" | "warning" | "error", message: string) => void;

/** Options shared by the rule builders. */
export interface RulesOptions {
  /** The provider's topology; without it, no group prefix, no topology labels and no injection. */
  readonly topology?: JujuTopology | undefined;
  readonly log?: RulesLogger | undefined;
}

const RULE_SUFFIXES = [".rule", ".rules", ".yml", ".yaml"];
/** A group name that already carries a topology identifier (`..._<8 hex>_...rules`) is not renamed again. */
const ALREADY_NAMED = /^.*?_[\da-f]{8}_.*?rules$/;
const NOT_GROUP_NAME_CHAR = /[^a-zA-Z0-9_:]/g;
const INJECTED_LABELS = ["juju_model", "juju_model_uuid", "juju_application"] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function comparePaths(a: string, b: string): number {
  // Python sorts pathlib paths part by part, so `a/b.rule` comes before `a.rule`'s sibling `a.x`.
  const pa = a.split("/");
  const pb = b.split("/");
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * Reads the rule files under `dir`: regular files ending in `.rule`, `.rules`, `.yml` or `.yaml`,
 * in all sub-directories when `recursive` (the default), sorted by path.
 * A missing directory gives no files and `missing: true` (cosl only logs it at debug level).
 */
export function readRuleFiles(
  dir: string,
  opts: { recursive?: boolean } = {},
): { files: RuleFileSource[]; problems: RulesProblem[]; missing: boolean } {
  const recursive = opts.recursive ?? true;
  const files: RuleFileSource[] = [];
  const problems: RulesProblem[] = [];
  try {
    if (!statSync(dir).isDirectory()) return { files, problems, missing: true };
  } catch {
    return { files, problems, missing: true };
  }
  const walk = (abs: string, rel: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const absPath = join(abs, entry.name);
      if (entry.isDirectory()) {
        if (recursive) walk(absPath, relPath);
      } else if (entry.isFile() && RULE_SUFFIXES.some((s) => entry.name.endsWith(s))) {
        try {
          files.push({ path: relPath, text: readFileSync(absPath, "utf8") });
        } catch (e) {
          problems.push({ path: relPath, reason: `cannot read: ${(e as Error).message}` });
        }
      }
    }
  };
  walk(dir, "");
  files.sort((a, b) => comparePaths(a.path, b.path));
  return { files, problems, missing: false };
}

function splitPath(path: string): { relDir: string; stem: string } {
  const slash = path.lastIndexOf("/");
  const base = path.slice(slash + 1);
  const dot = base.lastIndexOf(".");
  return { relDir: slash < 0 ? "" : path.slice(0, slash), stem: dot > 0 ? base.slice(0, dot) : base };
}

/** cosl's group naming: `{identifier}_{reldir}_{name}_rules`, then restricted to `[a-zA-Z0-9_:]`. */
export function ruleGroupName(name: string, relDir: string, topology?: JujuTopology | undefined): string {
  let full = name;
  if (!ALREADY_NAMED.test(name)) {
    const prefix = [topology?.identifier ?? "", relDir.replaceAll("/", "_")]
      .filter((p) => p !== "")
      .join("_");
    full = prefix ? `${prefix}_${name}` : name;
    if (!full.endsWith("_rules")) full += "_rules";
  }
  return full.replace(NOT_GROUP_NAME_CHAR, "_");
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.trim().replace(/:$/, "");
}

/**
 * Turns the parsed content of one file into raw groups, or a reason it cannot be used.
 * Official files (with `groups`) keep their groups; a single-rule file (`expr` plus `alert` or
 * `record`) becomes one group named after the file stem.
 */
function rawGroups(
  content: unknown,
  stem: string,
): { groups: Record<string, unknown>[] } | { reason: string } {
  if (content === null || content === undefined || content === "")
    return { reason: "Invalid rules file (Empty)" };
  if (!isRecord(content)) return { reason: "Invalid rules file (Invalid rule format)" };
  if ("groups" in content) {
    const groups = content.groups;
    if (!Array.isArray(groups)) return { reason: "Invalid rules file ('groups' is not a list)" };
    for (const [i, g] of groups.entries()) {
      if (!isRecord(g)) return { reason: `Invalid rules file (group ${i} is not a map)` };
      if (typeof g.name !== "string" || g.name === "") {
        return { reason: `Invalid rules file (group ${i} has no name)` };
      }
      if (!Array.isArray(g.rules) || !g.rules.every(isRecord)) {
        return { reason: `Invalid rules file (group '${g.name}' has no list of rules)` };
      }
    }
    return { groups: groups as Record<string, unknown>[] };
  }
  if ("expr" in content && ("alert" in content || "record" in content)) {
    return { groups: [{ name: stem, rules: [content] }] };
  }
  return { reason: "Invalid rules file (Invalid rule format)" };
}

/**
 * Renames the groups and labels every rule, without injecting yet: returns fresh objects, never
 * touching `groups`. Topology labels are added only where the rule does not already set them, and
 * `juju_unit` is never added (a rule written for one unit keeps the label it was written with).
 */
function normaliseGroups(
  groups: readonly Record<string, unknown>[],
  relDir: string,
  topology: JujuTopology | undefined,
): RuleGroup[] {
  const topoLabels = topology?.labelMatcherDict() ?? {};
  return groups.map((g) => {
    const rules = (g.rules as Record<string, unknown>[]).map((rule) => {
      const out: Rule = { ...rule };
      const labels: Record<string, unknown> = isRecord(rule.labels) ? { ...rule.labels } : {};
      for (const [k, v] of Object.entries(topoLabels)) if (!(k in labels)) labels[k] = v;
      if (rule.labels === undefined || rule.labels === null || isRecord(rule.labels)) out.labels = labels;
      if (typeof out.expr === "string") out.expr = stripTopologyPlaceholder(out.expr);
      return out;
    });
    return { ...g, name: ruleGroupName(g.name as string, relDir, topology), rules };
  });
}

/** Injects each rule's own model/uuid/application labels into its expression (cosl does this via cos-tool). */
function injectGroups(groups: RuleGroup[]): void {
  for (const group of groups) {
    for (const rule of group.rules) {
      const labels = rule.labels as Record<string, string>;
      const matchers: Record<string, string> = {};
      for (const k of INJECTED_LABELS) if (typeof labels[k] === "string") matchers[k] = labels[k];
      // validateGroups has already parsed every expression, so this cannot throw.
      rule.expr = injectTopology(rule.expr as string, matchers);
    }
  }
}

/**
 * Builds publishable groups from rule file texts: parses YAML, names groups, adds topology labels,
 * strips `%%juju_topology%%`, validates every rule, and (with a topology) injects matchers into every
 * expression. An empty, unparsable or invalid file is skipped and reported; this never throws.
 */
export function buildRuleGroups(files: readonly RuleFileSource[], opts: RulesOptions = {}): RulesResult {
  const groups: RuleGroup[] = [];
  const problems: RulesProblem[] = [];
  const names = new Set<string>();
  const report = (path: string, reason: string, level: "warning" | "error" = "error"): void => {
    problems.push({ path, reason });
    opts.log?.(level, `${reason}: ${path}`);
  };
  for (const file of [...files].sort((a, b) => comparePaths(a.path, b.path))) {
    const { relDir, stem } = splitPath(file.path);
    let content: unknown;
    try {
      content = parseYaml(file.text);
    } catch (e) {
      report(file.path, `Failed to read rules (${firstLine((e as Error).message)})`);
      continue;
    }
    const raw = rawGroups(content, stem);
    if ("reason" in raw) {
      report(file.path, raw.reason, raw.reason.endsWith("(Empty)") ? "warning" : "error");
      continue;
    }
    const normalised = normaliseGroups(raw.groups, relDir, opts.topology);
    const invalid = validateGroups(normalised);
    if (invalid.length > 0) {
      report(file.path, `Invalid rules file (${invalid.join("; ")})`);
      continue;
    }
    if (opts.topology) injectGroups(normalised);
    for (const group of normalised) {
      if (names.has(group.name)) {
        report(file.path, `Invalid rules file (group name '${group.name}' is already used by another file)`);
        continue;
      }
      names.add(group.name);
      groups.push(group);
    }
  }
  const deduped = dropDuplicateRules(groups);
  for (const p of deduped.problems) opts.log?.("warning", `${p.reason}: ${p.path}`);
  return { groups: deduped.groups, problems: [...problems, ...deduped.problems] };
}

function ruleIdentity(rule: Rule): string {
  const labels = isRecord(rule.labels) ? rule.labels : {};
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]]);
  return JSON.stringify([rule.alert ?? null, rule.record ?? null, sorted]);
}

/**
 * Drops every rule whose name and label set repeat an earlier rule's, as promtool's lint (and so
 * the consumer's `promtool check rules`) rejects such files ("N duplicate rule(s) found", hardware-observer-operator
 * reported it blocking the whole Prometheus).
 * A group left without rules is dropped too. Each drop is reported under the group's name.
 */
export function dropDuplicateRules(groups: readonly RuleGroup[]): RulesResult {
  const seen = new Set<string>();
  const problems: RulesProblem[] = [];
  const out: RuleGroup[] = [];
  for (const group of groups) {
    const rules = group.rules.filter((rule) => {
      const id = ruleIdentity(rule);
      if (!seen.has(id)) {
        seen.add(id);
        return true;
      }
      problems.push({
        path: group.name,
        reason: `duplicate rule ${JSON.stringify(rule.alert ?? rule.record)}: same name and labels as an earlier rule`,
      });
      return false;
    });
    if (rules.length > 0) out.push(rules.length === group.rules.length ? group : { ...group, rules });
  }
  return { groups: out, problems };
}

/** Reads `dir` and builds its groups (see {@link readRuleFiles} and {@link buildRuleGroups}). */
export function loadRulesDir(dir: string, opts: RulesOptions & { recursive?: boolean } = {}): RulesResult {
  const read = readRuleFiles(dir, opts.recursive === undefined ? {} : { recursive: opts.recursive });
  if (read.missing) opts.log?.("debug", `alert rules path does not exist: ${dir}`);
  const built = buildRuleGroups(read.files, opts);
  return { groups: built.groups, problems: [...read.problems, ...built.problems] };
}

/**
 * cosl's generic application rules: one `HostHealth` group with `HostDown` (`up < 1`) and
 * `HostMetricsMissing` (`absent(up)`), both for 5m. The texts are on the wire and in users'
 * Alertmanager routes, so they are reproduced exactly.
 */
export const GENERIC_APPLICATION_RULES: { readonly groups: readonly RuleGroup[] } = Object.freeze({
  groups: [
    {
      name: "HostHealth",
      rules: [
        {
          alert: "HostDown",
          expr: "up < 1",
          for: "5m",
          labels: { severity: "critical" },
          annotations: {
            summary: "Host '{{ $labels.instance }}' is down.",
            description:
              "Juju application '{{ $labels.juju_application }}' in model '{{ $labels.juju_model }}' is down. Prometheus has been unable to scrape it during at least the past five minutes.",
          },
        },
        {
          alert: "HostMetricsMissing",
          expr: "absent(up)",
          for: "5m",
          labels: { severity: "warning" },
          annotations: {
            summary:
              "Unit '{{ $labels.juju_unit }}' of application '{{ $labels.juju_application }}' is down or failing to remote write.",
            description:
              "`Up` missing for unit '{{ $labels.juju_unit }}' of application {{ $labels.juju_application }} in model {{ $labels.juju_model }}. Please ensure the unit or the collector scraping it is up and is able to successfully reach the metrics backend.",
          },
        },
      ],
    },
  ],
});

/** The generic `HostHealth` group for `topology`, named, labelled and injected like file groups. */
export function genericRuleGroups(topology: JujuTopology): RuleGroup[] {
  const groups = normaliseGroups(GENERIC_APPLICATION_RULES.groups, "", topology);
  injectGroups(groups);
  return groups;
}

/** Options of {@link providerAlertRules}. */
export interface ProviderRulesOptions {
  readonly topology: JujuTopology;
  /** Rule directory to read; ignored when `files` is given. */
  readonly rulesDir?: string | undefined;
  /** Rule file texts to use instead of reading `rulesDir`. */
  readonly files?: readonly RuleFileSource[] | undefined;
  /** cosl `forward_alert_rules` (default true): when false, nothing is published, not even HostHealth. */
  readonly forwardAlertRules?: boolean | undefined;
  readonly recursive?: boolean | undefined;
  readonly log?: RulesLogger | undefined;
}

/**
 * What `MetricsEndpointProvider` publishes as `alert_rules`: the directory's groups, then the
 * generic `HostHealth` group, or nothing when forwarding is off. A generated group whose name a file
 * already used is reported and left out.
 */
export function providerAlertRules(opts: ProviderRulesOptions): RulesResult {
  if (opts.forwardAlertRules === false) return { groups: [], problems: [] };
  const common = { topology: opts.topology, log: opts.log };
  const fromFiles = opts.files
    ? buildRuleGroups(opts.files, common)
    : opts.rulesDir !== undefined
      ? loadRulesDir(opts.rulesDir, { ...common, recursive: opts.recursive ?? true })
      : { groups: [], problems: [] };
  const groups = [...fromFiles.groups];
  const problems = [...fromFiles.problems];
  const used = new Set(groups.map((g) => g.name));
  for (const g of genericRuleGroups(opts.topology)) {
    if (used.has(g.name))
      problems.push({ path: g.name, reason: "generic group name already used by a rule file" });
    else groups.push(g);
  }
  return { groups, problems };
}

/** cosl `as_dict()`: `{groups}` or `{}` when there are none. */
export function alertRulesDict(groups: readonly RuleGroup[]): AlertRulesDict {
  return groups.length === 0 ? {} : { groups: [...groups] };
}

function sortKeysDeep(v: unknown): PyJsonValue {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (isRecord(v)) {
    const out: Record<string, PyJsonValue> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeysDeep(v[k]);
    return out;
  }
  return v as PyJsonValue;
}

/**
 * What `PrometheusRulesProvider` publishes as `alert_rules`: the directory's rules with no topology
 * (no prefix, no labels added, no injection), encoded like `json.dumps(..., sort_keys=True)`.
 * An empty or missing directory gives `"{}"`.
 */
export function rulesProviderAlertRules(
  dir: string,
  opts: { recursive?: boolean; log?: RulesLogger } = {},
): { alertRules: string; problems: RulesProblem[] } {
  const { groups, problems } = loadRulesDir(dir, { recursive: opts.recursive ?? true, log: opts.log });
  return { alertRules: pyJsonDumps(sortKeysDeep(alertRulesDict(groups))), problems };
}

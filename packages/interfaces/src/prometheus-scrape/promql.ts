/**
 * PromQL topology injection and alert/recording rule validation, in process.
 *
 * The Python libraries shell out to the Go `cos-tool` once per expression (`cos-tool transform
 * --label-matcher k=v ... <expr>`), which dominates hook time with many relations (the Python library runs `cos-tool` once per
 * rule; prometheus-k8s-operator PR #634 measured multi-second hooks).
 * Here the expression is parsed once with Prometheus' own lezer grammar and the matchers are spliced
 * into the source text at each vector selector, so everything the user wrote outside the selectors
 * (spacing, comments, number formatting) stays byte-identical.
 */

import type { SyntaxNode, Tree } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import { checkExpressionTree, type ExprFacts } from "./promql-check.js";
import { checkTemplate } from "./templates.js";

/**
 * Thrown when an expression is not valid PromQL: a syntax error at `position` (0-based), or what
 * Prometheus' parser refuses after parsing (types, arities, matchers...), given as `detail`.
 */
export class PromQLError extends Error {
  override readonly name = "PromQLError";
  constructor(
    /** The expression that failed to parse. */
    readonly expr: string,
    /** 0-based character offset of the first syntax error. */
    readonly position: number,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(
      options?.detail !== undefined
        ? `invalid PromQL: ${options.detail} in ${JSON.stringify(expr.length > 200 ? `${expr.slice(0, 200)}...` : expr)}`
        : `invalid PromQL at position ${position}: ${describeAt(expr, position)}`,
      options,
    );
  }
}

function describeAt(expr: string, position: number): string {
  if (position >= expr.length) return `unexpected end of expression in ${JSON.stringify(expr)}`;
  return `unexpected ${JSON.stringify(expr.slice(position, position + 12))} in ${JSON.stringify(expr)}`;
}

/** The placeholder rule authors put inside a selector to say "my topology goes here". */
const TOPOLOGY_PLACEHOLDER = /%%juju_topology%%,?/g;

/**
 * Removes every `%%juju_topology%%` placeholder (with one following comma), as cosl does before
 * injecting, so `up{%%juju_topology%%}` becomes `up{}` and `up{%%juju_topology%%,a="b"}` becomes `up{a="b"}`.
 */
export function stripTopologyPlaceholder(expr: string): string {
  return expr.includes("%%juju_topology%%") ? expr.replace(TOPOLOGY_PLACEHOLDER, "") : expr;
}

/** One matcher written in a selector, with the label it constrains (`undefined` for a bare quoted metric name). */
interface ExistingMatcher {
  readonly name: string | undefined;
  readonly text: string;
}

/** Where and how one vector selector's matchers are rewritten. */
interface SelectorSite {
  /** Replace `[from, to)`; for a selector without braces from === to (an insertion after the name). */
  readonly from: number;
  readonly to: number;
  /** True when the selector had no `{...}` and the braces must be added. */
  readonly addBraces: boolean;
  readonly existing: readonly ExistingMatcher[];
}

/** The parse of one expression, reduced to what injection needs; cached by expression text. */
interface ParsedExpr {
  readonly sites: readonly SelectorSite[];
  /** What Prometheus' checks found the expression can do (it passed them all to be cached). */
  readonly facts: ExprFacts;
  /** Output templates by the sorted list of injected label names (usually one entry per expression). */
  readonly templates: Map<string, Template>;
}

/**
 * The injected expression with holes for the values: `parts[0] + v[slots[0]] + parts[1] + ...`.
 * Building it once per expression and label set makes each further injection a concatenation.
 */
interface Template {
  readonly parts: readonly string[];
  /** Index into the sorted label names of the value that fills each hole. */
  readonly slots: readonly number[];
}

const CACHE_LIMIT = 16384;
const parseCache = new Map<string, ParsedExpr>();
/** Expressions parsed (not loaded) since the cache was last dumped or loaded. */
let parsedSinceSync = 0;

function parseExpr(expr: string): ParsedExpr {
  const cached = parseCache.get(expr);
  if (cached) return cached;
  if (expr.trim() === "") throw new PromQLError(expr, 0);
  const tree: Tree = parser.parse(expr);
  const sites: SelectorSite[] = [];
  let errorAt = -1;
  // One walk finds both the first syntax error and every selector.
  tree.iterate({
    enter(node) {
      if (errorAt >= 0) return false;
      if (node.type.isError) {
        errorAt = node.from;
        return false;
      }
      if (node.name !== "VectorSelector") return undefined;
      sites.push(selectorSite(expr, node.node));
      // Descend anyway: a selector holds no nested selector, but it may hold an error node.
      return undefined;
    },
  });
  if (errorAt >= 0) throw new PromQLError(expr, errorAt);
  const checked = checkExpressionTree(expr, tree.topNode);
  if (checked.problems.length > 0) throw new PromQLError(expr, 0, { detail: checked.problems.join("; ") });
  if (parseCache.size >= CACHE_LIMIT) parseCache.clear();
  const parsed: ParsedExpr = { sites, facts: checked.facts, templates: new Map() };
  parseCache.set(expr, parsed);
  parsedSinceSync++;
  return parsed;
}

function selectorSite(expr: string, selector: SyntaxNode): SelectorSite {
  const matchers = selector.getChild("LabelMatchers");
  if (!matchers) {
    const ident = selector.getChild("Identifier");
    const at = ident ? ident.to : selector.to;
    return { from: at, to: at, addBraces: true, existing: [] };
  }
  const existing: ExistingMatcher[] = [];
  for (let child = matchers.firstChild; child; child = child.nextSibling) {
    const text = expr.slice(child.from, child.to);
    if (child.name === "UnquotedLabelMatcher") {
      const label = child.getChild("LabelName");
      existing.push({ name: label ? expr.slice(label.from, label.to) : undefined, text });
    } else if (child.name === "QuotedLabelMatcher") {
      const quoted = child.getChild("QuotedLabelName")?.getChild("StringLiteral");
      existing.push({
        name: quoted ? unquotePromQLString(expr.slice(quoted.from, quoted.to)) : undefined,
        text,
      });
    } else if (child.name === "QuotedLabelName") {
      // `{"my.metric", ...}`: a metric name in braces, not a label constraint.
      existing.push({ name: undefined, text });
    }
  }
  return { from: matchers.from + 1, to: matchers.to - 1, addBraces: false, existing };
}

/**
 * Decodes a PromQL string literal (`"..."`, `'...'` or a raw backtick string) to its value.
 * Used for quoted label names so `{"juju_model"="x"}` is recognised as a `juju_model` matcher.
 */
export function unquotePromQLString(literal: string): string {
  const quote = literal[0];
  const body = literal.slice(1, -1);
  if (quote === "`") return body;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const next = body[++i] ?? "";
    const simple = SIMPLE_UNESCAPES[next];
    if (simple !== undefined) {
      out += simple;
    } else if (next === "x" || next === "u" || next === "U") {
      const len = next === "x" ? 2 : next === "u" ? 4 : 8;
      out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 1 + len), 16) || 0);
      i += len;
    } else if (next >= "0" && next <= "7") {
      out += String.fromCharCode(Number.parseInt(body.slice(i, i + 3), 8) || 0);
      i += 2;
    } else {
      out += next;
    }
  }
  return out;
}

const SIMPLE_UNESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

/** Quotes a label value the way Go's `strconv.Quote` (and so cos-tool's output) does. */
export function quotePromQLString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

function byName(a: ExistingMatcher, b: ExistingMatcher): number {
  // A bare quoted metric name must stay first; it is not a label.
  if (a.name === undefined || b.name === undefined)
    return a.name === b.name ? 0 : a.name === undefined ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Adds an equality matcher for every entry of `matchers` to every vector selector in `expr`
 * (inside functions, aggregations, binary operations, subqueries and range selectors alike).
 *
 * The matchers of each touched selector come out sorted by label name and joined by `,` with no
 * spaces, which is how cos-tool prints them. A matcher the user wrote on one of the injected labels
 * (with any operator) is replaced: a provider's rule must not be able to select series outside its
 * own topology, e.g. by writing `juju_model=~".*"`. Everything outside the selectors is untouched.
 * String and number literals are never mistaken for selectors because the work is done on the
 * syntax tree.
 *
 * Parsing is cached by expression text, so the same expression injected for many applications is
 * parsed once. To inject one set of matchers into many expressions, {@link topologyInjector} does
 * the per-matcher-set work (sorting, quoting) once.
 *
 * @throws PromQLError when `expr` is not valid PromQL.
 * @throws TypeError when a matcher name is not a valid label name.
 * @example injectTopology("rate(up[5m]) > 0", { juju_model: "cos" }) // 'rate(up{juju_model="cos"}[5m]) > 0'
 */
export function injectTopology(expr: string, matchers: Readonly<Record<string, string>>): string {
  return topologyInjector(matchers)(expr);
}

/**
 * {@link injectTopology} with `matchers` bound: the returned function injects them into any
 * expression. The label names are checked, sorted and the values quoted once, here.
 *
 * @throws TypeError when a matcher name is not a valid label name.
 * @example const inject = topologyInjector(topology.alertExpressionDict()); rules.map((r) => inject(r.expr))
 */
export function topologyInjector(matchers: Readonly<Record<string, string>>): (expr: string) => string {
  const names = Object.keys(matchers).sort();
  for (const n of names) if (!LABEL_NAME.test(n)) throw new TypeError(`'${n}' is not a valid label name`);
  const key = names.join("\u0000");
  const values = names.map((n) => quotePromQLString(matchers[n]!));
  return (expr) => {
    const parsed = parseExpr(expr);
    if (names.length === 0 || parsed.sites.length === 0) return expr;
    let template = parsed.templates.get(key);
    if (!template) {
      template = buildTemplate(expr, parsed.sites, names);
      parsed.templates.set(key, template);
    }
    const { parts, slots } = template;
    // join() makes one flat string; `+=` would make a tree of cons strings that lives as long as
    // the rule (thousands of them in large models) and is flattened again when printed.
    const pieces: string[] = [parts[0]!];
    for (let i = 0; i < slots.length; i++) pieces.push(values[slots[i]!]!, parts[i + 1]!);
    return pieces.join("");
  };
}

function buildTemplate(expr: string, sites: readonly SelectorSite[], names: readonly string[]): Template {
  const injectedNames = new Set(names);
  const injected = names.map((name, slot) => ({ name, text: `${name}=`, slot }));
  const parts: string[] = [];
  const slots: number[] = [];
  let pending = "";
  let last = 0;
  for (const site of sites) {
    pending += expr.slice(last, site.from) + (site.addBraces ? "{" : "");
    const kept = site.existing
      .filter((m) => m.name === undefined || !injectedNames.has(m.name))
      .map((m) => ({ ...m, slot: -1 }));
    const all = [...kept, ...injected].sort(byName);
    all.forEach((m, i) => {
      pending += (i > 0 ? "," : "") + m.text;
      if (m.slot >= 0) {
        parts.push(pending);
        slots.push(m.slot);
        pending = "";
      }
    });
    pending += site.addBraces ? "}" : "";
    last = site.to;
  }
  parts.push(pending + expr.slice(last));
  return { parts, slots };
}

/**
 * Checks that `expr` is PromQL the given Prometheus major version loads: it parses and passes the
 * checks Prometheus' parser makes after parsing (types, arities, matchers, ranges, modifiers).
 *
 * @returns `undefined` when it does, else the problem as a sentence.
 */
export function checkExpression(expr: string, prometheusMajor = 3): string | undefined {
  try {
    const parsed = parseExpr(expr);
    if (prometheusMajor < 3 && parsed.facts.needsMajor3)
      return `invalid PromQL for Prometheus ${prometheusMajor}: uses a function or a quoted (UTF-8) name added in Prometheus 3`;
    return undefined;
  } catch (e) {
    if (e instanceof PromQLError) return e.message;
    throw e;
  }
}

/**
 * What a valid expression can do beyond reading series (labels it creates, absent() outputs),
 * from the same parse as validation and injection.
 *
 * @throws PromQLError when `expr` is not valid PromQL.
 */
export function expressionFacts(expr: string): ExprFacts {
  return parseExpr(expr).facts;
}

// --- persisted parse cache ---------------------------------------------------------------------

/**
 * Parsing is the only costly step of injection and validation: 30-300 us per expression while V8
 * is still cold, which is every hook (a model relating 30 charms with 20 rules each re-parses 600
 * expressions, ~55 ms, in each hook). The parse results are plain positions in the expression
 * text, so a charm can keep them between hooks with {@link dumpParseCache} and
 * {@link loadParseCache} (see `parse-cache-file.ts`).
 */
const DUMP_FORMAT = "promql-selector-sites/2";

/** One cached parse on disk: the expression and its selector sites, `[from, to, addBraces, [[name, text]...]]`. */
type DumpedSite = [number, number, boolean, [string | null, string][]];
/** An expression's facts on disk: `[mintedLabels, absentLabels, needsMajor3]`. */
type DumpedFacts = [string[], [string, string][], boolean];

/** Empties the parse cache (tests, and callers that want the memory back). */
export function clearParseCache(): void {
  parseCache.clear();
  parsedSinceSync = 0;
}

/** Whether expressions were parsed since the last dump or load (i.e. whether a dump would add anything). */
export function parseCacheChanged(): boolean {
  return parsedSinceSync > 0;
}

/**
 * The parse cache as JSON: the `limit` most recently added expressions (all valid PromQL) with
 * the positions of their vector selectors. Only what {@link loadParseCache} of this version reads.
 */
export function dumpParseCache(limit = 4096): string {
  const entries: [string, DumpedSite[], DumpedFacts][] = [];
  const all = [...parseCache];
  for (const [expr, parsed] of all.slice(Math.max(0, all.length - limit))) {
    const f = parsed.facts;
    entries.push([
      expr,
      parsed.sites.map((site) => [
        site.from,
        site.to,
        site.addBraces,
        site.existing.map((m) => [m.name ?? null, m.text] as [string | null, string]),
      ]),
      [[...f.mintedLabels], f.absentLabels.map(([k, v]) => [k, v] as [string, string]), f.needsMajor3],
    ]);
  }
  parsedSinceSync = 0;
  return JSON.stringify({ format: DUMP_FORMAT, entries });
}

/** The sites of one dumped entry when they are consistent with its expression text, else undefined. */
function loadSites(expr: string, raw: unknown): SelectorSite[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const sites: SelectorSite[] = [];
  let last = 0;
  for (const site of raw) {
    if (!Array.isArray(site) || site.length !== 4) return undefined;
    const [from, to, addBraces, existing] = site as unknown[];
    if (!Number.isInteger(from) || !Number.isInteger(to) || typeof addBraces !== "boolean") return undefined;
    const f = from as number;
    const t = to as number;
    if (f < last || t < f || t > expr.length || !Array.isArray(existing)) return undefined;
    // A selector with braces is rewritten between them; one without gets braces inserted.
    if (addBraces ? f !== t : expr[f - 1] !== "{" || expr[t] !== "}") return undefined;
    const inside = expr.slice(f, t);
    const matchers: ExistingMatcher[] = [];
    for (const m of existing) {
      if (!Array.isArray(m) || m.length !== 2) return undefined;
      const [name, text] = m as unknown[];
      if ((name !== null && typeof name !== "string") || typeof text !== "string" || !inside.includes(text))
        return undefined;
      matchers.push({ name: name ?? undefined, text });
    }
    if (addBraces && matchers.length > 0) return undefined;
    sites.push({ from: f, to: t, addBraces, existing: matchers });
    last = t;
  }
  return sites;
}

function isStringPair(v: unknown): v is [string, string] {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string";
}

/** The facts of one dumped entry when well-formed, else undefined. */
function loadFacts(raw: unknown): ExprFacts | undefined {
  if (!Array.isArray(raw) || raw.length !== 3) return undefined;
  const [minted, absent, major3] = raw as unknown[];
  if (!Array.isArray(minted) || !minted.every((m) => typeof m === "string")) return undefined;
  if (!Array.isArray(absent) || !absent.every(isStringPair)) return undefined;
  if (typeof major3 !== "boolean") return undefined;
  return { mintedLabels: minted as string[], absentLabels: absent, needsMajor3: major3 };
}

/**
 * Adds the entries of a {@link dumpParseCache} text to the parse cache. Entries that do not fit
 * their expression text (positions out of range, braces not where they should be) are skipped, a
 * text of another format is ignored whole, and nothing here throws: a bad cache only costs parses.
 *
 * @returns how many expressions were added.
 */
export function loadParseCache(json: string): number {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return 0;
  }
  if (!isPlainObject(doc) || doc.format !== DUMP_FORMAT || !Array.isArray(doc.entries)) return 0;
  let added = 0;
  for (const entry of doc.entries) {
    if (parseCache.size >= CACHE_LIMIT) break;
    if (!Array.isArray(entry) || entry.length !== 3 || typeof entry[0] !== "string") continue;
    const expr = entry[0];
    if (parseCache.has(expr) || expr.trim() === "") continue;
    const sites = loadSites(expr, entry[1]);
    const facts = loadFacts(entry[2]);
    if (!sites || !facts) continue;
    parseCache.set(expr, { sites, facts, templates: new Map() });
    added++;
  }
  parsedSinceSync = 0;
  return added;
}

// --- rule validation -----------------------------------------------------------------------------

const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
// Nanoseconds per unit, in the order of DURATION's groups; Go keeps durations in an int64.
const UNIT_NS = [31_536_000n, 604_800n, 86_400n, 3_600n, 60n, 1n].map((s) => s * 1_000_000_000n);
UNIT_NS.push(1_000_000n);
const MAX_DURATION_NS = 2n ** 63n - 1n;
const UNIT_MS = [31_536_000_000, 604_800_000, 86_400_000, 3_600_000, 60_000, 1000, 1];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const RULE_KEYS = new Set(["alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"]);
/** Rule group keys by Prometheus major version (2 is Debian's 2.42; `query_offset` came in 2.53). */
const GROUP_KEYS_2 = new Set(["name", "interval", "limit", "rules"]);
const GROUP_KEYS_3 = new Set([...GROUP_KEYS_2, "query_offset", "labels"]);
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * True for a Prometheus duration such as `5m`, `1h30m` or `0` (the `model.ParseDuration` syntax),
 * within what Go's `time.Duration` holds (about 292 years): larger values are refused by
 * Prometheus ("duration out of range").
 */
export function isPromDuration(value: unknown): boolean {
  if (typeof value === "number") return Number.isInteger(value) && value === 0;
  if (typeof value !== "string" || value === "") return false;
  if (value === "0") return true;
  // Rules and jobs repeat a handful of durations ("5m", "1m", "30s") thousands of times.
  const known = durationVerdicts.get(value);
  if (known !== undefined) return known;
  const verdict = checkDuration(value);
  if (durationVerdicts.size >= 1024) durationVerdicts.clear();
  durationVerdicts.set(value, verdict);
  return verdict;
}

const durationVerdicts = new Map<string, boolean>();

function checkDuration(value: string): boolean {
  const m = DURATION.exec(value);
  if (!m) return false;
  // Milliseconds in a double are exact far beyond the int64 limit's 9,223,372,036,854 ms; only
  // values near it need exact arithmetic.
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const digits = m[i + 1];
    if (digits !== undefined) ms += Number(digits) * UNIT_MS[i]!;
  }
  if (ms < 9e12) return true;
  let ns = 0n;
  for (let i = 0; i < UNIT_NS.length; i++) {
    const digits = m[i + 1];
    if (digits !== undefined) ns += BigInt(digits) * UNIT_NS[i]!;
  }
  return ns <= MAX_DURATION_NS;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkStringMap(
  what: "labels" | "annotations",
  value: unknown,
  problems: string[],
  templates: boolean,
  prometheusMajor: number,
): void {
  if (value === undefined || value === null) return;
  if (!isPlainObject(value)) {
    problems.push(`'${what}' must be a map of strings`);
    return;
  }
  const kind = what === "labels" ? "label" : "annotation";
  for (const k in value) {
    // `__name__` is a valid label name but not one a rule may set (rulefmt.go).
    if (!LABEL_NAME.test(k) || (what === "labels" && k === "__name__"))
      problems.push(`invalid ${kind} name '${k}'`);
    const v = value[k];
    if (typeof v !== "string") {
      problems.push(`${kind} '${k}' must be a string`);
      continue;
    }
    if (LONE_SURROGATE.test(v)) problems.push(`${kind} '${k}' is not valid UTF-8 (a lone surrogate)`);
    else if (templates) {
      const t = checkTemplate(v, prometheusMajor);
      if (t.problems.length > 0) problems.push(`${kind} '${k}': template: ${t.problems[0]}`);
    }
  }
}

/**
 * The problems Prometheus would find with one alerting or recording rule; empty when it is valid.
 *
 * Checks: a map with exactly one of `alert`/`record`; `expr` present and valid PromQL; `for` and
 * `keep_firing_for` valid durations (alerts only); a valid metric name for `record`; labels and
 * annotations maps of strings with valid names; no unknown keys.
 */
export function validateRule(rule: unknown, prometheusMajor = 3): string[] {
  if (!isPlainObject(rule)) return ["a rule must be a map"];
  const problems: string[] = [];
  for (const key in rule) if (!RULE_KEYS.has(key)) problems.push(`unknown rule field '${key}'`);
  const { alert, record, expr } = rule;
  const hasAlert = alert !== undefined && alert !== null && alert !== "";
  const hasRecord = record !== undefined && record !== null && record !== "";
  if (hasAlert && hasRecord) problems.push("only one of 'record' and 'alert' may be set");
  else if (!hasAlert && !hasRecord) problems.push("one of 'record' or 'alert' must be set");
  if (hasAlert && typeof alert !== "string") problems.push("'alert' must be a string");
  if (hasRecord) {
    if (typeof record !== "string" || !METRIC_NAME.test(record)) {
      problems.push(`invalid recording rule name ${JSON.stringify(record)}`);
    }
    if (rule.for !== undefined) problems.push("invalid field 'for' in recording rule");
    if (rule.keep_firing_for !== undefined)
      problems.push("invalid field 'keep_firing_for' in recording rule");
    if (rule.annotations !== undefined) problems.push("invalid field 'annotations' in recording rule");
  }
  if (typeof expr !== "string" || expr.trim() === "") {
    problems.push("field 'expr' must be set in rule");
  } else {
    const exprProblem = checkExpression(expr, prometheusMajor);
    if (exprProblem) problems.push(`could not parse expression: ${exprProblem}`);
  }
  for (const key of ["for", "keep_firing_for"] as const) {
    const v = rule[key];
    if (v !== undefined && v !== null && !isPromDuration(v)) {
      problems.push(`'${key}' is not a valid duration: ${JSON.stringify(v)}`);
    }
  }
  // Alerting rules' labels and annotations are Go templates, parsed when the file is loaded.
  checkStringMap("labels", rule.labels, problems, hasAlert, prometheusMajor);
  checkStringMap("annotations", rule.annotations, problems, hasAlert, prometheusMajor);
  return problems;
}

/**
 * The problems with a rules file's `groups` list: every rule's problems (prefixed with the group
 * name and rule index), plus missing or repeated group names, groups without rules, and a bad
 * `interval` or `limit`. Empty when Prometheus would load it.
 */
export function validateGroups(groups: unknown, prometheusMajor = 3): string[] {
  const groupKeys = prometheusMajor >= 3 ? GROUP_KEYS_3 : GROUP_KEYS_2;
  if (!Array.isArray(groups)) return ["'groups' must be a list"];
  const problems: string[] = [];
  const seen = new Set<string>();
  groups.forEach((group, gi) => {
    if (!isPlainObject(group)) {
      problems.push(`group ${gi}: must be a map`);
      return;
    }
    const name = group.name;
    const where = typeof name === "string" && name !== "" ? `group '${name}'` : `group ${gi}`;
    for (const key of Object.keys(group)) {
      if (!groupKeys.has(key))
        problems.push(
          `${where}: field ${key} not found in type rulefmt.RuleGroup (Prometheus ${prometheusMajor})`,
        );
    }
    if (typeof name !== "string" || name === "") problems.push(`${where}: group name must not be empty`);
    else if (seen.has(name)) problems.push(`groupname: "${name}" is repeated in the same file`);
    else seen.add(name);
    if (group.interval !== undefined && !isPromDuration(group.interval)) {
      problems.push(`${where}: 'interval' is not a valid duration: ${JSON.stringify(group.interval)}`);
    }
    if (group.query_offset !== undefined && !isPromDuration(group.query_offset)) {
      problems.push(
        `${where}: 'query_offset' is not a valid duration: ${JSON.stringify(group.query_offset)}`,
      );
    }
    if (group.labels !== undefined) checkStringMap("labels", group.labels, problems, false, prometheusMajor);
    if (group.limit !== undefined && !(Number.isSafeInteger(group.limit) && (group.limit as number) >= 0)) {
      problems.push(`${where}: 'limit' must be a non-negative integer`);
    }
    const rules = group.rules;
    if (!Array.isArray(rules)) {
      problems.push(`${where}: 'rules' must be a list`);
      return;
    }
    if (rules.length === 0) problems.push(`${where}: has no rules`);
    rules.forEach((rule, ri) => {
      for (const p of validateRule(rule, prometheusMajor)) problems.push(`${where}, rule ${ri}: ${p}`);
    });
  });
  return problems;
}

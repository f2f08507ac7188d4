/**
 * PromQL semantic checks on top of the lezer syntax tree: the type checking and other parse-time
 * refusals of Prometheus' own parser (`promql/parser/parse.go` `checkAST`, `functions.go`), plus
 * the facts the consumer's security rules need (which labels an expression can create).
 *
 * The lezer grammar accepts everything Prometheus' grammar accepts and more: `rate(up)`, `1 > 2`,
 * `up{a=~"("}`, `up offset 5m offset 5m`, `up[0s]` all parse, and Prometheus refuses every one of
 * them when it loads the rule file. Each check here follows the Go check of the same message, and
 * the differential test (promql-check.test.ts) holds the verdicts against the real promtool.
 * Version differences: the function set and UTF-8 (quoted) names depend on the Prometheus major
 * version; experimental features (behind flags the charm never sets) are refused for both.
 */
import type { SyntaxNode } from "@lezer/common";
import { fullMatcher, re2Problem } from "./re2.js";

/** PromQL value types, spelled as Prometheus documents them in its errors. */
type ValueType = "scalar" | "instant vector" | "range vector" | "string" | "none";

interface FunctionSig {
  readonly args: readonly ValueType[];
  /** Go's `Variadic`: 0 means exactly `args`; n > 0 makes the last argument optional and allows up to n of it; -1 unbounded. */
  readonly variadic: number;
  readonly ret: ValueType;
  /** First Prometheus major version that has it as a stable (non-experimental) function. */
  readonly since: 2 | 3;
}

const V: ValueType = "instant vector";
const M: ValueType = "range vector";
const S: ValueType = "scalar";
const STR: ValueType = "string";

const fn = (args: ValueType[], ret: ValueType = V, variadic = 0, since: 2 | 3 = 2): FunctionSig => ({
  args,
  variadic,
  ret,
  since,
});

/** Prometheus' stable functions (`functions.go`); experimental ones are left out on purpose. */
const FUNCTIONS: ReadonlyMap<string, FunctionSig> = new Map([
  ...["abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos", "cosh", "deg", "exp"].map(
    (n) => [n, fn([V])] as const,
  ),
  ...["floor", "ln", "log10", "log2", "rad", "sgn", "sin", "sinh", "sort", "sort_desc", "sqrt", "tan"].map(
    (n) => [n, fn([V])] as const,
  ),
  ...["tanh", "timestamp", "absent", "histogram_count", "histogram_sum"].map((n) => [n, fn([V])] as const),
  ...["histogram_avg", "histogram_stddev", "histogram_stdvar"].map((n) => [n, fn([V], V, 0, 3)] as const),
  ...[
    "absent_over_time",
    "avg_over_time",
    "changes",
    "count_over_time",
    "delta",
    "deriv",
    "idelta",
    "increase",
    "irate",
    "last_over_time",
    "max_over_time",
    "min_over_time",
    "present_over_time",
    "rate",
    "resets",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
  ].map((n) => [n, fn([M])] as const),
  ...["days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year"].map(
    (n) => [n, fn([V], V, 1)] as const,
  ),
  ["clamp", fn([V, S, S])],
  ["clamp_max", fn([V, S])],
  ["clamp_min", fn([V, S])],
  ["histogram_fraction", fn([S, S, V])],
  ["histogram_quantile", fn([S, V])],
  ["label_replace", fn([V, STR, STR, STR, STR])],
  ["label_join", fn([V, STR, STR, STR], V, -1)],
  ["pi", fn([], S)],
  ["predict_linear", fn([M, S])],
  ["quantile_over_time", fn([S, M])],
  ["round", fn([V, S], V, 1)],
  ["scalar", fn([V], S)],
  ["time", fn([], S)],
  ["vector", fn([S])],
]);

const AGGREGATIONS = new Set([
  "avg",
  "bottomk",
  "count",
  "count_values",
  "group",
  "max",
  "min",
  "quantile",
  "stddev",
  "stdvar",
  "sum",
  "topk",
]);
const SCALAR_PARAM = new Set(["topk", "bottomk", "quantile"]);
const COMPARISONS = new Set(["==", "!=", ">", "<", ">=", "<="]);
const SET_OPS = new Set(["and", "or", "unless"]);
const EXPERIMENTAL_NODES = new Set([
  "Smoothed",
  "Anchored",
  "SmoothedExpr",
  "AnchoredExpr",
  "FillModifier",
  "FillClause",
  "FillLeftClause",
  "FillRightClause",
  "DurationStep",
  "DurationRange",
  "DurationMinOf",
  "DurationMaxOf",
]);
const DURATION_LITERAL = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_NS = [31_536_000n, 604_800n, 86_400n, 3_600n, 60n, 1n].map((s) => s * 1_000_000_000n);
UNIT_NS.push(1_000_000n);
const MAX_NS = 2n ** 63n - 1n;
/** Deepest syntax tree checked; deeper expressions are refused (bounds the recursion here). */
export const MAX_EXPR_DEPTH = 200;

/** What an expression can do beyond reading series, for the consumer's security rules. */
export interface ExprFacts {
  /** Label names the expression sets to computed values (label_replace/label_join targets, count_values). */
  readonly mintedLabels: readonly string[];
  /** `[label, value]` of equality matchers inside `absent(...)`/`absent_over_time(...)`: its output labels. */
  readonly absentLabels: readonly (readonly [string, string])[];
  /** Uses something only Prometheus 3 reads (quoted UTF-8 names, functions added in 3.x): Prometheus 2 refuses it. */
  readonly needsMajor3: boolean;
}

/** The verdict on one expression: problems in Prometheus' words, or none, plus its facts. */
export interface ExprCheck {
  readonly problems: readonly string[];
  readonly facts: ExprFacts;
}

/** Nanoseconds of a PromQL duration literal, or undefined when it is not one. */
function durationNs(text: string): bigint | undefined {
  if (text === "") return undefined;
  const m = DURATION_LITERAL.exec(text);
  if (!m) return undefined;
  let ns = 0n;
  for (let i = 0; i < UNIT_NS.length; i++) {
    const d = m[i + 1];
    if (d !== undefined) ns += BigInt(d) * UNIT_NS[i]!;
  }
  return ns;
}

/** Decodes a PromQL string literal the way Go's `strconv.Unquote` does; undefined when it cannot. */
export function unquoteGo(literal: string): string | undefined {
  const q = literal[0];
  if (literal.length < 2 || literal[literal.length - 1] !== q) return undefined;
  const body = literal.slice(1, -1);
  if (q === "`") return body.includes("`") ? undefined : body;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === "\n") return undefined;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const next = body[++i];
    switch (next) {
      case "a":
        out += "\x07";
        break;
      case "b":
        out += "\b";
        break;
      case "f":
        out += "\f";
        break;
      case "n":
        out += "\n";
        break;
      case "r":
        out += "\r";
        break;
      case "t":
        out += "\t";
        break;
      case "v":
        out += "\v";
        break;
      case "\\":
        out += "\\";
        break;
      case '"':
      case "'":
        if (next !== q) return undefined;
        out += next;
        break;
      case "x":
      case "u":
      case "U": {
        const len = next === "x" ? 2 : next === "u" ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + len);
        if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(hex)) return undefined;
        const cp = Number.parseInt(hex, 16);
        if (next !== "x" && (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) return undefined;
        out += next === "x" ? String.fromCharCode(cp) : String.fromCodePoint(cp);
        i += len;
        break;
      }
      default: {
        if (next !== undefined && next >= "0" && next <= "7") {
          const oct = body.slice(i, i + 3);
          if (!/^[0-7]{3}$/.test(oct) || Number.parseInt(oct, 8) > 255) return undefined;
          out += String.fromCharCode(Number.parseInt(oct, 8));
          i += 2;
          break;
        }
        return undefined;
      }
    }
  }
  return out;
}

const EXPR_NODES = new Set([
  "AggregateExpr",
  "BinaryExpr",
  "FunctionCall",
  "MatrixSelector",
  "NumberDurationLiteral",
  "OffsetExpr",
  "ParenExpr",
  "StringLiteral",
  "SubqueryExpr",
  "UnaryExpr",
  "VectorSelector",
  "StepInvariantExpr",
  "AnchoredExpr",
  "SmoothedExpr",
]);

function exprChildren(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (EXPR_NODES.has(c.name)) out.push(c);
  return out;
}

class Checker {
  readonly problems: string[] = [];
  readonly minted: string[] = [];
  readonly absent: [string, string][] = [];
  needsMajor3 = false;
  private inAbsent = 0;

  constructor(private readonly text: string) {}

  private src(n: SyntaxNode): string {
    return this.text.slice(n.from, n.to);
  }

  private fail(n: SyntaxNode, message: string): void {
    // Prometheus reports "line:col: parse error: ..."; the column is enough to find it here.
    this.problems.push(`${n.from + 1}: ${message}`);
  }

  check(n: SyntaxNode | null): ValueType {
    if (!n) return "none";
    if (EXPERIMENTAL_NODES.has(n.name)) {
      this.fail(n, "experimental syntax is not enabled");
      return "none";
    }
    switch (n.name) {
      case "PromQL":
        return this.check(exprChildren(n)[0] ?? null);
      case "ParenExpr":
        return this.check(exprChildren(n)[0] ?? null);
      case "NumberDurationLiteral":
        return this.number(n);
      case "StringLiteral":
        if (unquoteGo(this.src(n)) === undefined) this.fail(n, `error unquoting string ${this.src(n)}`);
        return "string";
      case "UnaryExpr": {
        const t = this.check(exprChildren(n)[0] ?? null);
        if (t !== S && t !== V)
          this.fail(
            n,
            `unary expression only allowed on expressions of type scalar or instant vector, got "${t}"`,
          );
        return t;
      }
      case "VectorSelector":
        this.selector(n);
        return V;
      case "MatrixSelector": {
        const inner = exprChildren(n)[0];
        if (inner?.name !== "VectorSelector") {
          this.fail(n, "ranges only allowed for vector selectors");
          if (inner) this.check(inner);
        } else this.check(inner);
        this.range(n.getChild("DurationExpr"));
        return M;
      }
      case "SubqueryExpr": {
        const inner = exprChildren(n)[0] ?? null;
        const t = this.check(inner);
        // As with offsets (see modifier), lezer-promql applies `[r:s]` to a whole binary or unary
        // expression, where Prometheus applies it to the rightmost operand: a range vector inside
        // an operation, which Prometheus refuses.
        if (inner?.name === "BinaryExpr")
          this.fail(n, "binary expression must contain only scalar and instant vector types");
        else if (inner?.name === "UnaryExpr")
          this.fail(
            n,
            'unary expression only allowed on expressions of type scalar or instant vector, got "range vector"',
          );
        else if (t !== V) this.fail(n, `subquery is only allowed on instant vector, got ${t} instead`);
        const durations = n.getChildren("DurationExpr");
        this.range(durations[0] ?? null);
        if (durations[1]) this.range(durations[1]);
        return M;
      }
      case "OffsetExpr":
      case "StepInvariantExpr":
        return this.modifier(n);
      case "FunctionCall":
        return this.call(n);
      case "AggregateExpr":
        return this.aggregate(n);
      case "BinaryExpr":
        return this.binary(n);
      default:
        this.fail(n, `unexpected ${n.name}`);
        return "none";
    }
  }

  private number(n: SyntaxNode): ValueType {
    const t = this.src(n);
    if (/^[+-]?(?:inf|nan)$/i.test(t)) return S;
    if (/^0[xX][0-9a-fA-F]+$/.test(t)) return S;
    // A duration where a number is expected is a Prometheus 3 experimental feature.
    if (durationNs(t) !== undefined && !/^\d+$/.test(t)) {
      this.fail(n, `unexpected duration "${t}"`);
      return S;
    }
    const v = Number(t);
    if (!Number.isFinite(v)) this.fail(n, `error parsing number: ${t} is out of range`);
    return S;
  }

  /** A range (`[5m]`, a subquery's range or step): one positive duration literal in range. */
  private range(d: SyntaxNode | null): void {
    if (!d) return;
    const lit = d.firstChild;
    if (!lit || lit.nextSibling || lit.name !== "NumberDurationLiteralInDurationContext") {
      this.fail(d, "experimental duration expression is not enabled");
      return;
    }
    const ns = durationNs(this.src(lit));
    if (ns === undefined) this.fail(d, "missing unit character in duration");
    else if (ns > MAX_NS) this.fail(d, "duration out of range");
    else if (ns === 0n) this.fail(d, "duration must be greater than 0");
  }

  /** `offset` and `@`, which must sit on a selector or subquery, each at most once. */
  private modifier(n: SyntaxNode): ValueType {
    let offsets = 0;
    let ats = 0;
    let base: SyntaxNode | null = n;
    while (base && (base.name === "OffsetExpr" || base.name === "StepInvariantExpr")) {
      if (base.name === "OffsetExpr") {
        offsets++;
        let d = base.getChild("OffsetDurationExpr");
        // `offset -5m` nests the literal under a unary sign.
        if (d?.firstChild?.name === "UnaryOp" && d.lastChild?.name === "OffsetDurationExpr") d = d.lastChild;
        const lit = d?.firstChild;
        if (!d || !lit || lit.nextSibling || lit.name !== "NumberDurationLiteralInDurationContext") {
          if (d) this.fail(d, "experimental duration expression is not enabled");
        } else {
          const ns = durationNs(this.src(lit));
          if (ns === undefined) this.fail(d, "missing unit character in duration");
          else if (ns > MAX_NS) this.fail(d, "duration out of range");
          else if (ns === 0n) this.fail(d, "duration must be greater than 0");
        }
      } else {
        ats++;
        const ts = base.getChild("NumberDurationLiteral");
        if (ts) {
          const v = Number(this.src(ts));
          if (!Number.isFinite(v) || Math.abs(v) >= 9.223372036854776e18)
            this.fail(base, `timestamp out of bounds for @ modifier: ${this.src(ts)}`);
        }
      }
      base = exprChildren(base)[0] ?? null;
    }
    if (!base) return "none";
    const t = this.check(base);
    // lezer-promql hangs a trailing `offset`/`@` on the whole binary or unary expression before it
    // (`a / b offset 1h` parses as `(a / b) offset 1h`), where Prometheus' grammar binds it tighter
    // than any operator (generated_parser.y: `%nonassoc OFFSET` below the operators): the modifier
    // belongs to the rightmost operand, and the operation's type is unchanged by it.
    let target: SyntaxNode | null = base;
    while (target && (target.name === "BinaryExpr" || target.name === "UnaryExpr")) {
      const operands = exprChildren(target);
      target = operands[operands.length - 1] ?? null;
    }
    if (target) base = target;
    if (base.name !== "VectorSelector" && base.name !== "MatrixSelector" && base.name !== "SubqueryExpr") {
      this.fail(
        n,
        `${offsets > 0 ? "offset" : "@"} modifier must be preceded by an instant vector selector or range vector selector or a subquery`,
      );
    }
    if (offsets > 1) this.fail(n, "offset may not be set multiple times");
    if (ats > 1) this.fail(n, "@ <timestamp> may not be set multiple times");
    return t;
  }

  private selector(n: SyntaxNode): void {
    const name = n.getChild("Identifier");
    const matchers = n.getChild("LabelMatchers");
    let nonEmpty = name !== null;
    let nameSet = name !== null;
    if (matchers) {
      for (let m = matchers.firstChild; m; m = m.nextSibling) {
        if (m.name === "QuotedLabelName") {
          // `{"metric.name"}`: a UTF-8 metric name, Prometheus 3 only.
          this.needsMajor3 = true;
          if (nameSet) this.fail(n, "metric name must not be set twice");
          nameSet = true;
          nonEmpty = true;
          continue;
        }
        if (m.name !== "UnquotedLabelMatcher" && m.name !== "QuotedLabelMatcher") continue;
        let label: string | undefined;
        if (m.name === "UnquotedLabelMatcher") {
          const l = m.getChild("LabelName");
          label = l ? this.src(l) : undefined;
        } else {
          this.needsMajor3 = true;
          const l = m.getChild("QuotedLabelName")?.getChild("StringLiteral");
          label = l ? unquoteGo(this.src(l)) : undefined;
        }
        const op = m.getChild("MatchOp")?.firstChild?.name;
        const valueNode = m.getChild("StringLiteral");
        const value = valueNode ? unquoteGo(this.src(valueNode)) : undefined;
        if (label === undefined || op === undefined || value === undefined) {
          this.fail(m, "invalid label matcher");
          continue;
        }
        if (label === "__name__" && name !== null)
          this.fail(n, `metric name must not be set twice: "${this.src(name)}" or "${value}"`);
        let matchesEmpty: boolean;
        if (op === "EqlRegex" || op === "NeqRegex") {
          const problem = re2Problem(value);
          if (problem !== undefined) {
            this.fail(m, `error parsing regexp: ${problem}`);
            continue;
          }
          const empty = fullMatcher(value)!.test("");
          matchesEmpty = op === "EqlRegex" ? empty : !empty;
        } else {
          matchesEmpty = op === "EqlSingle" ? value === "" : value !== "";
          if (op === "EqlSingle" && this.inAbsent > 0) this.absent.push([label, value]);
        }
        if (!matchesEmpty) nonEmpty = true;
      }
    }
    if (!nonEmpty) this.fail(n, "vector selector must contain at least one non-empty matcher");
  }

  private args(n: SyntaxNode): SyntaxNode[] {
    const body = n.getChild("FunctionCallBody");
    return body ? exprChildren(body) : [];
  }

  private call(n: SyntaxNode): ValueType {
    const id = n.getChild("FunctionIdentifier");
    const fname = id ? this.src(id) : "";
    const sig = FUNCTIONS.get(fname);
    const args = this.args(n);
    if (!sig) {
      this.fail(n, `unknown function with name "${fname}"`);
      for (const a of args) this.check(a);
      return V;
    }
    if (sig.since === 3) this.needsMajor3 = true;
    const nargs = sig.args.length;
    if (sig.variadic === 0) {
      if (args.length !== nargs)
        this.fail(n, `expected ${nargs} argument(s) in call to "${fname}", got ${args.length}`);
    } else {
      const na = nargs - 1;
      if (na > args.length)
        this.fail(n, `expected at least ${na} argument(s) in call to "${fname}", got ${args.length}`);
      else if (sig.variadic > 0 && na + sig.variadic < args.length)
        this.fail(
          n,
          `expected at most ${na + sig.variadic} argument(s) in call to "${fname}", got ${args.length}`,
        );
    }
    const absent = fname === "absent" || fname === "absent_over_time";
    if (absent) this.inAbsent++;
    args.forEach((a, i) => {
      let j = i;
      if (j >= nargs) {
        if (sig.variadic === 0) return;
        j = nargs - 1;
      }
      const want = sig.args[j]!;
      const t = this.check(a);
      if (t !== want) this.fail(a, `expected type ${want} in call to function "${fname}", got ${t}`);
    });
    if (absent) this.inAbsent--;
    if (fname === "label_replace" || fname === "label_join") {
      const dst = args[1];
      const v = dst?.name === "StringLiteral" ? unquoteGo(this.src(dst)) : undefined;
      if (v !== undefined) this.minted.push(v);
    }
    return sig.ret;
  }

  private aggregate(n: SyntaxNode): ValueType {
    const op = n.getChild("AggregateOp");
    const opName = op ? this.src(op) : "";
    const args = this.args(n);
    if (!AGGREGATIONS.has(opName)) {
      this.fail(n, `aggregation operator "${opName}" is not enabled`);
      for (const a of args) this.check(a);
      return V;
    }
    if (n.getChild("AggregateModifier")?.getChild("GroupingLabels")?.getChild("QuotedLabelName"))
      this.needsMajor3 = true;
    const withParam = SCALAR_PARAM.has(opName) || opName === "count_values";
    const expected = withParam ? 2 : 1;
    if (args.length !== expected) {
      this.fail(
        n,
        `wrong number of arguments for aggregate expression provided, expected ${expected}, got ${args.length}`,
      );
      for (const a of args) this.check(a);
      return V;
    }
    const expr = args[args.length - 1]!;
    const t = this.check(expr);
    if (t !== V) this.fail(expr, `expected type instant vector in aggregation expression, got ${t}`);
    if (withParam) {
      const param = args[0]!;
      const want = opName === "count_values" ? STR : S;
      const pt = this.check(param);
      if (pt !== want) this.fail(param, `expected type ${want} in aggregation parameter, got ${pt}`);
      if (opName === "count_values" && param.name === "StringLiteral") {
        const v = unquoteGo(this.src(param));
        if (v !== undefined) this.minted.push(v);
      }
    }
    return V;
  }

  private binary(n: SyntaxNode): ValueType {
    const [lhs, rhs] = exprChildren(n);
    const lt = this.check(lhs ?? null);
    const rt = this.check(rhs ?? null);
    let op = "";
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (EXPR_NODES.has(c.name) || c.name === "BoolModifier" || c.name === "MatchingModifierClause")
        continue;
      if (!c.firstChild && !c.type.isError) {
        op = this.src(c).toLowerCase();
        break;
      }
    }
    const bool = n.getChild("BoolModifier") !== null;
    const matching = n.getChild("MatchingModifierClause");
    const isComparison = COMPARISONS.has(op);
    const isSet = SET_OPS.has(op);
    if (bool && !isComparison) this.fail(n, "bool modifier can only be used on comparison operators");
    if (isComparison && !bool && lt === S && rt === S)
      this.fail(n, "comparisons between scalars must use BOOL modifier");
    let on = false;
    let group = false;
    const matchingLabels: string[] = [];
    const include: string[] = [];
    if (matching) {
      let seenGroup = false;
      for (let c = matching.firstChild; c; c = c.nextSibling) {
        if (c.name === "On") on = true;
        else if (c.name === "GroupLeft" || c.name === "GroupRight") {
          group = true;
          seenGroup = true;
        } else if (c.name === "GroupingLabels") {
          const names: string[] = [];
          for (let l = c.firstChild; l; l = l.nextSibling) {
            if (l.name === "LabelName") names.push(this.src(l));
            else if (l.name === "QuotedLabelName") {
              this.needsMajor3 = true;
              const s = l.getChild("StringLiteral");
              const v = s ? unquoteGo(this.src(s)) : undefined;
              if (v !== undefined) names.push(v);
            }
          }
          (seenGroup ? include : matchingLabels).push(...names);
        }
      }
    }
    if (on) {
      for (const l of matchingLabels)
        if (include.includes(l)) this.fail(n, `label "${l}" must not occur in ON and GROUP clause at once`);
    }
    if (lt !== S && lt !== V && lhs)
      this.fail(lhs, "binary expression must contain only scalar and instant vector types");
    if (rt !== S && rt !== V && rhs)
      this.fail(rhs, "binary expression must contain only scalar and instant vector types");
    if ((lt !== V || rt !== V) && matching) {
      if (matchingLabels.length > 0) this.fail(n, "vector matching only allowed between instant vectors");
    } else if (isSet && group) {
      this.fail(n, `no grouping allowed for "${op}" operation`);
    }
    if ((lt === S || rt === S) && isSet)
      this.fail(n, `set operator "${op}" not allowed in binary scalar expression`);
    return lt === S && rt === S ? S : V;
  }
}

/** The depth of the syntax tree under `node`, stopping once it passes `max` (no recursion). */
export function treeDepthExceeds(root: SyntaxNode, max: number): boolean {
  const cursor = root.cursor();
  let depth = 0;
  for (;;) {
    if (cursor.firstChild()) {
      if (++depth > max) return true;
      continue;
    }
    for (;;) {
      if (cursor.nextSibling()) break;
      if (!cursor.parent()) return false;
      depth--;
    }
  }
}

/**
 * Checks a syntactically valid expression (its lezer tree `top`) the way Prometheus 3's parser
 * does after parsing: types, arities, matchers, ranges, modifiers, functions. What Prometheus 2
 * would refuse on top of that is `facts.needsMajor3`.
 */
export function checkExpressionTree(text: string, top: SyntaxNode): ExprCheck {
  const c = new Checker(text);
  if (treeDepthExceeds(top, MAX_EXPR_DEPTH)) {
    return {
      problems: [`expression nests deeper than ${MAX_EXPR_DEPTH} levels`],
      facts: { mintedLabels: [], absentLabels: [], needsMajor3: false },
    };
  }
  const t = c.check(top);
  if (t === "none" && c.problems.length === 0)
    c.problems.push("1: expression must have a valid expression type");
  return {
    problems: [...new Set(c.problems)],
    facts: { mintedLabels: c.minted, absentLabels: c.absent, needsMajor3: c.needsMajor3 },
  };
}

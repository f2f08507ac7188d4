/**
 * The real Debian promtool (/usr/bin/promtool, Prometheus 2.42) as the judge of what the charm and
 * the library write: `check config`, `check rules`, and `test rules` used differentially to prove
 * that a relation's rules read and emit only its own application's series.
 *
 * The differential test evaluates every rule expression (as written in the rule file) twice: once
 * with input series of every application in the case (A), once with only the rule's own
 * application's series (B). A rule that reads only its own series gives the same samples (or the
 * same evaluation error) in both; every sample of A, with the rule's own labels laid over it (as
 * Prometheus does), must carry only the relation's true topology values. promtool prints the
 * samples it got when they differ from the expected (none), which is how the results are read
 * back (cmd/promtool/unittest.go). The rule file itself is not loaded there (`check rules` covers
 * it), so that one rule failing at evaluation does not hide the others.
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import type { Truth } from "./corpus.js";
import { allowedValue, TOPOLOGY_LABELS } from "./topology.js";
import { yamlSafeJson } from "./yaml-io.js";

export const PROMTOOL = "/usr/bin/promtool";

/** Result of one promtool run. */
export interface PromtoolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs promtool with `args` (60 s at most). */
export function promtool(args: string[], cwd?: string): Promise<PromtoolRun> {
  return new Promise((resolve) => {
    execFile(
      PROMTOOL,
      args,
      { cwd, timeout: 60_000, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The first lines of promtool's complaint, for a failure message. */
export function complaint(r: PromtoolRun): string {
  const text = `${r.stdout}\n${r.stderr}`
    .split("\n")
    .filter((l) => l.trim() && !/^Checking |SUCCESS/.test(l.trim()))
    .join(" | ");
  return text.slice(0, 400) || `exit ${r.code}`;
}

// --- reading PromQL: which metric names and equality matchers a rule's selectors use ------------

/** Decodes a PromQL string literal (Go escapes in "..." and '...'; `...` is raw). */
export function promqlString(lit: string): string {
  const q = lit[0];
  const body = lit.slice(1, -1);
  if (q === "`") return body;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const n = body[++i] ?? "";
    const simple: Record<string, string> = {
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
    if (n in simple) out += simple[n];
    else if (n === "x") {
      out += String.fromCharCode(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n === "u" || n === "U") {
      const len = n === "u" ? 4 : 8;
      out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 1 + len), 16) || 0xfffd);
      i += len;
    } else if (/[0-7]/.test(n)) {
      out += String.fromCharCode(Number.parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else out += n;
  }
  return out;
}

/** A vector selector: its metric name (if fixed) and its non-topology equality matchers. */
interface Selector {
  name: string | undefined;
  equals: Record<string, string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The vector selectors of a PromQL expression (best effort; an unparsable one gives none). */
export function selectors(expr: string): Selector[] {
  if (expr.length > 200_000) return [];
  const out: Selector[] = [];
  const tree = parser.parse(expr);
  const cursor = tree.cursor();
  do {
    if (cursor.name !== "VectorSelector") continue;
    const sel: Selector = { name: undefined, equals: {} };
    const node = cursor.node;
    const ident = node.getChild("Identifier");
    if (ident) sel.name = expr.slice(ident.from, ident.to);
    const matchers = node.getChild("LabelMatchers");
    for (const m of matchers ? matchers.getChildren("UnquotedLabelMatcher") : []) {
      const ln = m.getChild("LabelName");
      const op = m.getChild("MatchOp");
      const lit = m.getChild("StringLiteral");
      if (!ln || !op || !lit) continue;
      const label = expr.slice(ln.from, ln.to);
      if (expr.slice(op.from, op.to) !== "=") continue;
      const value = promqlString(expr.slice(lit.from, lit.to));
      if (label === "__name__") sel.name = value;
      else if (!(TOPOLOGY_LABELS as readonly string[]).includes(label) && LABEL_NAME.test(label))
        sel.equals[label] = value;
    }
    out.push(sel);
  } while (cursor.next());
  return out;
}

// --- input series ------------------------------------------------------------------------------

/** Names every application gets series for, whatever the rules reference. */
const ALWAYS = ["up", "http_requests_total", "good:http_requests:rate5m", "node_cpu_seconds_total"];

function quotePromql(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === "\\" || ch === '"') out += `\\${ch}`;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

function seriesText(name: string, labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${quotePromql(v)}`);
  return `${name}{${parts.join(", ")}}`;
}

/** Input series of one application: every name in `names`, for every unit, plus selector variants. */
function appSeries(
  t: Truth,
  names: string[],
  variants: Selector[],
  value: string,
): { series: string; values: string }[] {
  const out: { series: string; values: string }[] = [];
  const units = [...t.units].slice(0, 3);
  for (const [i, unit] of units.entries()) {
    const topo: Record<string, string> = {
      juju_model: t.model ?? "remote-model",
      juju_model_uuid: t.uuid,
      juju_application: t.app,
      juju_charm: `${t.app}-k8s`,
      juju_unit: unit,
      instance: `${t.app}-${i}:9000`,
      job: "j",
    };
    for (const name of names) out.push({ series: seriesText(name, topo), values: value });
    for (const v of variants) {
      if (!v.name || !METRIC_NAME.test(v.name) || Object.keys(v.equals).length === 0) continue;
      out.push({ series: seriesText(v.name, { ...topo, ...v.equals }), values: value });
    }
    // The ALERTS series a firing rule of this application would have.
    out.push({
      series: seriesText("ALERTS", { ...topo, alertname: "GoodAppDown", alertstate: "firing" }),
      values: "1x200",
    });
  }
  return out;
}

// --- promtool's "got" listing ------------------------------------------------------------------

/** One sample promtool printed: its labels and its value as printed. */
export interface Sample {
  labels: Record<string, string>;
  value: string;
}

function goUnquote(s: string, i: number): [string, number] {
  // s[i] is the opening quote of a strconv.Quote'd string.
  let j = i + 1;
  while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
  return [promqlString(s.slice(i, j + 1)), j + 1];
}

/** Parses promtool's `got:` listing: `{a="b", c="d"} 1E+00, {…} 2E+00` (or `nil`). */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  let i = 0;
  const s = text.trim();
  if (s === "nil" || s === "") return out;
  while (i < s.length) {
    if (s[i] !== "{") break;
    i++;
    const labels: Record<string, string> = {};
    while (s[i] !== "}") {
      const eq = s.indexOf("=", i);
      const name = s.slice(i, eq);
      const [value, next] = goUnquote(s, eq + 1);
      labels[name] = value;
      i = next;
      if (s.startsWith(", ", i)) i += 2;
    }
    i += 2; // "} "
    let end = s.indexOf(", {", i);
    if (end < 0) end = s.length;
    out.push({ labels, value: s.slice(i, end) });
    i = end + 2;
  }
  return out;
}

/** Eval time → samples (or "error" when the expression failed), from promtool test rules output. */
function gotByTime(output: string): Map<string, Sample[] | "error"> {
  const out = new Map<string, Sample[] | "error">();
  const lines = output.split("\n");
  for (let k = 0; k < lines.length; k++) {
    const e = /^\s*expr: .*, time: (\S+), err: /.exec(lines[k] as string);
    if (e) out.set(e[1] as string, "error");
    const m = /^\s*expr: .*, time: (\S+),\s*$/.exec(lines[k] as string);
    if (!m) continue;
    const got = lines.slice(k + 1, k + 4).find((l) => l.trim().startsWith("got:"));
    if (got) out.set(m[1] as string, parseSamples(got.trim().slice(4)));
  }
  return out;
}

function promDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}` || "0s";
}

/** At most this many rules per relation are evaluated (spread over the file). */
const MAX_RULES = 150;
const EVAL_BASES = [10 * 60, 70 * 60, 130 * 60];

/**
 * Evaluates the rules of one relation (`rules`, loaded from `ruleFile`) differentially and checks
 * what they emit. Returns the violations found (empty when the rules are confined).
 */
export async function differentialRuleTest(opts: {
  dir: string;
  rules: Record<string, unknown>[];
  owner: Truth;
  all: Truth[];
}): Promise<string[]> {
  const { dir, owner } = opts;
  const step = Math.max(1, Math.ceil(opts.rules.length / MAX_RULES));
  const rules = opts.rules
    .filter((_r, i) => i % step === 0)
    .filter((r) => typeof r.expr === "string" || typeof r.expr === "number");
  if (rules.length === 0) return [];
  const exprs = rules.map((r) => String(r.expr));
  const sels = exprs.flatMap((e) => {
    try {
      return selectors(e);
    } catch {
      return [];
    }
  });
  const names = [
    ...new Set([
      ...ALWAYS,
      ...sels.map((s) => s.name).filter((n): n is string => !!n && METRIC_NAME.test(n)),
    ]),
  ].slice(0, 60);
  const variants = sels.filter((s) => Object.keys(s.equals).length > 0).slice(0, 40);
  const tests = (apps: Truth[]) => ({
    interval: "1m",
    input_series: apps.flatMap((t, i) =>
      appSeries(t, names, variants, i === 0 ? "1+1x200" : `${100 * (i + 1)}+${10 * (i + 1)}x200`),
    ),
    promql_expr_test: exprs.flatMap((expr, i) =>
      EVAL_BASES.map((b) => ({ expr, eval_time: promDuration(b + i), exp_samples: [] })),
    ),
  });
  const others = opts.all.filter((t) => t.id !== owner.id && t.app !== owner.app);
  const write = (name: string, apps: Truth[]) => {
    const f = join(dir, name);
    writeFileSync(f, yamlSafeJson({ rule_files: [], evaluation_interval: "1m", tests: [tests(apps)] }));
    return f;
  };
  mkdirSync(dir, { recursive: true });
  const [a, b] = await Promise.all([
    promtool(["test", "rules", write("test-all.yml", [owner, ...others])], dir),
    promtool(["test", "rules", write("test-own.yml", [owner])], dir),
  ]);
  const out: string[] = [];
  for (const [name, r] of [
    ["all", a],
    ["own", b],
  ] as const) {
    // Exit 1 with FAILED blocks is the normal way results come back; anything else is an error.
    if (r.code !== 0 && !/FAILED:\s*\n\s*expr:/.test(r.stdout + r.stderr))
      out.push(
        `promtool test rules (${name} applications) could not evaluate relation ${owner.id}'s rules: ${complaint(r)}`,
      );
  }
  if (out.length) return out;
  const gotA = gotByTime(a.stdout + a.stderr);
  const gotB = gotByTime(b.stdout + b.stderr);
  for (const [i, rule] of rules.entries()) {
    const ruleName = JSON.stringify(String(rule.alert ?? rule.record)).slice(0, 60);
    const labels =
      typeof rule.labels === "object" && rule.labels !== null ? (rule.labels as Record<string, unknown>) : {};
    for (const base of EVAL_BASES) {
      const t = promDuration(base + i);
      const sa = gotA.get(t) ?? [];
      const sb = gotB.get(t) ?? [];
      const key = (s: Sample[] | "error") =>
        s === "error"
          ? s
          : s
              .map((x) => `${JSON.stringify(Object.entries(x.labels).sort())} ${x.value}`)
              .sort()
              .join("\n");
      const count = (s: Sample[] | "error") =>
        s === "error" ? "an evaluation error" : `${s.length} samples`;
      if (key(sa) !== key(sb)) {
        out.push(
          `rule ${ruleName} of relation ${owner.id} reads other applications' series: at ${t} it gives ${count(sa)} with every application's series and ${count(sb)} with only its own`,
        );
        break;
      }
      if (sa === "error") continue;
      const bad = new Set<string>();
      for (const s of sa) {
        for (const l of TOPOLOGY_LABELS) {
          const fromRule = labels[l];
          const v = fromRule !== undefined && fromRule !== null ? String(fromRule) : s.labels[l];
          if (v === undefined || v === "" || v.includes("{{") || allowedValue(owner, l, v)) continue;
          bad.add(`${l}=${JSON.stringify(v)}`);
        }
      }
      if (bad.size) {
        out.push(`rule ${ruleName} of relation ${owner.id} emits ${[...bad].slice(0, 4).join(", ")}`);
        break;
      }
    }
  }
  return out;
}

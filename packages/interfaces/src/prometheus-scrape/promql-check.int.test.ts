/**
 * The PromQL checks against the real thing: every expression below is also given to the Debian
 * `promtool check rules` (Prometheus 2.42), and our verdict for Prometheus 2 must be promtool's.
 * Checks follow `promql/parser/parse.go` (`checkAST`) and `functions.go` of prometheus/prometheus.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { checkExpression, expressionFacts } from "./promql.js";

const PROMTOOL = "/usr/bin/promtool";

/** Expressions Prometheus refuses after parsing, each for a different reason. */
const REFUSED = [
  "rate(up)",
  "rate(up[5m], 1)",
  "absent()",
  "time(1)",
  "round(up, 1, 2)",
  "hour(up, up)",
  'label_join(up, "a")',
  "histogram_quantile(0.9)",
  "1 > 2",
  "scalar(up) > 1",
  "up + bool up",
  "1 and 1",
  "up and 1",
  "up and on(a) group_left up",
  "up + on(a) group_left(a) up",
  '-"a"',
  '{a=""}',
  '{a=~".*"}',
  '{a!="x"}',
  "{}",
  'up{__name__="x"}',
  'up{a=~"("}',
  'up{a=~"\\\\Z"}',
  'up{a=~"a{1001}"}',
  'up{a=~"[[:foo:]]"}',
  "up offset 5m offset 5m",
  "up[5m] offset 1m offset 1m",
  "(up offset 1m) offset 1m",
  "rate(up[5m]) offset 1m",
  "up @ 1 @ 2",
  "sum(up) @ 1",
  "up @ Inf",
  "up[0s]",
  "rate(up[0s])",
  "up[5m:0s]",
  "up offset 0s",
  "up[300y]",
  "up offset 300y",
  "rate(up[300])",
  "5m",
  "1e400",
  "x[5m][5m]",
  "sum(up, up)",
  "topk(up)",
  'quantile("a", up)',
  "count_values(1, up)",
  'sort_by_label(up, "a")',
  "histogram_avg(up)",
  "limitk(1, up)",
  "mad_over_time(up[5m])",
  "info(up)",
  '{"up"}',
  'up{"a"="b"}',
  // A modifier or range after an operation belongs to its rightmost operand (lezer-promql hangs
  // it on the whole operation).
  "up / up offset 1m offset 1m",
  "up / (up) offset 1m",
  "rate(up / up[5m:1m])",
  "rate(-up[5m:1m])",
  "up / up[5m] offset 1m",
];

/** Expressions Prometheus loads, some of them close to a refused one above. */
const ACCEPTED = [
  "up",
  "up / up offset 1h",
  "rate(up[5m]) / up offset 1h",
  "up + up * up offset 1h",
  "up / -up offset 1h",
  "-up offset 1h",
  "up > bool up @ 100",
  "up / on(job) up offset 5m @ 100",
  "rate(up[5m] offset 1h) / up offset 1h",
  "rate(up[5m])",
  "1 > bool 2",
  "up == bool 1",
  "vector(1) > bool 1",
  "up > 1 < 2",
  "up unless on() vector(1)",
  "up or on(a) up",
  "up + ignoring(a) group_right(b) up",
  '"a"',
  "Inf",
  "NaN",
  "0x10 > bool 1",
  '{__name__="up"}',
  "up{}",
  'up{a=~"x|y"}',
  "up offset -5m",
  "up offset 1m @ 1",
  "up @ 1 offset 1m",
  "up @ -1",
  "up @ start()",
  "up[5m] @ 1",
  "up[1m] offset 5m @ 10",
  "up[5m:1m] @ 1 offset 1m",
  "rate(x[5m])[10m:]",
  "rate(up[5m:])",
  "up offset 1m[5m:]",
  "up[1h30m]",
  "days_in_month()",
  'label_join(up, "a", ",", "b", "c")',
  'label_replace(up, "a", "$1", "a", "(")',
  'count_values("a", rate(up[5m]))',
  "topk(scalar(up), up)",
  "quantile(0.5, rate(up[5m]))",
  "histogram_fraction(0, 1, up)",
  "sum without() (up)",
  "sum by (__name__) (up)",
  "present_over_time(up[5m])",
  "up # a comment",
  "up{a='x'}",
  "up{a=`x`}",
  'absent(nonexistent{job="x"})',
];

function promtoolVerdicts(exprs: readonly string[]): boolean[] {
  const dir = mkdtempSync(join(tmpdir(), "promql-check-"));
  const file = join(dir, "rules.yml");
  const rules = exprs.map((e, i) => `  - record: r${i}\n    expr: ${JSON.stringify(e)}\n`).join("");
  writeFileSync(file, `groups:\n- name: g\n  rules:\n${rules}`);
  let out = "";
  try {
    execFileSync(PROMTOOL, ["check", "rules", file], { stdio: "pipe" });
  } catch (e) {
    const x = e as { stdout?: Buffer; stderr?: Buffer };
    out = `${x.stdout?.toString() ?? ""}${x.stderr?.toString() ?? ""}`;
  }
  return exprs.map((_, i) => !new RegExp(`rule ${i + 1}, "r${i}"`).test(out));
}

describe("PromQL checks", () => {
  test("refuse what Prometheus refuses, accept what it accepts (Prometheus 2 verdicts)", () => {
    for (const e of REFUSED) assert.ok(checkExpression(e, 2) !== undefined, `refused: ${e}`);
    for (const e of ACCEPTED) assert.equal(checkExpression(e, 2), undefined, e);
  });

  test("the same verdicts from the real promtool", { skip: !existsSync(PROMTOOL) }, () => {
    const all = [...REFUSED, ...ACCEPTED];
    const real = promtoolVerdicts(all);
    all.forEach((e, i) => {
      assert.equal(real[i], i >= REFUSED.length, `promtool on ${e}`);
    });
  });

  test("functions and UTF-8 names added in Prometheus 3 are accepted for 3 only", () => {
    for (const e of ["histogram_avg(up)", '{"up"}', 'up{"a"="b"}', 'sum by ("a") (up)']) {
      assert.equal(checkExpression(e, 3), undefined, e);
      assert.ok(checkExpression(e, 2), e);
    }
    // Experimental functions need a feature flag the charm never sets.
    assert.ok(checkExpression('sort_by_label(up, "a")', 3));
  });

  test("problems are named in Prometheus' words", () => {
    assert.match(checkExpression("rate(up)") ?? "", /expected type range vector in call to function "rate"/);
    assert.match(checkExpression("1 > 2") ?? "", /comparisons between scalars must use BOOL modifier/);
    assert.match(checkExpression("up offset 5m offset 5m") ?? "", /offset may not be set multiple times/);
    assert.match(checkExpression('up{a=~"("}') ?? "", /error parsing regexp/);
  });

  test("nesting is bounded", () => {
    const deep = `${"(".repeat(300)}up${")".repeat(300)}`;
    assert.match(checkExpression(deep) ?? "", /nests deeper than/);
    assert.equal(checkExpression(`${"(".repeat(50)}up${")".repeat(50)}`), undefined);
  });

  test("facts: labels an expression creates and absent()'s output labels", () => {
    const f = expressionFacts(
      'label_replace(up, "juju_unit", "$1", "a", "(.*)") + on() group_left count_values("juju_model", up)',
    );
    assert.deepEqual([...f.mintedLabels].sort(), ["juju_model", "juju_unit"]);
    const a = expressionFacts('absent(nope{juju_unit="x/0", job=~"a"})');
    assert.deepEqual(a.absentLabels, [["juju_unit", "x/0"]]);
    assert.deepEqual(expressionFacts('label_join(up, "dst", ",", "a")').mintedLabels, ["dst"]);
  });
});

// Tests of PromQL topology injection and rule/group validation.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parser } from "@prometheus-io/lezer-promql";
import {
  checkExpression,
  clearParseCache,
  dumpParseCache,
  injectTopology,
  loadParseCache,
  parseCacheChanged,
  isPromDuration,
  PromQLError,
  quotePromQLString,
  stripTopologyPlaceholder,
  unquotePromQLString,
  validateGroups,
  validateRule,
} from "./promql.js";

const T = {
  juju_model: "lma",
  juju_model_uuid: "a1b2c3d4-1111-4222-8333-444455556666",
  juju_application: "app",
};
const M = 'juju_application="app",juju_model="lma",juju_model_uuid="a1b2c3d4-1111-4222-8333-444455556666"';

describe("injectTopology", () => {
  const cases: [string, string][] = [
    ["up", `up{${M}}`],
    ["up{}", `up{${M}}`],
    ["up < 1", `up{${M}} < 1`],
    ["absent(up)", `absent(up{${M}})`],
    ['up{job="x"}', `up{job="x",${M}}`],
    ['up{zone="a", job=~"x.*"}', `up{job=~"x.*",${M},zone="a"}`],
    ['{__name__="x"}', `{__name__="x",${M}}`],
    ['{__name__=~"node_.*", a!="b"}', `{__name__=~"node_.*",a!="b",${M}}`],
    ['{"my.metric", a="b"}', `{"my.metric",a="b",${M}}`],
    ["rate(x[5m]) > 1", `rate(x{${M}}[5m]) > 1`],
    ["sum by (a) (rate(x[5m]))", `sum by (a) (rate(x{${M}}[5m]))`],
    ["sum(rate(x[5m])) without (instance)", `sum(rate(x{${M}}[5m])) without (instance)`],
    ["up offset 5m", `up{${M}} offset 5m`],
    ["up offset -5m", `up{${M}} offset -5m`],
    ["rate(up[5m] offset 1h @ 1609746000)", `rate(up{${M}}[5m] offset 1h @ 1609746000)`],
    ["up @ start()", `up{${M}} @ start()`],
    ["max_over_time(up[5m:1m])", `max_over_time(up{${M}}[5m:1m])`],
    ["rate(up[5m])[10m:]", `rate(up{${M}}[5m])[10m:]`],
    ["a / on(x) group_left(y) b", `a{${M}} / on(x) group_left(y) b{${M}}`],
    ["a > bool 1", `a{${M}} > bool 1`],
    ["a and b or c unless d", `a{${M}} and b{${M}} or c{${M}} unless d{${M}}`],
    ["-up", `-up{${M}}`],
    ["(up)", `(up{${M}})`],
    [
      "histogram_quantile(0.9, sum(rate(x_bucket[5m])) by (le))",
      `histogram_quantile(0.9, sum(rate(x_bucket{${M}}[5m])) by (le))`,
    ],
    ['count_values("up{}", up)', `count_values("up{}", up{${M}})`],
    [
      'label_replace(up, "dst", "up{a}", "src", "(.*)")',
      `label_replace(up{${M}}, "dst", "up{a}", "src", "(.*)")`,
    ],
    ["topk(3, job:req:rate5m)", `topk(3, job:req:rate5m{${M}})`],
    ["1 + 2", "1 + 2"],
    ['"up"', '"up"'],
    ["vector(1)", "vector(1)"],
    ["time() - 3", "time() - 3"],
    ["up # a comment with up{x}\n> 0", `up{${M}} # a comment with up{x}\n> 0`],
    ['up{job="a\\"}b"}', `up{job="a\\"}b",${M}}`],
  ];
  for (const [input, expected] of cases) {
    it(`injects into ${JSON.stringify(input)}`, () => {
      assert.equal(injectTopology(input, T), expected);
    });
  }

  it("replaces a matcher the rule wrote on an injected label, whatever its operator", () => {
    assert.equal(injectTopology('up{juju_model=~".*",job="x"}', T), `up{job="x",${M}}`);
    assert.equal(injectTopology('up{juju_application!="app"}', T), `up{${M}}`);
    assert.equal(injectTopology('up{"juju_model"="other"}', T), `up{${M}}`);
  });

  it("keeps labels that are not injected, such as juju_unit and juju_charm", () => {
    assert.equal(
      injectTopology('up{juju_unit="app/0",juju_charm="c"} == 0', T),
      `up{${M.replace(',juju_model="lma"', ',juju_charm="c",juju_model="lma"')},juju_unit="app/0"} == 0`,
    );
  });

  it("sorts injected matchers by name whatever the input order, and escapes values like Go's strconv.Quote", () => {
    assert.equal(injectTopology("up", { z: "1", a: 'q"\\\n' }), 'up{a="q\\"\\\\\\n",z="1"}');
    assert.equal(quotePromQLString("tab\there\x01é"), '"tab\\there\\x01é"');
  });

  it("returns the expression unchanged when there is nothing to inject", () => {
    assert.equal(injectTopology("rate( up[5m] )", {}), "rate( up[5m] )");
  });

  it("produces valid PromQL that parses to the same structure plus matchers", () => {
    const out = injectTopology(
      "sum(rate(http_requests_total{code=~'5..'}[5m])) / sum(rate(http_requests_total[5m]))",
      T,
    );
    assert.equal(checkExpression(out), undefined);
    assert.equal(out.split("juju_model_uuid=").length - 1, 2);
  });

  it("throws a PromQLError with the position of the first syntax error", () => {
    assert.throws(
      () => injectTopology('up[juju_unit="unit/42"] == 0', T),
      (e: unknown) => e instanceof PromQLError && e.position === 3 && e.expr.startsWith("up["),
    );
    assert.throws(
      () => injectTopology("up +", T),
      (e: unknown) => e instanceof PromQLError && e.position === 4,
    );
    assert.throws(() => injectTopology("", T), PromQLError);
    assert.throws(() => injectTopology("up{%%juju_topology%%}", T), PromQLError);
    assert.throws(() => injectTopology("sum(up", T), PromQLError);
  });

  it("does not re-parse an expression it has seen (cache) yet gives per-topology results", () => {
    const a = injectTopology("up == 0", { juju_application: "a" });
    const b = injectTopology("up == 0", { juju_application: "b" });
    assert.equal(a, 'up{juju_application="a"} == 0');
    assert.equal(b, 'up{juju_application="b"} == 0');
  });

  it("agrees with the parser on which selectors exist (property over a corpus)", () => {
    const corpus = cases.map(([i]) => i);
    for (const expr of corpus) {
      let selectors = 0;
      parser.parse(expr).iterate({
        enter(n) {
          if (n.name === "VectorSelector") selectors++;
        },
      });
      assert.equal(
        injectTopology(expr, { zz_injected: "v" }).split('zz_injected="v"').length - 1,
        selectors,
        expr,
      );
    }
  });
});

describe("stripTopologyPlaceholder", () => {
  it("removes the placeholder and one following comma, in every position", () => {
    assert.equal(stripTopologyPlaceholder("up{%%juju_topology%%} == 0"), "up{} == 0");
    assert.equal(stripTopologyPlaceholder('up{%%juju_topology%%,job="x"}'), 'up{job="x"}');
    assert.equal(stripTopologyPlaceholder('up{%%juju_topology%%, juju_unit="a/0"}'), 'up{ juju_unit="a/0"}');
    assert.equal(stripTopologyPlaceholder("a{%%juju_topology%%} / b{%%juju_topology%%}"), "a{} / b{}");
    assert.equal(stripTopologyPlaceholder("up"), "up");
  });
  it("combined with injection gives cos-tool's result", () => {
    assert.equal(
      injectTopology(stripTopologyPlaceholder('up{%%juju_topology%%, juju_unit="app/0"} == 0'), T),
      `up{${M},juju_unit="app/0"} == 0`,
    );
  });
});

describe("unquotePromQLString", () => {
  it("decodes double, single and backtick quoted strings", () => {
    assert.equal(unquotePromQLString('"a\\"b\\n"'), 'a"b\n');
    assert.equal(unquotePromQLString("'it\\'s'"), "it's");
    assert.equal(unquotePromQLString("`raw\\n`"), "raw\\n");
    assert.equal(unquotePromQLString('"\\x41\\u00e9"'), "Aé");
  });
});

describe("validateRule", () => {
  it("refuses what Prometheus' rule loader refuses beyond the expression", () => {
    const one = (rule: Record<string, unknown>, major = 3) =>
      validateRule({ alert: "A", expr: "up", ...rule }, major);
    assert.match(one({ labels: { __name__: "x" } }).join(), /invalid label name '__name__'/);
    assert.match(one({ annotations: { a: "{{ $labels.x " } }).join(), /template: unclosed action/);
    assert.match(one({ annotations: { a: "{{ nope }}" } }).join(), /function "nope" not defined/);
    assert.match(one({ for: "300y" }).join(), /'for' is not a valid duration/);
    assert.match(one({ labels: { a: "x\ud800" } }).join(), /lone surrogate/);
    assert.match(one({ expr: "rate(up)" }).join(), /expected type range vector/);
    assert.match(one({ expr: "histogram_avg(up)" }, 2).join(), /Prometheus 3/);
    assert.deepEqual(one({ expr: "histogram_avg(up)" }, 3), []);
    // Recording rules' labels are not templates.
    assert.deepEqual(validateRule({ record: "r", expr: "up", labels: { a: "{{" } }), []);
  });
  it("group keys follow the Prometheus version", () => {
    const groups = [{ name: "g", query_offset: "1m", rules: [{ alert: "A", expr: "up" }] }];
    assert.deepEqual(validateGroups(groups, 3), []);
    assert.match(validateGroups(groups, 2).join(), /query_offset not found/);
    assert.match(
      validateGroups([{ name: "g", limit: 1e20, rules: [{ alert: "A", expr: "up" }] }]).join(),
      /limit/,
    );
  });
  it("accepts a valid alerting rule and a valid recording rule", () => {
    assert.deepEqual(
      validateRule({
        alert: "A",
        expr: "up == 0",
        for: "5m",
        keep_firing_for: "1h30m",
        labels: { severity: "page" },
        annotations: { summary: "x" },
      }),
      [],
    );
    assert.deepEqual(
      validateRule({ record: "job:up:sum", expr: "sum by (job) (up)", labels: { a: "b" } }),
      [],
    );
  });

  it("names each problem", () => {
    assert.deepEqual(validateRule("nope"), ["a rule must be a map"]);
    assert.deepEqual(validateRule({ expr: "up" }), ["one of 'record' or 'alert' must be set"]);
    assert.deepEqual(validateRule({ alert: "A", record: "b", expr: "up" }), [
      "only one of 'record' and 'alert' may be set",
    ]);
    assert.deepEqual(validateRule({ alert: "A" }), ["field 'expr' must be set in rule"]);
    assert.match(
      validateRule({ alert: "A", expr: "up +" })[0]!,
      /could not parse expression: invalid PromQL at position 4/,
    );
    assert.deepEqual(validateRule({ alert: "A", expr: "up", for: "5 minutes" }), [
      `'for' is not a valid duration: "5 minutes"`,
    ]);
    assert.deepEqual(validateRule({ alert: "A", expr: "up", keep_firing_for: "1x" }), [
      `'keep_firing_for' is not a valid duration: "1x"`,
    ]);
    assert.deepEqual(validateRule({ record: "bad-name", expr: "up" }), [
      'invalid recording rule name "bad-name"',
    ]);
    assert.deepEqual(validateRule({ record: "r", expr: "up", for: "1m" }), [
      "invalid field 'for' in recording rule",
    ]);
    assert.deepEqual(validateRule({ alert: "A", expr: "up", labels: { "bad-label": "x", ok: 1 } }), [
      "invalid label name 'bad-label'",
      "label 'ok' must be a string",
    ]);
    assert.deepEqual(validateRule({ alert: "A", expr: "up", annotations: ["x"] }), [
      "'annotations' must be a map of strings",
    ]);
    assert.deepEqual(validateRule({ alert: "A", expr: "up", severity: "x" }), [
      "unknown rule field 'severity'",
    ]);
  });
});

describe("isPromDuration", () => {
  it("follows Prometheus' duration syntax", () => {
    for (const ok of ["0", "5m", "1h30m", "1y2w3d4h5m6s7ms", "30s", 0])
      assert.equal(isPromDuration(ok), true, String(ok));
    for (const bad of ["", "5", "m", "1.5h", "5m1h", "-1m", "1 m", 5, null]) {
      assert.equal(isPromDuration(bad), false, String(bad));
    }
  });
  it("stays within Go's time.Duration (int64 nanoseconds, about 292 years)", () => {
    assert.equal(isPromDuration("292y"), true);
    assert.equal(isPromDuration("293y"), false);
    assert.equal(isPromDuration("9223372036854ms"), true);
    assert.equal(isPromDuration("9223372036855ms"), false);
    assert.equal(isPromDuration("99999999999999999999s"), false);
  });
});

describe("validateGroups", () => {
  it("accepts a valid file and reports repeated names, empty groups, bad interval and bad rules", () => {
    assert.deepEqual(
      validateGroups([{ name: "g", interval: "1m", rules: [{ alert: "A", expr: "up" }] }]),
      [],
    );
    assert.deepEqual(
      validateGroups([
        { name: "g", rules: [{ alert: "A", expr: "up" }] },
        { name: "g", rules: [{ alert: "B", expr: "up" }] },
        { name: "e", rules: [] },
        { name: "i", interval: "often", rules: [{ alert: "C", expr: "up" }] },
        { rules: [{ alert: "D", expr: "up ==" }] },
      ]),
      [
        'groupname: "g" is repeated in the same file',
        "group 'e': has no rules",
        `group 'i': 'interval' is not a valid duration: "often"`,
        "group 4: group name must not be empty",
        'group 4, rule 0: could not parse expression: invalid PromQL at position 5: unexpected end of expression in "up =="',
      ],
    );
    assert.deepEqual(validateGroups({}), ["'groups' must be a list"]);
  });
});

describe("persisted parse cache", () => {
  const EXPRS = [
    'rate(http_requests_total{code=~"5..",juju_model="x"}[5m]) > 0',
    "up < 1 and on(instance) absent(node_load1)",
    'sum by (job) (rate({"my.metric", a="b"}[5m] offset 1h))',
    "vector(1)",
  ];
  const inject = () => EXPRS.map((e) => injectTopology(e, T));

  it("round-trips: loaded parses inject exactly like fresh ones, without parsing again", () => {
    clearParseCache();
    const fresh = inject();
    assert.equal(parseCacheChanged(), true);
    const dump = dumpParseCache();
    assert.equal(parseCacheChanged(), false, "a dump syncs the cache");
    clearParseCache();
    assert.equal(loadParseCache(dump), EXPRS.length);
    assert.deepEqual(inject(), fresh);
    assert.equal(parseCacheChanged(), false, "every expression came from the loaded cache");
    assert.equal(loadParseCache(dump), 0, "entries already cached are not added twice");
    injectTopology("up == 0", T);
    assert.equal(parseCacheChanged(), true, "a new expression is parsed");
  });

  it("keeps only the most recent entries when asked for fewer", () => {
    clearParseCache();
    inject();
    const doc = JSON.parse(dumpParseCache(2)) as { entries: [string, unknown][] };
    assert.deepEqual(
      doc.entries.map(([e]) => e),
      EXPRS.slice(-2),
    );
  });

  it("skips entries that do not fit their expression and ignores foreign or broken files", () => {
    clearParseCache();
    inject();
    const doc = JSON.parse(dumpParseCache()) as { format: string; entries: [string, unknown[]][] };
    const [first, second, third] = doc.entries;
    const tampered = {
      format: doc.format,
      entries: [
        // positions past the end of the text
        [first![0], [[500, 510, false, []]]],
        // a braced site whose positions do not sit between braces
        [second![0], [[0, 2, false, []]]],
        // a matcher text that is not in the selector
        [
          third![0],
          [[(third![1][0] as number[])[0], (third![1][0] as number[])[1], false, [["a", 'zz="q"']]]],
        ],
        // not even an entry
        "up",
        doc.entries[3],
      ],
    };
    clearParseCache();
    assert.equal(loadParseCache(JSON.stringify(tampered)), 1, "only the intact entry is taken");
    assert.equal(loadParseCache(JSON.stringify({ ...doc, format: "something-else/9" })), 0);
    assert.equal(loadParseCache("{not json"), 0);
    assert.equal(loadParseCache('"a string"'), 0);
    // The skipped expressions are parsed again and still come out right.
    clearParseCache();
    const fresh = inject();
    clearParseCache();
    loadParseCache(JSON.stringify(tampered));
    assert.deepEqual(inject(), fresh);
  });
});

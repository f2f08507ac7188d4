// Grafana's query-time templating as the stand-in's page does it. The expected values follow
// Grafana's sources named in templating.ts (rangeutil.ts, the Prometheus datasource's
// datasource.ts and escaping.ts, metric_find_query.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ALL_VALUE,
  applyVariableRegex,
  calculateIntervalMs,
  formatValue,
  initialSelection,
  interpolate,
  intervalToSeconds,
  parseTime,
  parseVariableQuery,
  planRangeQuery,
  prometheusSpecialRegexEscape,
  type ResolvedVariable,
  referencedNames,
  resolutionOrder,
  roundInterval,
  secondsToHms,
  seriesName,
  sortOptions,
  TemplatingError,
} from "./templating.js";

function variable(name: string, values: string[], current: string[], extra: Partial<ResolvedVariable> = {}) {
  const v: ResolvedVariable = {
    name,
    multi: true,
    includeAll: true,
    allValue: undefined,
    options: values.map((x) => ({ text: x, value: x })),
    current,
    ...extra,
  };
  return v;
}

test("intervals: Grafana's parsing, rounding and printing", () => {
  assert.equal(intervalToSeconds("1m"), 60);
  assert.equal(intervalToSeconds("15s"), 15);
  assert.equal(intervalToSeconds("30"), 30);
  assert.equal(intervalToSeconds("2h"), 7200);
  assert.throws(() => intervalToSeconds("soon"), TemplatingError);
  assert.equal(roundInterval(21600), 20000); // 6 h over 1000 px: 21.6 s -> 20 s
  assert.equal(roundInterval(9), 1);
  assert.equal(roundInterval(100_000), 120000);
  assert.equal(roundInterval(1e12), 31536000000);
  assert.equal(secondsToHms(60), "1m");
  assert.equal(secondsToHms(90), "1m");
  assert.equal(secondsToHms(20), "20s");
  assert.equal(secondsToHms(0.5), "500ms");
  assert.equal(secondsToHms(86400 * 2), "2d");
});

test("time: now-relative, epoch milliseconds and ISO dates", () => {
  const now = Date.UTC(2026, 0, 1, 12);
  assert.equal(parseTime("now", now), now);
  assert.equal(parseTime("now-6h", now), now - 6 * 3600_000);
  assert.equal(parseTime("now+5m", now), now + 300_000);
  assert.equal(parseTime("1700000000000", now), 1700000000000);
  assert.equal(parseTime("2026-01-01T00:00:00Z", now), Date.UTC(2026, 0, 1));
  assert.throws(() => parseTime("yesterday", now), /not a time/);
});

test("the panel interval: range over width, rounded, never below the scrape interval", () => {
  const sixHours = { from: 0, to: 6 * 3600_000 };
  assert.equal(calculateIntervalMs(sixHours, 1000), 20000);
  assert.equal(calculateIntervalMs(sixHours, 1000, "1m"), 60000);
  assert.equal(calculateIntervalMs({ from: 0, to: 300_000 }, 1000), 200);
});

test("range query: step, aligned range and $__rate_interval as the Prometheus datasource computes them", () => {
  const to = 1_800_000_000_000;
  const range = { from: to - 6 * 3600_000, to };
  // The prometheus-k8s charm publishes timeInterval 1m: the step cannot go below it, and
  // $__rate_interval = max(60 + 60, 4 * 60).
  const p = planRangeQuery({ range, maxDataPoints: 1000, scrapeInterval: "1m" });
  assert.equal(p.step, 60);
  assert.equal(p.builtins.__rate_interval, "240s");
  assert.equal(p.builtins.__interval, "60s");
  assert.equal(p.builtins.__range, "21600s");
  assert.equal(p.start % 60, 0);
  assert.equal(p.end % 60, 0);
  assert.ok(p.end <= to / 1000 && p.end > to / 1000 - 60);
  // No scrape interval from the datasource: Grafana assumes 15 s, so a 20 s step and a rate
  // window of max(20 + 15, 4 * 15) = 60 s.
  const q = planRangeQuery({ range, maxDataPoints: 1000 });
  assert.equal(q.step, 20);
  assert.equal(q.builtins.__rate_interval, "60s");
  // A target's min step wins over the computed interval and is the rate's scrape interval.
  const r = planRangeQuery({ range, maxDataPoints: 1000, targetInterval: "5m", scrapeInterval: "1m" });
  assert.equal(r.step, 300);
  assert.equal(r.builtins.__rate_interval, "1200s");
  // However few points the panel asks for, a query stays under Prometheus' 11,000 points.
  const narrow = planRangeQuery({ range: { from: 0, to: 7 * 86400_000 }, maxDataPoints: 10 });
  assert.ok((7 * 86400) / narrow.step <= 11000);
});

test("variables: Prometheus' default format, All, custom All values and named formats", () => {
  const vars = new Map<string, ResolvedVariable>([
    ["app", variable("app", ["prometheus", "targets-a"], [ALL_VALUE])],
    ["one", variable("one", ["cos"], ["cos"], { multi: false, includeAll: false })],
    ["uuid", variable("uuid", ["u1", "u2"], [ALL_VALUE], { allValue: ".*" })],
    ["picked", variable("picked", ["a.b", "c"], ["a.b"])],
    ["both", variable("both", ["a", "b"], ["a", "b"])],
  ]);
  assert.equal(
    interpolate('up{juju_application=~"$app"}', vars),
    'up{juju_application=~"(prometheus|targets-a)"}',
  );
  assert.equal(interpolate('up{m="$one",u=~"${uuid}"}', vars), 'up{m="cos",u=~".*"}');
  // A regex metacharacter in a multi-value variable is escaped for PromQL's string and RE2.
  assert.equal(interpolate('x{l=~"$picked"}', vars), 'x{l=~"a\\\\.b"}');
  assert.equal(prometheusSpecialRegexEscape("a.b"), "a\\\\.b");
  assert.equal(
    interpolate("${both:pipe} [[both:csv]] ${both:raw} ${both:regex} ${both:json}", vars),
    'a|b a,b a,b (a|b) ["a","b"]',
  );
  // Built-ins, and unknown references left as written.
  assert.equal(
    interpolate("rate(x[$__rate_interval]) $nosuch ${nosuch}", vars, { __rate_interval: "240s" }),
    "rate(x[240s]) $nosuch ${nosuch}",
  );
  assert.deepEqual(referencedNames('label_values(up{a=~"$app",b="${one:raw}",c="[[both]]"}, x)'), [
    "app",
    "one",
    "both",
  ]);
});

test("variable queries of the Prometheus datasource", () => {
  assert.deepEqual(parseVariableQuery("label_values(up,juju_model)"), {
    kind: "label_values",
    label: "juju_model",
    metric: "up",
  });
  assert.deepEqual(parseVariableQuery('label_values(up{juju_model=~"(a|b)"}, juju_unit)'), {
    kind: "label_values",
    label: "juju_unit",
    metric: 'up{juju_model=~"(a|b)"}',
  });
  assert.deepEqual(parseVariableQuery("label_values(job)"), {
    kind: "label_values",
    label: "job",
    metric: undefined,
  });
  assert.deepEqual(parseVariableQuery("label_names()"), { kind: "label_names" });
  assert.deepEqual(parseVariableQuery("metrics(up.*)"), { kind: "metrics", regex: "up.*" });
  assert.deepEqual(parseVariableQuery("query_result(topk(3, up))"), {
    kind: "query_result",
    query: "topk(3, up)",
  });
  assert.match(
    (parseVariableQuery("prometheus") as { error: string }).error,
    /unsupported variable query 'prometheus'/,
  );
});

test("options: regex filter with capture groups, sorting, and the starting selection", () => {
  const opts = ["prometheus-0", "targets-a-1", "targets-a-0"].map((x) => ({ text: x, value: x }));
  assert.deepEqual(
    applyVariableRegex(opts, "/targets-(.*)/").map((o) => o.value),
    ["a-1", "a-0"],
  );
  assert.deepEqual(
    sortOptions(opts, 1).map((o) => o.text),
    ["prometheus-0", "targets-a-0", "targets-a-1"],
  );
  assert.deepEqual(
    sortOptions(opts, 2).map((o) => o.text),
    ["targets-a-1", "targets-a-0", "prometheus-0"],
  );
  assert.deepEqual(sortOptions(opts, 0), opts);
  assert.deepEqual(initialSelection(opts, true, ["targets-a-0"], [ALL_VALUE]), ["targets-a-0"]);
  assert.deepEqual(initialSelection(opts, true, ["gone"], [ALL_VALUE]), [ALL_VALUE]);
  assert.deepEqual(initialSelection(opts, false, [], ["gone"]), ["prometheus-0"]);
  assert.deepEqual(initialSelection(opts, true, ["All"], []), [ALL_VALUE]);
  assert.deepEqual(initialSelection([], false, [], []), []);
});

test("resolution order follows references, then dashboard order", () => {
  const refs = new Map([
    ["lokids", []],
    ["juju_unit", ["prometheusds", "juju_model", "juju_model_uuid", "juju_application"]],
    ["juju_model_uuid", ["prometheusds", "juju_model"]],
    ["prometheusds", []],
    ["juju_model", ["prometheusds"]],
    ["juju_application", ["prometheusds", "juju_model", "juju_model_uuid"]],
    ["loop_a", ["loop_b"]],
    ["loop_b", ["loop_a"]],
  ]);
  assert.deepEqual(resolutionOrder([...refs.keys()], refs), [
    "lokids",
    "prometheusds",
    "juju_model",
    "juju_model_uuid",
    "juju_application",
    "juju_unit",
    "loop_a",
    "loop_b",
  ]);
});

test("series names and values in the panel's unit", () => {
  const labels = { __name__: "up", job: "prometheus", juju_unit: "prometheus/0" };
  assert.equal(seriesName(labels, "__auto", "up"), 'up{job="prometheus", juju_unit="prometheus/0"}');
  assert.equal(seriesName({ juju_unit: "p/0" }, undefined, "sum(x)"), '{juju_unit="p/0"}');
  assert.equal(seriesName({}, "", "sum(x)"), "sum(x)");
  assert.equal(seriesName(labels, "{{juju_unit}} ({{ job }})", "up"), "prometheus/0 (prometheus)");
  assert.equal(formatValue(1536, "bytes"), "1.5KiB");
  assert.equal(formatValue(0.0123, "s"), "12.3 ms");
  assert.equal(formatValue(1, "bool"), "True");
  assert.equal(formatValue(2500, "short"), "2.5 K");
  assert.equal(formatValue(null, "short"), "");
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { dumpYaml } from "./render.js";

const DIR = join(import.meta.dirname, "..", "alert_rules");
const PROMTOOL = "/usr/bin/promtool";

function loadRules(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const f of readdirSync(DIR).sort()) out[f] = parse(readFileSync(join(DIR, f), "utf8"));
  return out;
}

describe("bundled self-monitoring alert rules", () => {
  it("has the 14 alerts of the Python charm with their severities", () => {
    const rules = Object.values(loadRules());
    const bySeverity = (s: string) =>
      rules
        .filter((r) => (r.labels as Record<string, string>).severity === s)
        .map((r) => r.alert)
        .sort();
    assert.deepEqual(bySeverity("warning"), [
      "PrometheusConfigurationReloadFailure",
      "PrometheusJobMissing",
      "PrometheusLargeScrape",
      "PrometheusNotificationsBacklog",
      "PrometheusRuleEvaluationSlow",
      "PrometheusTargetScrapeDuplicate",
      "PrometheusTargetScrapingSlow",
    ]);
    assert.deepEqual(bySeverity("critical"), [
      "PrometheusTsdbCheckpointCreationFailures",
      "PrometheusTsdbCheckpointDeletionFailures",
      "PrometheusTsdbCompactionsFailed",
      "PrometheusTsdbHeadTruncationsFailed",
      "PrometheusTsdbReloadFailures",
      "PrometheusTsdbWalCorruptions",
      "PrometheusTsdbWalTruncationsFailed",
    ]);
    for (const r of rules)
      assert.ok(typeof r.expr === "string" && typeof r.for === "string", String(r.alert));
  });
});

describe("bundled alert rules checked by the real promtool", {
  skip: !existsSync(PROMTOOL) && "no promtool",
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "selfrules-"));
  const rulesFile = join(dir, "self.rules");
  writeFileSync(rulesFile, dumpYaml({ groups: [{ name: "self", rules: Object.values(loadRules()) }] }));

  it("every rule parses", () => {
    const r = spawnSync(PROMTOOL, ["check", "rules", rulesFile], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 14 rules found/);
  });

  it("PrometheusTargetScrapingSlow stays quiet for 60 s and 5 min intervals and fires on real lag", () => {
    const series = (interval: string, q: string) =>
      `prometheus_target_interval_length_seconds{interval="${interval}",quantile="${q}",job="prometheus",instance="p:9090"}`;
    const test = {
      rule_files: [rulesFile],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            { series: series("1m", "0.9"), values: "60.2x20" },
            { series: series("1m", "0.5"), values: "60x20" },
            { series: series("5m", "0.9"), values: "300.5x20" },
            { series: series("5m", "0.5"), values: "300x20" },
            { series: series("15s", "0.9"), values: "30x20" },
            { series: series("15s", "0.5"), values: "15x20" },
          ],
          alert_rule_test: [
            {
              eval_time: "10m",
              alertname: "PrometheusTargetScrapingSlow",
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", interval: "15s", job: "prometheus", instance: "p:9090" },
                  exp_annotations: {
                    summary: "Prometheus target scraping slow (instance p:9090)",
                    description:
                      "Scrapes of the 15s interval happen noticeably later than scheduled\n(90th percentile more than 5% above the median).\nVALUE = 2\nLABELS = map[instance:p:9090 interval:15s job:prometheus]\n",
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const testFile = join(dir, "test.yml");
    writeFileSync(testFile, dumpYaml(test));
    const r = spawnSync(PROMTOOL, ["test", "rules", testFile], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});

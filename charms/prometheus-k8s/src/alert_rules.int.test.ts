// The bundled self-monitoring alert rules checked and evaluated by the real promtool.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadRules } from "./alert_rules.test-support.js";
import { dumpYaml } from "./render.js";

const PROMTOOL = "/usr/bin/promtool";

describe("bundled alert rules checked by the real promtool", {
  skip: !existsSync(PROMTOOL) && "no promtool",
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "selfrules-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
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

// The bundled self-monitoring alert rules match the Python charm's set. The real promtool checks
// and evaluates them in alert_rules.int.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadRules } from "./alert_rules.test-support.js";

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

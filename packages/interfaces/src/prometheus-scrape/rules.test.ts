// Tests of provider-side rule loading: file discovery, group naming, labels, injection, bad files.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  alertRulesDict,
  buildRuleGroups,
  GENERIC_APPLICATION_RULES,
  genericRuleGroups,
  loadRulesDir,
  providerAlertRules,
  readRuleFiles,
  ruleGroupName,
  rulesProviderAlertRules,
} from "./rules.js";
import { JujuTopology } from "./topology.js";

const FIXTURE_RULES = new URL("../../../../testdata/fixtures/provider/rules/", import.meta.url).pathname;
const UUID = "a1b2c3d4-1111-4222-8333-444455556666";
const topo = new JujuTopology("cos", UUID, "zinc-k8s", "zinc-k8s/0", "zinc");
const M = `juju_application="zinc-k8s",juju_model="cos",juju_model_uuid="${UUID}"`;

const tmp = mkdtempSync(join(tmpdir(), "rules-test-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmp, "d-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe("ruleGroupName", () => {
  it("prefixes identifier and relative dir, adds _rules once, sanitises", () => {
    assert.equal(ruleGroupName("cpu_overuse", "", topo), "cos_a1b2c3d4_zinc_k8s_cpu_overuse_rules");
    assert.equal(
      ruleGroupName("target_missing", "nested", topo),
      "cos_a1b2c3d4_zinc_k8s_nested_target_missing_rules",
    );
    assert.equal(
      ruleGroupName("group1", "prom_format", topo),
      "cos_a1b2c3d4_zinc_k8s_prom_format_group1_rules",
    );
    assert.equal(ruleGroupName("x_rules", "", topo), "cos_a1b2c3d4_zinc_k8s_x_rules");
    assert.equal(ruleGroupName("grp", "sub/deeper", undefined), "sub_deeper_grp_rules");
    assert.equal(ruleGroupName("my group.v2", "", undefined), "my_group_v2_rules");
  });
  it("leaves a name that already carries a topology identifier alone, except sanitising", () => {
    assert.equal(
      ruleGroupName("other_0123abcd_app-x_alerts_rules", "sub", topo),
      "other_0123abcd_app_x_alerts_rules",
    );
  });
});

describe("readRuleFiles", () => {
  it("reads only rule suffixes, sorted part by part, recursively or not", () => {
    const dir = dirWith({
      "b.rule": "x",
      "a.yaml": "x",
      "c.yml": "x",
      "d.rules": "x",
      "e.ruless": "x",
      "f.txt": "x",
      "g.json": "x",
      noext: "x",
      "a/z.rule": "x",
      "a.b/y.rule": "x",
    });
    assert.deepEqual(
      readRuleFiles(dir).files.map((f) => f.path),
      ["a/z.rule", "a.b/y.rule", "a.yaml", "b.rule", "c.yml", "d.rules"],
    );
    assert.deepEqual(
      readRuleFiles(dir, { recursive: false }).files.map((f) => f.path),
      ["a.yaml", "b.rule", "c.yml", "d.rules"],
    );
  });
  it("reports a missing directory without throwing", () => {
    assert.deepEqual(readRuleFiles(join(tmp, "nope")), { files: [], problems: [], missing: true });
  });
});

describe("loadRulesDir on the fixture rule directories", () => {
  it("prometheus_alert_rules: every file becomes a group, labelled and injected", () => {
    const { groups, problems } = loadRulesDir(join(FIXTURE_RULES, "prometheus_alert_rules"), {
      topology: topo,
    });
    // with_template_string.rule repeats target_missing.rule's alert with the same labels; promtool's
    // lint rejects such a file, so the second copy is dropped and reported.
    assert.deepEqual(problems, [
      {
        path: "cos_a1b2c3d4_zinc_k8s_with_template_string_rules",
        reason: 'duplicate rule "PrometheusTargetMissing": same name and labels as an earlier rule',
      },
    ]);
    assert.deepEqual(
      groups.map((g) => g.name),
      [
        "cos_a1b2c3d4_zinc_k8s_cpu_overuse_rules",
        "cos_a1b2c3d4_zinc_k8s_cpu_overuse_no_labels_rules",
        "cos_a1b2c3d4_zinc_k8s_host_metrics_missing_rules",
        "cos_a1b2c3d4_zinc_k8s_nested_NestedHighRequestLatency_rules",
        "cos_a1b2c3d4_zinc_k8s_target_missing_rules",
        "cos_a1b2c3d4_zinc_k8s_with_template_string_and_unit_rules",
      ],
    );
    const byName = Object.fromEntries(
      groups.map((g) => [g.name.replace("cos_a1b2c3d4_zinc_k8s_", ""), g.rules[0]!]),
    );
    assert.deepEqual(byName.cpu_overuse_rules!.labels, {
      severity: "Low",
      juju_model: "cos",
      juju_model_uuid: UUID,
      juju_application: "zinc-k8s",
      juju_charm: "zinc",
    });
    assert.equal(byName.cpu_overuse_rules!.expr, `process_cpu_seconds_total{${M}} > 0.12`);
    // Labels the author wrote win over the topology, and the expression follows those labels.
    assert.deepEqual(byName.host_metrics_missing_rules!.labels, {
      severity: "critical",
      juju_model: "test-model",
      juju_model_uuid: "e674af04-0e76-4c11-92a0-f219fa8b4386",
      juju_application: "scraped_charm",
      juju_charm: "scraped-charm-k8s",
    });
    assert.equal(
      byName.host_metrics_missing_rules!.expr,
      'absent(up{juju_application="scraped_charm",juju_model="test-model",juju_model_uuid="e674af04-0e76-4c11-92a0-f219fa8b4386"}) == 0',
    );
    assert.equal(byName.target_missing_rules!.expr, `up{${M}} == 0`);
    // juju_unit is never added, but an author's juju_unit is kept in labels and expression.
    assert.equal(byName.with_template_string_and_unit_rules!.expr, `up{${M},juju_unit="app/0"} == 0`);
    assert.equal(
      (byName.with_template_string_and_unit_rules!.labels as Record<string, string>).juju_unit,
      "app/0",
    );
    assert.equal((byName.cpu_overuse_rules!.labels as Record<string, string>).juju_unit, undefined);
    assert.equal(
      byName.nested_NestedHighRequestLatency_rules!.expr,
      `job:request_latency_seconds:mean5m{${M}} > 0.5`,
    );
  });

  it("bad_alert_rules: unparsable YAML is reported and skipped", () => {
    const logs: string[] = [];
    const r = loadRulesDir(join(FIXTURE_RULES, "bad_alert_rules"), {
      topology: topo,
      log: (l, m) => logs.push(`${l} ${m}`),
    });
    assert.deepEqual(r.groups, []);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.path, "bad_yaml.rule");
    assert.match(r.problems[0]!.reason, /^Failed to read rules \(/);
    assert.match(logs[0]!, /^error Failed to read rules .*bad_yaml\.rule$/);
  });

  it("bad_alert_expressions: a rule without expr is an invalid format", () => {
    const r = loadRulesDir(join(FIXTURE_RULES, "bad_alert_expressions"), { topology: topo });
    assert.deepEqual(r.groups, []);
    assert.deepEqual(r.problems, [
      { path: "missing_expr.rule", reason: "Invalid rules file (Invalid rule format)" },
    ]);
  });

  it("alert_rules_with_unit_topology: an expression that is not PromQL is reported, not forwarded", () => {
    const r = loadRulesDir(join(FIXTURE_RULES, "alert_rules_with_unit_topology"), { topology: topo });
    assert.deepEqual(r.groups, []);
    assert.equal(r.problems[0]!.path, "nothing_is_up.rule");
    assert.match(r.problems[0]!.reason, /could not parse expression: invalid PromQL at position 3/);
  });

  it("non_standard_prometheus_alert_rules: a single-rule file works", () => {
    const r = loadRulesDir(join(FIXTURE_RULES, "non_standard_prometheus_alert_rules"), { topology: topo });
    assert.deepEqual(
      r.groups.map((g) => [g.name, g.rules[0]!.expr]),
      [["cos_a1b2c3d4_zinc_k8s_odd_rules", `up{${M}} == 0`]],
    );
  });
});

describe("buildRuleGroups", () => {
  it("skips empty and non-map files with a reason, keeps the good ones", () => {
    const r = buildRuleGroups([
      { path: "empty.rule", text: "" },
      { path: "comment.rule", text: "# nothing\n" },
      { path: "list.rule", text: "- a\n- b\n" },
      { path: "ok.rule", text: "alert: A\nexpr: up == 0\n" },
    ]);
    assert.deepEqual(
      r.problems.map((p) => [p.path, p.reason]),
      [
        ["comment.rule", "Invalid rules file (Empty)"],
        ["empty.rule", "Invalid rules file (Empty)"],
        ["list.rule", "Invalid rules file (Invalid rule format)"],
      ],
    );
    // Without a topology: no prefix, an empty labels map, no injection.
    assert.deepEqual(r.groups, [{ name: "ok_rules", rules: [{ alert: "A", expr: "up == 0", labels: {} }] }]);
  });

  it("keeps official group fields and group names, reports repeated names within and across files", () => {
    const r = buildRuleGroups(
      [
        {
          path: "a.rules",
          text: "groups:\n- name: g\n  interval: 1m\n  rules:\n  - record: r:up\n    expr: sum(up)\n",
        },
        { path: "b.rules", text: "groups:\n- name: g\n  rules:\n  - alert: B\n    expr: up\n" },
        {
          path: "c.rules",
          text: "groups:\n- name: x\n  rules:\n  - alert: C\n    expr: up\n- name: x\n  rules:\n  - alert: D\n    expr: up\n",
        },
      ],
      { topology: topo },
    );
    assert.deepEqual(r.groups, [
      {
        name: "cos_a1b2c3d4_zinc_k8s_g_rules",
        interval: "1m",
        rules: [
          {
            record: "r:up",
            expr: `sum(up{${M}})`,
            labels: {
              juju_model: "cos",
              juju_model_uuid: UUID,
              juju_application: "zinc-k8s",
              juju_charm: "zinc",
            },
          },
        ],
      },
    ]);
    assert.deepEqual(
      r.problems.map((p) => p.path),
      ["b.rules", "c.rules"],
    );
    assert.match(r.problems[0]!.reason, /already used by another file/);
    assert.match(r.problems[1]!.reason, /is repeated in the same file/);
  });

  it("rejects a file with a bad duration or label name instead of forwarding it", () => {
    const r = buildRuleGroups([
      { path: "d.rule", text: "alert: A\nexpr: up\nfor: soon\n" },
      { path: "l.rule", text: "alert: A\nexpr: up\nlabels:\n  bad-name: x\n" },
    ]);
    assert.deepEqual(r.groups, []);
    assert.match(r.problems[0]!.reason, /'for' is not a valid duration/);
    assert.match(r.problems[1]!.reason, /invalid label name 'bad-name'/);
  });

  it("drops a rule repeating an earlier one's name and labels, even in another group", () => {
    const r = buildRuleGroups([
      { path: "a.rule", text: "alert: A\nexpr: up == 0\nlabels:\n  x: '1'\n" },
      {
        path: "b.rules",
        text: "groups:\n- name: b\n  rules:\n  - alert: A\n    expr: up > 0\n    labels:\n      x: '1'\n  - alert: A\n    expr: up\n    labels:\n      x: '2'\n",
      },
    ]);
    assert.deepEqual(
      r.groups.map((g) => [g.name, g.rules.map((x) => x.expr)]),
      [
        ["a_rules", ["up == 0"]],
        ["b_rules", ["up"]],
      ],
    );
    assert.equal(r.problems.length, 1);
  });

  it("does not modify its input objects (generic rules stay pristine)", () => {
    const before = JSON.stringify(GENERIC_APPLICATION_RULES);
    genericRuleGroups(topo);
    genericRuleGroups(topo);
    assert.equal(JSON.stringify(GENERIC_APPLICATION_RULES), before);
  });
});

describe("providerAlertRules", () => {
  it("appends HostHealth after the directory's groups, with exact texts", () => {
    const r = providerAlertRules({
      topology: topo,
      rulesDir: join(FIXTURE_RULES, "non_standard_prometheus_alert_rules"),
    });
    assert.deepEqual(
      r.groups.map((g) => g.name),
      ["cos_a1b2c3d4_zinc_k8s_odd_rules", "cos_a1b2c3d4_zinc_k8s_HostHealth_rules"],
    );
    const [down, missing] = r.groups[1]!.rules;
    assert.equal(down!.alert, "HostDown");
    assert.equal(down!.expr, `up{${M}} < 1`);
    assert.equal(down!.for, "5m");
    assert.deepEqual(Object.keys(down!.labels as object), [
      "severity",
      "juju_model",
      "juju_model_uuid",
      "juju_application",
      "juju_charm",
    ]);
    assert.equal(
      (down!.annotations as Record<string, string>).summary,
      "Host '{{ $labels.instance }}' is down.",
    );
    assert.equal(missing!.alert, "HostMetricsMissing");
    assert.equal(missing!.expr, `absent(up{${M}})`);
    assert.equal((missing!.labels as Record<string, string>).severity, "warning");
    assert.match((missing!.annotations as Record<string, string>).description!, /^`Up` missing for unit/);
  });

  it("publishes nothing when forwarding is off, and only HostHealth for a missing directory", () => {
    assert.deepEqual(
      providerAlertRules({ topology: topo, rulesDir: FIXTURE_RULES, forwardAlertRules: false }),
      {
        groups: [],
        problems: [],
      },
    );
    assert.deepEqual(
      providerAlertRules({ topology: topo, rulesDir: join(tmp, "missing") }).groups.map((g) => g.name),
      ["cos_a1b2c3d4_zinc_k8s_HostHealth_rules"],
    );
  });

  it("alertRulesDict is {} without groups", () => {
    assert.deepEqual(alertRulesDict([]), {});
  });
});

describe("rulesProviderAlertRules (PrometheusRulesProvider)", () => {
  it("no topology, placeholder stripped, sort_keys JSON with Python separators", () => {
    const dir = dirWith({ "sub/x.rule": "alert: X\nexpr: up{%%juju_topology%%} == 0\nfor: 1m\n" });
    const r = rulesProviderAlertRules(dir);
    assert.equal(
      r.alertRules,
      '{"groups": [{"name": "sub_x_rules", "rules": [{"alert": "X", "expr": "up{} == 0", "for": "1m", "labels": {}}]}]}',
    );
    assert.equal(rulesProviderAlertRules(join(tmp, "none")).alertRules, "{}");
  });
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import { readRuleFiles } from "../prometheus-scrape/rules.js";
import { JujuTopology } from "../prometheus-scrape/topology.js";
import { remoteWriteConsumerRules } from "./consumer-rules.js";
import { remoteWriteRules } from "./provider-rules.js";

/** Outputs of the Python library itself (scripts/crosscheck/cos_libs.py), made without cos-tool. */
const PY_DIR = join(import.meta.dirname, "../../../../testdata/python-libs");
const PY = JSON.parse(readFileSync(join(PY_DIR, "prometheus_remote_write.json"), "utf8")) as {
  cases: {
    name: string;
    leader?: boolean;
    consumers?: {
      id?: number;
      app?: string;
      units?: string[];
      app_data?: Record<string, string>;
      local_app_data?: Record<string, string>;
    }[];
    topology?: Record<string, string>;
    unit_names?: string[];
    expected: {
      rule_files?: Record<string, { groups: { name: string; rules: Record<string, unknown>[] }[] }>;
      local_app_data?: Record<string, Record<string, string>>;
      alert_rules?: string;
    };
  }[];
};

function snapshots(c: (typeof PY.cases)[number]): RelationSnapshot[] {
  return (c.consumers ?? []).map((x, i) => {
    const id = x.id ?? i + 1;
    const app = x.app ?? `agent${id}`;
    const units = x.units ?? [`${app}/0`];
    return {
      id,
      endpoint: "receive-remote-write",
      remoteApp: app,
      remoteAppData: x.app_data ?? {},
      remoteUnitsData: Object.fromEntries(units.map((u) => [u, {}])),
      localAppData: x.local_app_data ?? {},
    };
  });
}

/**
 * The Python run had no cos-tool: compare expressions with the matchers we inject taken out, and
 * empty braces dropped (`up{}` and `up` are the same selector).
 */
function withoutMatchers(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutMatchers);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] =
        k === "expr" && typeof x === "string"
          ? x
              .replace(/juju_[a-z_]+="[^"]*",?/g, "")
              .replace(/,}/g, "}")
              .replaceAll("{}", "")
          : withoutMatchers(x);
    }
    return out;
  }
  return v;
}

describe("provider: rules from remote-write clients, against the Python library", () => {
  for (const c of PY.cases.filter((x) => x.consumers)) {
    test(c.name, () => {
      const r = remoteWriteRules(snapshots(c));
      const files = Object.fromEntries(r.ruleFiles.map((f) => [f.key, { groups: f.groups }]));
      assert.deepEqual(withoutMatchers(files), withoutMatchers(c.expected.rule_files));
      if (c.leader !== false) {
        // Python writes `event` only on the leader; our result says what the leader writes.
        const written = Object.fromEntries(
          Object.entries(c.expected.local_app_data ?? {}).filter(([, bag]) => bag.event !== undefined),
        );
        const ours = Object.fromEntries([...r.feedback].map(([id, event]) => [String(id), { event }]));
        assert.deepEqual(ours, written);
      }
    });
  }
});

describe("provider: what Python leaves to cos-tool, and what it would crash on", () => {
  const UUID = "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f";
  const rel = (
    id: number,
    app: Record<string, string>,
    local: Record<string, string> = {},
  ): RelationSnapshot => ({
    id,
    endpoint: "receive-remote-write",
    remoteApp: `agent${id}`,
    remoteAppData: app,
    remoteUnitsData: { [`agent${id}/0`]: {} },
    localAppData: local,
  });
  const labels = {
    juju_model: "cos",
    juju_model_uuid: UUID,
    juju_application: "zinc",
    juju_charm: "zinc-k8s",
    juju_unit: "zinc/1",
  };

  test("labelled rules get model, uuid and application injected (not unit or charm), as cos-tool prints them", () => {
    const r = remoteWriteRules([
      rel(1, {
        alert_rules: JSON.stringify({
          groups: [
            {
              name: "g",
              rules: [{ alert: "A", expr: 'rate(x{%%juju_topology%%,job="j"}[5m]) > 1', labels }],
            },
          ],
        }),
      }),
    ]);
    assert.equal(
      r.ruleFiles[0]?.groups[0] && (r.ruleFiles[0].groups[0] as { rules: { expr: string }[] }).rules[0]?.expr,
      `rate(x{job="j",juju_application="zinc",juju_model="cos",juju_model_uuid="${UUID}"}[5m]) > 1`,
    );
    assert.equal(r.ruleFiles[0]?.key, `cos_f2c1b2a4_zinc`);
  });

  test("on the scrape_metadata path every rule gets its own juju_* labels injected, unit and charm included", () => {
    const meta = { model: "cos", model_uuid: UUID, application: "agent", unit: "agent/0", charm_name: "ga" };
    const r = remoteWriteRules([
      rel(1, {
        scrape_metadata: JSON.stringify(meta),
        alert_rules: JSON.stringify({
          groups: [
            { name: "plain", rules: [{ alert: "A", expr: "up < 1" }] },
            {
              name: "unit",
              rules: [{ alert: "B", expr: "up < 1", labels: { juju_unit: "x/0", juju_charm: "c" } }],
            },
          ],
        }),
      }),
    ]);
    const groups = r.ruleFiles[0]?.groups as { rules: { expr: string }[] }[];
    assert.equal(r.ruleFiles[0]?.key, "cos_f2c1b2a4_agent");
    assert.equal(groups[0]?.rules[0]?.expr, "up < 1", "unlabelled rules stay unscoped, as in Python");
    assert.equal(groups[1]?.rules[0]?.expr, 'up{juju_charm="c",juju_unit="x/0"} < 1');
  });

  test("bad data rejects that relation's file only, and says why in event.errors; other keys of event are kept", () => {
    const good = {
      alert_rules: JSON.stringify({
        groups: [{ name: "g", rules: [{ alert: "A", expr: "up < 1", labels }] }],
      }),
    };
    const r = remoteWriteRules([
      rel(1, { alert_rules: "{not json" }, { event: '{"keep": "me"}' }),
      rel(2, {
        alert_rules: JSON.stringify({
          groups: [{ name: "g", rules: [{ alert: "A", expr: "up <<< 1", labels }] }],
        }),
      }),
      rel(3, {
        alert_rules: JSON.stringify({
          groups: [
            {
              name: "g",
              rules: [{ alert: "A", expr: "up", labels: { ...labels, juju_model_uuid: "nope" } }],
            },
          ],
        }),
      }),
      rel(4, { alert_rules: JSON.stringify({ groups: [{ rules: [{ alert: "A", expr: "up" }] }] }) }),
      rel(5, {
        alert_rules: JSON.stringify({ groups: [{ name: "g", rules: [] }] }),
        scrape_metadata: '{"model": "m"}',
      }),
      rel(6, good),
    ]);
    assert.deepEqual(
      r.ruleFiles.map((f) => f.relationId),
      [6],
    );
    assert.deepEqual(
      r.rejected.map((x) => x.relationId),
      [1, 2, 3, 4, 5],
    );
    const errors = (id: number) =>
      JSON.parse(r.feedback.get(id) ?? "{}") as { errors?: string; keep?: string };
    assert.match(errors(1).errors ?? "", /'alert_rules' is not valid JSON/);
    assert.equal(errors(1).keep, "me");
    assert.match(errors(2).errors ?? "", /could not parse expression/);
    assert.match(errors(3).errors ?? "", /not a valid version-4 UUID/);
    assert.match(errors(4).errors ?? "", /no usable group or identifier/);
    assert.match(errors(5).errors ?? "", /scrape_metadata lacks 'model_uuid'/);
    assert.equal(r.feedback.get(6), "{}");
  });

  test("a relation whose rules are gone has its old errors cleared", () => {
    const r = remoteWriteRules([rel(1, {}, { event: '{"errors": "old"}' })]);
    assert.equal(r.feedback.get(1), "{}");
    assert.equal(remoteWriteRules([rel(1, {}, { event: "{}" })]).feedback.size, 0);
  });

  test("size bounds apply before anything is copied", () => {
    const many = {
      groups: [{ name: "g", rules: Array.from({ length: 3 }, (_, i) => ({ alert: `A${i}`, expr: "up" })) }],
    };
    const r = remoteWriteRules([rel(1, { alert_rules: JSON.stringify(many) })], { limits: { maxRules: 2 } });
    assert.match(r.rejected[0]?.reason ?? "", /maxRules=2/);
    const big = remoteWriteRules([rel(1, { alert_rules: JSON.stringify(many) })], {
      limits: { maxValueBytes: 10 },
    });
    assert.match(big.rejected[0]?.reason ?? "", /maxValueBytes=10/);
  });

  test("two relations with one identifier: the later wins, and the earlier is told so", () => {
    const a = {
      alert_rules: JSON.stringify({ groups: [{ name: "g", rules: [{ alert: "A", expr: "up", labels }] }] }),
    };
    const r = remoteWriteRules([rel(1, a), rel(2, a)]);
    assert.deepEqual(
      r.ruleFiles.map((f) => f.relationId),
      [2],
    );
    assert.match(r.rejected[0]?.reason ?? "", /replaced by those of relation receive-remote-write:2/);
  });
});

describe("consumer: the rules a remote-write client forwards", () => {
  const c = PY.cases.find((x) => x.name === "consumer_aggregator_and_file_rules");
  test("groups, names, labels and annotations as the Python consumer publishes them, expressions injected", () => {
    assert.ok(c?.topology && c.unit_names);
    const topology = JujuTopology.fromDict(c.topology);
    const files = readRuleFiles(join(PY_DIR, "remote_write_rules"), { recursive: false }).files;
    const { groups, problems } = remoteWriteConsumerRules({ topology, unitNames: c.unit_names, files });
    assert.deepEqual(problems, []);
    const expected = JSON.parse(c.expected.alert_rules ?? "{}") as { groups: unknown[] };
    assert.deepEqual(withoutMatchers({ groups }), withoutMatchers(expected));
    const uuid = topology.modelUuid;
    const exprs = groups.flatMap((g) => g.rules.map((r) => r.expr));
    assert.deepEqual(exprs, [
      `absent(up{juju_application="agent",juju_model="cos",juju_model_uuid="${uuid}",juju_unit="agent/0"})`,
      `absent(up{juju_application="agent",juju_model="cos",juju_model_uuid="${uuid}",juju_unit="agent/1"})`,
      `absent(up{juju_application="agent",juju_model="cos",juju_model_uuid="${uuid}"})`,
      `remote_write_tester_up{juju_application="agent",juju_model="cos",juju_model_uuid="${uuid}"} > 0`,
    ]);
  });
});

// MetricsEndpointProvider driven through the SDK's state-transition harness.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CharmBase, type Framework } from "@charmkit/ops";
import { Context, relation, state } from "@charmkit/ops/testing";
import { MetricsEndpointProvider, RelationMismatchError } from "./provider.js";

const RULES = new URL(
  "../../../../testdata/fixtures/provider/rules/non_standard_prometheus_alert_rules",
  import.meta.url,
).pathname;
const META = {
  metadata: {
    name: "target-charm",
    provides: { "metrics-endpoint": { interface: "prometheus_scrape" } },
    requires: { db: { interface: "pg" } },
  },
};

class Target extends CharmBase {
  readonly metrics: MetricsEndpointProvider;
  constructor(fw: Framework) {
    super(fw);
    this.metrics = new MetricsEndpointProvider(this, {
      jobs: [{ job_name: "app", static_configs: [{ targets: ["*:8080"] }], honor_labels: true }],
      alertRulesPath: RULES,
      fqdn: () => "target-0.example",
    });
  }
}

describe("MetricsEndpointProvider", () => {
  const ctx = new Context(Target, { metadata: META, appName: "target", unitId: 1 });

  it("leader on relation-joined writes the app keys and the unit keys", async () => {
    const rel = relation({ endpoint: "metrics-endpoint", id: 3, remoteAppName: "prometheus" });
    const out = await ctx.run(ctx.on.relationJoined(rel), state({ leader: true, relations: [rel] }));
    const r = out.relations.find((x) => x.id === 3)!;
    const app = r.localAppData;
    assert.equal(
      app.scrape_metadata,
      '{"model": "test-model", "model_uuid": "00000000-0000-4000-8000-000000000000", "application": "target", "unit": "target/1", "charm_name": "target-charm"}',
    );
    assert.equal(
      app.scrape_jobs,
      '[{"metrics_path": "/metrics", "static_configs": [{"targets": ["*:8080"]}], "job_name": "app"}]',
    );
    const rules = JSON.parse(app.alert_rules!) as { groups: { name: string }[] };
    assert.deepEqual(
      rules.groups.map((g) => g.name),
      ["test_model_00000000_target_odd_rules", "test_model_00000000_target_HostHealth_rules"],
    );
    assert.equal(r.localUnitData.prometheus_scrape_unit_address, "192.0.2.0");
    assert.equal(r.localUnitData.prometheus_scrape_unit_name, "target/1");
    assert.equal(r.localUnitData.prometheus_scrape_unit_fqdn, "target-0.example");
  });

  it("a non-leader writes only its unit keys", async () => {
    const rel = relation({ endpoint: "metrics-endpoint", id: 4 });
    const out = await ctx.run(ctx.on.relationJoined(rel), state({ leader: false, relations: [rel] }));
    const r = out.relations.find((x) => x.id === 4)!;
    assert.equal(r.localAppData.scrape_jobs, undefined);
    assert.equal(r.localUnitData.prometheus_scrape_unit_address, "192.0.2.0");
  });

  it("does not republish the app keys on leader-elected (as the Python library)", async () => {
    const rel = relation({ endpoint: "metrics-endpoint", id: 5 });
    const out = await ctx.run(ctx.on.leaderElected(), state({ leader: true, relations: [rel] }));
    assert.equal(out.relations.find((x) => x.id === 5)!.localAppData.scrape_metadata, undefined);
  });

  it("refuses an endpoint of the wrong interface at construction", async () => {
    class Wrong extends CharmBase {
      constructor(fw: Framework) {
        super(fw);
        new MetricsEndpointProvider(this, { relationName: "db" });
      }
    }
    const wrong = new Context(Wrong, { metadata: META });
    await assert.rejects(wrong.run(wrong.on.install(), state()), (e: unknown) => {
      const err = e as Error;
      return (
        err instanceof RelationMismatchError ||
        err.cause instanceof RelationMismatchError ||
        /prometheus_scrape/.test(err.message)
      );
    });
  });
});

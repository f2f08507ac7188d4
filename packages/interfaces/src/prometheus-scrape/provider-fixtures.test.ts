// Every provider fixture (discovered at run time) against what the Python library wrote.
//
// The fixtures were produced without cos-tool, so their `expr` strings carry no injected matchers
// (`up{%%juju_topology%%}` became `up{}`). Ours carry them; the comparison injects the rule's own
// topology labels into the expected expression and also checks, independently, that every vector
// selector of ours got exactly the three topology matchers.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parser } from "@prometheus-io/lezer-promql";
import { type ProvideEnv, provideFromState } from "./provide-state.js";
import { injectTopology } from "./promql.js";

const DIR = new URL("../../../../testdata/fixtures/provider/", import.meta.url).pathname;

/**
 * What the generator's harness supplied but the inputs do not record: the test charm's name, its
 * default bind address, and `socket.getfqdn()` on the machine that produced the fixtures.
 */
const FIXTURE_ENV: ProvideEnv = {
  rulesRoot: join(DIR, "rules"),
  baseDir: DIR,
  charmName: "target-charm",
  bindAddress: "10.0.0.10",
  fqdn: "target-0.target-endpoints.model.svc.cluster.local",
};

type Rule = { expr: string; labels?: Record<string, string> };
type Groups = { groups?: { name: string; rules: Rule[] }[] };

function selectorCount(expr: string): number {
  let n = 0;
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name === "VectorSelector") n++;
    },
  });
  return n;
}

function compareAlertRules(ours: Groups, expected: Groups): void {
  assert.deepEqual(
    ours.groups?.map((g) => g.name),
    expected.groups?.map((g) => g.name),
  );
  (expected.groups ?? []).forEach((eg, gi) => {
    const og = ours.groups![gi]!;
    assert.equal(og.rules.length, eg.rules.length, eg.name);
    eg.rules.forEach((er, ri) => {
      const or = og.rules[ri]!;
      const { expr: oExpr, ...oRest } = or;
      const { expr: eExpr, ...eRest } = er;
      assert.deepEqual(oRest, eRest, `${eg.name} rule ${ri}`);
      const labels = er.labels ?? {};
      const matchers: Record<string, string> = {};
      for (const k of ["juju_model", "juju_model_uuid", "juju_application"])
        if (labels[k]) matchers[k] = labels[k];
      assert.equal(oExpr, injectTopology(eExpr, matchers), `${eg.name} rule ${ri}`);
      assert.equal(oExpr.split("juju_model_uuid=").length - 1, selectorCount(eExpr), oExpr);
    });
  });
}

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith(".json") && !f.endsWith(".expected.json"))
  .sort();

describe("provider fixtures", () => {
  it("finds the fixtures", () => assert.ok(fixtures.length >= 3));
  for (const file of fixtures) {
    it(file, () => {
      const input = JSON.parse(readFileSync(join(DIR, file), "utf8")) as unknown;
      const expected = JSON.parse(
        readFileSync(join(DIR, file.replace(/\.json$/, ".expected.json")), "utf8"),
      ) as {
        relations: Record<string, { app_data: Record<string, string>; unit_data: Record<string, string> }>;
      };
      const out = provideFromState(input, FIXTURE_ENV);
      assert.deepEqual(out.problems, []);
      assert.deepEqual(Object.keys(out.relations).sort(), Object.keys(expected.relations).sort());
      for (const [id, exp] of Object.entries(expected.relations)) {
        const ours = out.relations[id]!;
        assert.deepEqual(ours.unit_data, exp.unit_data, `relation ${id} unit bag`);
        const app = ours.app_data!;
        assert.deepEqual(Object.keys(app).sort(), Object.keys(exp.app_data).sort());
        // These two carry no expressions, so the bytes must match exactly.
        assert.equal(app.scrape_metadata, exp.app_data.scrape_metadata);
        assert.equal(app.scrape_jobs, exp.app_data.scrape_jobs);
        if (exp.app_data.alert_rules === "{}") assert.equal(app.alert_rules, "{}");
        compareAlertRules(
          JSON.parse(app.alert_rules!) as Groups,
          JSON.parse(exp.app_data.alert_rules!) as Groups,
        );
      }
    });
  }
});

/**
 * Golden tests of the consumer against what the Python library produced (shared/fixtures/consumer).
 * Every `NAME.json` with a `NAME.expected.json` beside it becomes a test case at run time.
 *
 * Jobs are compared as an unordered collection, key for key. Where we deliberately differ from
 * Python (topology labels win over provider labels; disallowed keys dropped on the raw path; a
 * failing part rejected alone; invalid rule files rejected), the test asserts our behaviour and the
 * rejection that reports it, and compares everything else exactly.
 *
 * Python believes every relation; here that is what a trusted aggregator gets, so the fixtures
 * run with every remote application named in `trustedAggregators`. A last test runs the honest
 * fixtures pinned (the default) and checks the jobs are the same but for `honor_labels`.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import type { SyntaxNode } from "@lezer/common";
import type { RelationSnapshot } from "@charmkit/ops";
import { parser } from "@prometheus-io/lezer-promql";
import { type ConsumerOptions, type ConsumerResult, consume, type ScrapeRelation } from "./consumer.js";
import { ALLOWED_KEYS, TOPOLOGY_LABELS } from "./jobs.js";
import { JujuTopology } from "./topology.js";

const DIR = resolve(import.meta.dirname, "../../../../testdata/fixtures/consumer");

interface FixtureRelation {
  id: number;
  remote_app: string;
  app_data: Record<string, string>;
  units: Record<string, Record<string, string>>;
  local_app_data?: Record<string, string>;
}
interface Fixture {
  model?: { name: string; uuid: string };
  relations: FixtureRelation[];
}

const FIXTURE_MODEL = { name: "cos", uuid: "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f" };

/** The Python library's reading: every relation believed, i.e. every application an aggregator. */
function pythonReading(fx: Fixture): ConsumerOptions {
  return {
    model: fx.model ?? FIXTURE_MODEL,
    trustedAggregators: fx.relations.map((r) => r.remote_app),
    fallbackScrapeProtocol: true,
  };
}

/** Our jobs without the honor_labels the consumer adds (Python's library leaves it to the charm). */
function withoutHonorLabels(
  jobs: readonly Record<string, unknown>[],
  expected: boolean,
): Record<string, unknown>[] {
  return jobs.map(({ honor_labels, ...job }) => {
    assert.equal(honor_labels, expected, `honor_labels of ${String(job.job_name)}`);
    return job;
  });
}
interface Expected {
  scrape_configs?: Record<string, unknown>[];
  alert_rules?: Record<string, { groups: Record<string, unknown>[] }> | null;
  errors?: Record<string, string>;
  local_app_data?: Record<string, Record<string, string>>;
}

/** Fixture relations as the snapshots the charm hands to `consume`. */
export function snapshots(fx: Fixture): RelationSnapshot[] {
  return fx.relations.map((r) => ({
    id: r.id,
    endpoint: "metrics-endpoint",
    remoteApp: r.remote_app,
    remoteAppData: r.app_data,
    remoteUnitsData: r.units,
    localAppData: r.local_app_data,
  }));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function metadataTopology(rel: FixtureRelation): JujuTopology | undefined {
  try {
    const md = JSON.parse(rel.app_data.scrape_metadata ?? "{}") as unknown;
    return isRecord(md) && Object.keys(md).length > 0 ? JujuTopology.fromDict(md) : undefined;
  } catch {
    return undefined;
  }
}

function withoutTopologyLabels(job: Record<string, unknown>): Record<string, unknown> {
  const scs = job.static_configs;
  if (!Array.isArray(scs)) return job;
  return {
    ...job,
    static_configs: scs.map((sc: Record<string, unknown>) =>
      isRecord(sc.labels)
        ? {
            ...sc,
            labels: Object.fromEntries(Object.entries(sc.labels).filter(([k]) => !TOPOLOGY_LABELS.has(k))),
          }
        : sc,
    ),
  };
}

function sortedJson(jobs: readonly Record<string, unknown>[]): string[] {
  return jobs.map((j) => JSON.stringify(j)).sort();
}

// A structural signature of a PromQL expression: node types and leaf texts, with every vector
// selector reduced to its metric name and its set of matchers (order-free, spacing-free).
function signature(expr: string, inject: Record<string, string>): string {
  const tree = parser.parse(expr);
  const out: string[] = [];
  const walk = (node: SyntaxNode): void => {
    if (node.type.isError) throw new Error(`invalid PromQL: ${expr}`);
    if (node.name === "VectorSelector") {
      const ident = node.getChild("Identifier");
      const name = ident ? expr.slice(ident.from, ident.to) : "";
      const matchers = new Map<string, string>();
      const lm = node.getChild("LabelMatchers");
      for (let c = lm?.firstChild ?? null; c; c = c.nextSibling) {
        if (!c.name.endsWith("LabelMatcher")) continue;
        const label = c.getChild("LabelName") ?? c.getChild("QuotedLabelName");
        const key = label ? expr.slice(label.from, label.to) : expr.slice(c.from, c.to);
        matchers.set(key, expr.slice(c.from, c.to).replace(/\s+/g, ""));
      }
      for (const [k, v] of Object.entries(inject)) matchers.set(k, `${k}=${JSON.stringify(v)}`);
      out.push(`VS(${name}|${[...matchers.values()].sort().join(",")})`);
      return;
    }
    if (!node.firstChild) out.push(`${node.name}:${expr.slice(node.from, node.to)}`);
    else out.push(node.name);
    for (let c = node.firstChild; c; c = c.nextSibling) walk(c);
  };
  walk(tree.topNode);
  return out.join(" ");
}

/** The matchers we inject into a rule's expression: its labelled topology, else the relation's. */
function expectedMatchers(rule: Record<string, unknown>, rel: FixtureRelation): Record<string, string> {
  const l = isRecord(rule.labels) ? rule.labels : {};
  if (
    typeof l.juju_model === "string" &&
    typeof l.juju_model_uuid === "string" &&
    typeof l.juju_application === "string"
  ) {
    const m: Record<string, string> = {
      juju_model: l.juju_model,
      juju_model_uuid: l.juju_model_uuid,
      juju_application: l.juju_application,
    };
    if (typeof l.juju_unit === "string" && l.juju_unit !== "") m.juju_unit = l.juju_unit;
    return m;
  }
  return metadataTopology(rel)?.alertExpressionDict() ?? {};
}

function ruleLacksExpr(exp: Expected): boolean {
  return Object.values(exp.alert_rules ?? {}).some((f) =>
    f.groups.some(
      (g) =>
        Array.isArray(g.rules) && g.rules.some((r: Record<string, unknown>) => typeof r.expr !== "string"),
    ),
  );
}

function checkJobs(fx: Fixture, exp: Expected, res: ConsumerResult): void {
  let expected = exp.scrape_configs ?? [];
  let ours = withoutHonorLabels(res.jobs, true);
  for (const rel of fx.relations) {
    if (metadataTopology(rel) === undefined && rel.app_data.scrape_jobs !== undefined) {
      // Raw path: Python keeps unknown keys, which Prometheus would refuse; we drop and report them.
      const dropped = new Set<string>();
      expected = expected.map((j) => {
        for (const k of Object.keys(j)) if (!ALLOWED_KEYS.has(k)) dropped.add(k);
        return Object.fromEntries(Object.entries(j).filter(([k]) => ALLOWED_KEYS.has(k)));
      });
      for (const k of dropped) {
        assert.ok(
          res.rejected.some((r) => r.relationId === rel.id && r.kind === "ignored" && r.reason.includes(k)),
          `dropping '${k}' is reported`,
        );
      }
    }
  }
  const overrides = res.rejected.filter(
    (r) => r.kind === "ignored" && r.reason.includes("override topology labels"),
  );
  if (overrides.length > 0) {
    // Python lets provider labels override the topology; we keep the topology. Compare the rest
    // exactly and check that our topology labels are the relation's own.
    for (const job of ours) {
      for (const sc of job.static_configs as Record<string, unknown>[]) {
        const labels = sc.labels as Record<string, string>;
        const rel = fx.relations.find((r) => metadataTopology(r)?.application === labels.juju_application);
        assert.ok(rel, "topology labels name a related application");
        const topo = metadataTopology(rel);
        assert.equal(labels.juju_model, topo?.model);
        if (labels.juju_unit !== undefined)
          assert.ok(labels.juju_unit in rel.units, `juju_unit ${labels.juju_unit} is a real unit`);
      }
    }
    ours = ours.map(withoutTopologyLabels);
    expected = expected.map(withoutTopologyLabels);
  }
  assert.deepEqual(sortedJson(ours), sortedJson(expected));
}

function checkRules(fx: Fixture, exp: Expected, res: ConsumerResult): void {
  const expectedFiles = exp.alert_rules ?? {};
  if (ruleLacksExpr(exp)) {
    // Python without cos-tool wrote a rule without `expr`, which promtool refuses; we reject the file.
    assert.ok(
      res.rejected.some((r) => r.kind === "rules" && r.reason.includes("expr")),
      "missing expr rejected",
    );
    assert.equal(res.ruleFiles.length, 0);
    return;
  }
  assert.deepEqual(res.ruleFiles.map((f) => f.key).sort(), Object.keys(expectedFiles).sort());
  for (const file of res.ruleFiles) {
    const rel = fx.relations.find((r) => r.id === file.relationId);
    assert.ok(rel);
    assert.equal(file.name, `juju_${file.key}`);
    const theirs = expectedFiles[file.key]?.groups ?? [];
    assert.equal(file.groups.length, theirs.length);
    file.groups.forEach((g, gi) => {
      const tg = theirs[gi] as Record<string, unknown>;
      assert.equal(g.name, tg.name);
      const ourRules = g.rules as Record<string, unknown>[];
      const theirRules = tg.rules as Record<string, unknown>[];
      assert.equal(ourRules.length, theirRules.length);
      ourRules.forEach((r, ri) => {
        const tr = theirRules[ri] as Record<string, unknown>;
        const { expr: ourExpr, ...ourRest } = r;
        const { expr: theirExpr, ...theirRest } = tr;
        assert.deepEqual(ourRest, theirRest);
        const stripped = String(theirExpr).replace(/%%juju_topology%%,?/g, "");
        assert.equal(
          signature(String(ourExpr), {}),
          signature(stripped, expectedMatchers(tr, rel)),
          `expr of ${String(r.alert)}`,
        );
      });
    });
  }
}

function checkFeedback(fx: Fixture, exp: Expected, res: ConsumerResult): void {
  for (const rel of fx.relations) {
    const theirs = exp.local_app_data?.[String(rel.id)]?.event;
    const ours = res.feedback.get(rel.id);
    const ourRejections = res.rejected.filter((r) => r.relationId === rel.id && r.kind !== "ignored");
    if (ourRejections.length === 0) {
      assert.equal(ours, theirs, `feedback of relation ${rel.id}`);
    } else {
      assert.ok(ours, `relation ${rel.id} gets feedback about its rejection`);
      const event = JSON.parse(ours) as Record<string, string>;
      assert.ok(event.errors !== undefined || event.scrape_job_errors !== undefined);
    }
  }
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".json") && !f.endsWith(".expected.json"))
  .sort();

describe("consumer fixtures (Python prometheus_scrape LIBPATCH 61)", () => {
  test("fixtures are present", () => assert.ok(files.length > 0, `no fixtures in ${DIR}`));
  for (const f of files) {
    test(f, () => {
      const fx = JSON.parse(readFileSync(join(DIR, f), "utf8")) as Fixture;
      const exp = JSON.parse(
        readFileSync(join(DIR, f.replace(/\.json$/, ".expected.json")), "utf8"),
      ) as Expected;
      const res = consume(snapshots(fx), pythonReading(fx));
      checkJobs(fx, exp, res);
      for (const key of Object.keys(exp.errors ?? {})) {
        // Python raised for the whole call; we reject the bad relation's part alone and say why.
        assert.ok(
          res.rejected.some((r) => r.reason.includes(`'${key}'`)),
          `a rejection names '${key}': ${JSON.stringify(res.rejected)}`,
        );
      }
      if (!exp.errors?.alert_rules) checkRules(fx, exp, res);
      else assert.equal(res.ruleFiles.length, 0);
      checkFeedback(fx, exp, res);
    });
  }

  test("a relation that broke Python's whole call is rejected alone; others equal Python's output", () => {
    const bad = JSON.parse(readFileSync(join(DIR, "11_malformed_alert_rules_json.json"), "utf8")) as Fixture;
    const good = JSON.parse(readFileSync(join(DIR, "01_single_unit_wildcard.json"), "utf8")) as Fixture;
    const goodExp = JSON.parse(
      readFileSync(join(DIR, "01_single_unit_wildcard.expected.json"), "utf8"),
    ) as Expected;
    const badRel = bad.relations[0] as FixtureRelation;
    // Also make its jobs unparsable, the case where Python lost every relation's jobs.
    const broken: FixtureRelation = { ...badRel, app_data: { ...badRel.app_data, scrape_jobs: "[{" } };
    const both = { relations: [...good.relations, broken] };
    const res = consume(snapshots(both), pythonReading(both));
    assert.deepEqual(
      sortedJson(withoutHonorLabels(res.jobs, true)),
      sortedJson(goodExp.scrape_configs ?? []),
    );
    const kinds = res.rejected.filter((r) => r.relationId === broken.id).map((r) => r.kind);
    assert.deepEqual(kinds.sort(), ["jobs", "rules"]);
    assert.ok(res.rejected.every((r) => r.reason.includes(`metrics-endpoint:${broken.id} (bad)`)));
  });

  test("honest providers get the same jobs when pinned, with honor_labels false", () => {
    let honest = 0;
    for (const f of files) {
      const fx = JSON.parse(readFileSync(join(DIR, f), "utf8")) as Fixture;
      // Honest: metadata naming the related application, units named as Juju names them, no
      // static juju_* labels (07 overrides the topology, which a pinned relation may not). Juju
      // reports the metadata's model as the remote model (a cross-model relation, as the
      // fixtures' models differ).
      const ok = fx.relations.every((r) => {
        const t = metadataTopology(r);
        return (
          t?.application === r.remote_app &&
          !/"juju_[a-z_]*":/.test(r.app_data.scrape_jobs ?? "") &&
          Object.entries(r.units).every(
            ([u, b]) => b.prometheus_scrape_unit_name === undefined || b.prometheus_scrape_unit_name === u,
          )
        );
      });
      if (!ok) continue;
      honest++;
      const pinnedRels: ScrapeRelation[] = snapshots(fx).map((s, i) => ({
        ...s,
        remoteModelUuid: metadataTopology(fx.relations[i]!)?.modelUuid,
      }));
      const model = fx.model ?? FIXTURE_MODEL;
      const trusted = consume(snapshots(fx), pythonReading(fx));
      const pinned = consume(pinnedRels, { model, fallbackScrapeProtocol: true });
      assert.deepEqual(
        pinned.rejected.filter((r) => r.kind === "relation"),
        [],
        `${f}: no relation rejected`,
      );
      // Pinned jobs whose targets lack a topology label (explicit targets have no juju_unit) also
      // move that label, if a target sets it, to exported_<label>.
      const unguarded = withoutHonorLabels(pinned.jobs, false).map(({ metric_relabel_configs: m, ...j }) => {
        const own = (Array.isArray(m) ? m : []).filter(
          (r) => !/^exported_juju_/.test(String(r.target_label ?? "")) && r.action !== "labeldrop",
        );
        return own.length > 0 ? { ...j, metric_relabel_configs: own } : j;
      });
      assert.deepEqual(sortedJson(unguarded), sortedJson(withoutHonorLabels(trusted.jobs, true)), f);
    }
    assert.ok(honest >= 5, `${honest} honest fixtures`);
  });
});

/**
 * Tests of the trust model: pinned relations (the default) are held to what Juju vouches for
 * (remote application, units from relation-list, the model from JUJU_MODEL_* or relation-model-get)
 * and trusted aggregators keep the Python library's reading. Juju's facts come from the snapshot:
 * `remoteApp` (JUJU_REMOTE_APP / relation-list --app), the unit keys of `remoteUnitsData`
 * (relation-list), and `remoteModelUuid` (relation-model-get, juju/juju
 * worker/uniter/runner/jujuc/relation-model-get.go).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ConsumerOptions, consume, type ScrapeRelation } from "./consumer.js";

const LOCAL = { name: "cos", uuid: "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f" };
const OTHER_UUID = "a1b2c3d4-1111-4222-8333-444455556666";
/** Shares its first 8 characters with the local model's uuid. */
const TWIN_UUID = "f2c1b2a4-0000-4000-8000-000000000000";

const meta = (app: string, extra: Record<string, string> = {}) =>
  JSON.stringify({
    model: LOCAL.name,
    model_uuid: LOCAL.uuid,
    application: app,
    charm_name: `${app}-k8s`,
    ...extra,
  });
const wildcard = (extra: Record<string, unknown> = {}) =>
  JSON.stringify([{ job_name: "main", static_configs: [{ targets: ["*:8000"] }], ...extra }]);

function rel(
  id: number,
  app: string,
  appData: Record<string, string>,
  extra: Partial<ScrapeRelation> = {},
  units = 2,
): ScrapeRelation {
  const remoteUnitsData: Record<string, Record<string, string>> = {};
  for (let u = 0; u < units; u++)
    remoteUnitsData[`${app}/${u}`] = {
      prometheus_scrape_unit_address: `10.0.${id}.${u + 1}`,
      prometheus_scrape_unit_name: `${app}/${u}`,
    };
  return {
    id,
    endpoint: "metrics-endpoint",
    remoteApp: app,
    remoteAppData: appData,
    remoteUnitsData,
    ...extra,
  };
}
const good = () => rel(1, "good", { scrape_metadata: meta("good"), scrape_jobs: wildcard() });
const run = (rels: ScrapeRelation[], opts: Partial<ConsumerOptions> = {}) =>
  consume(rels, { model: LOCAL, ...opts });

type Labels = Record<string, string>;
function labelsOf(res: ReturnType<typeof run>, relationId: number): Labels[] {
  return res.jobs
    .filter((_, i) => res.jobRelations[i] === relationId)
    .flatMap((j) => (j.static_configs as { labels: Labels }[]).map((sc) => sc.labels));
}
function reasons(res: ReturnType<typeof run>, relationId: number): string {
  return res.rejected
    .filter((r) => r.relationId === relationId && r.kind !== "ignored")
    .map((r) => r.reason)
    .join("\n");
}

describe("pinned relations: metadata is checked, never believed", () => {
  test("claiming another application or model rejects the relation, naming it and the fix", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { application: "good" },
        /application 'good' is not the related application 'bad'; .*trusted_aggregators/,
      ],
      [{ model: "prod" }, /model 'prod' is not this model \('cos'\)/],
      [
        { model_uuid: OTHER_UUID },
        /model_uuid 'a1b2c3d4-[^']*' is not the uuid of the model the relation comes from/,
      ],
      [{ unit: "good/0" }, /unit 'good\/0' is not a unit of 'bad'/],
    ];
    for (const [override, re] of cases) {
      const bad = rel(2, "bad", { scrape_metadata: meta("bad", override), scrape_jobs: wildcard() });
      const res = run([good(), bad]);
      assert.match(
        reasons(res, 2),
        /^relation metrics-endpoint:2 \(bad\): 'scrape_metadata' disagrees with Juju/,
      );
      assert.match(reasons(res, 2), re);
      assert.deepEqual(labelsOf(res, 2), [], "nothing of the relation is used");
      assert.equal(labelsOf(res, 1).length, 2, "the good relation is untouched");
    }
  });

  test("a uuid sharing a victim's first 8 characters cannot reach its job names", () => {
    // Claimed (not this model's): rejected. Genuinely another model (Juju says so): its own name.
    const claimed = rel(2, "good", {
      scrape_metadata: meta("good", { model_uuid: TWIN_UUID }),
      scrape_jobs: wildcard(),
    });
    const res = run([good(), { ...claimed, remoteApp: "bad" }]);
    assert.match(reasons(res, 2), /disagrees with Juju/);
    const names = res.jobs.map((j) => j.job_name);
    assert.deepEqual(names, [
      "juju_cos_f2c1b2a4_good_prometheus_scrape_main-0",
      "juju_cos_f2c1b2a4_good_prometheus_scrape_main-1",
    ]);
  });

  test("without metadata, the relation gets the topology Juju gives: prefixed names, no juju_* static labels", () => {
    const raw = rel(2, "bad", {
      scrape_jobs: JSON.stringify([
        {
          job_name: "juju_cos_f2c1b2a4_good_prometheus_scrape_main-0",
          static_configs: [{ targets: ["*:8000"] }],
        },
        {
          job_name: "spoof",
          static_configs: [{ targets: ["10.9.9.9:80"], labels: { juju_application: "good" } }],
        },
      ]),
    });
    const res = run([good(), raw]);
    const names = res.jobs.filter((_, i) => res.jobRelations[i] === 2).map((j) => j.job_name);
    assert.ok(
      names.every((n) => String(n).startsWith("juju_cos_f2c1b2a4_bad_prometheus_scrape_")),
      String(names),
    );
    for (const l of labelsOf(res, 2)) assert.equal(l.juju_application, "bad");
    assert.match(
      reasons(res, 2),
      /static_configs\[0\]\.labels\.juju_application="good" is not this relation's topology/,
    );
    assert.equal(labelsOf(res, 1).length, 2);
  });

  test("a unit is what relation-list calls it: another name, or one with path characters, is refused", () => {
    const bad = rel(2, "bad", { scrape_metadata: meta("bad"), scrape_jobs: wildcard() });
    const units = bad.remoteUnitsData as Record<string, Record<string, string>>;
    units["bad/0"] = { ...units["bad/0"]!, prometheus_scrape_unit_name: "good/0" };
    units["bad/1"] = { ...units["bad/1"]!, prometheus_scrape_unit_name: "../../x/1" };
    const res = run([good(), bad]);
    assert.deepEqual(labelsOf(res, 2), []);
    assert.match(
      reasons(res, 2),
      /unit bad\/0: prometheus_scrape_unit_name "good\/0" is not the unit's name/,
    );
    assert.match(
      reasons(res, 2),
      /unit bad\/1: prometheus_scrape_unit_name "..\/..\/x\/1" is not the unit's name/,
    );
  });

  test("jobs scrape with honor_labels false; aggregators keep true", () => {
    const res = run(
      [
        good(),
        rel(2, "proxy", {
          scrape_jobs: JSON.stringify([{ job_name: "p", static_configs: [{ targets: ["a:1"] }] }]),
        }),
      ],
      {
        trustedAggregators: ["proxy"],
      },
    );
    assert.deepEqual(
      res.jobs.map((j) => [j.job_name, j.honor_labels]),
      [
        ["juju_cos_f2c1b2a4_good_prometheus_scrape_main-0", false],
        ["juju_cos_f2c1b2a4_good_prometheus_scrape_main-1", false],
        ["p", true],
      ],
    );
    assert.equal(res.trust.get(1), "pinned");
    assert.equal(res.trust.get(2), "aggregator");
  });

  test("an aggregator cannot take a pinned relation's job name: renamed, or dropped when identical", () => {
    const pinnedRes = run([good()]);
    const [first] = pinnedRes.jobs;
    const { honor_labels: _h, ...same } = first!;
    const different = { ...same, static_configs: [{ targets: ["10.6.6.6:80"] }] };
    const proxy = rel(2, "proxy", { scrape_jobs: JSON.stringify([same, different]) });
    const res = run([good(), proxy], { trustedAggregators: ["proxy"] });
    const names = res.jobs.map((j) => String(j.job_name));
    assert.equal(names.filter((n) => n === first!.job_name).length, 1, "the pinned job keeps its name");
    assert.equal(res.jobs[names.indexOf(String(first!.job_name))]?.honor_labels, false);
    assert.equal(names.length, 3, "the identical job is dropped, the other renamed");
    assert.ok(names.some((n) => n.startsWith(`${first!.job_name}_`)));
  });
});

describe("cross-model relations", () => {
  test("the uuid is relation-model-get's; the model name is believed; the application is the one this model knows", () => {
    const remote = {
      remoteModelUuid: OTHER_UUID,
    };
    const honest = rel(
      2,
      "zinc",
      {
        scrape_metadata: JSON.stringify({ model: "edge", model_uuid: OTHER_UUID, application: "zinc" }),
        scrape_jobs: wildcard(),
      },
      remote,
    );
    let res = run([good(), honest]);
    assert.equal(reasons(res, 2), "");
    assert.deepEqual(labelsOf(res, 2)[0], {
      juju_model: "edge",
      juju_model_uuid: OTHER_UUID,
      juju_application: "zinc",
      juju_unit: "zinc/0",
    });
    // Offered as "zinc-metrics" and consumed under that name: Juju knows "zinc-metrics".
    const renamed = { ...honest, remoteApp: "zinc-metrics" };
    res = run([good(), renamed]);
    assert.match(
      reasons(res, 2),
      /consume the offer under the application's own name \(juju consume <offer-url> zinc\)/,
    );
    // A uuid other than relation-model-get's is refused, and so is this model's.
    for (const uuid of [LOCAL.uuid, TWIN_UUID]) {
      const lying = rel(
        2,
        "zinc",
        {
          scrape_metadata: JSON.stringify({ model: "edge", model_uuid: uuid, application: "zinc" }),
          scrape_jobs: wildcard(),
        },
        remote,
      );
      assert.match(
        reasons(run([good(), lying]), 2),
        /model_uuid .* is not the uuid of the model the relation comes from \(a1b2c3d4/,
      );
    }
    // Without metadata the remote model's name is unknown: refused unless trusted.
    const bare = rel(2, "zinc", { scrape_jobs: wildcard() }, remote);
    assert.match(reasons(run([good(), bare]), 2), /cross-model relation without 'scrape_metadata'/);
    assert.equal(reasons(run([good(), bare], { trustedAggregators: ["zinc"] }), 2), "");
  });
});

describe("pinned rules stay within the relation's topology", () => {
  const ruleRel = (rules: Record<string, unknown>[], app = "bad") =>
    rel(2, app, {
      scrape_metadata: meta(app),
      alert_rules: JSON.stringify({ groups: [{ name: "g", rules }] }),
    });
  const refused = (rules: Record<string, unknown>[], re: RegExp) => {
    const res = run([good(), ruleRel(rules)]);
    assert.equal(res.ruleFiles.filter((f) => f.relationId === 2).length, 0, JSON.stringify(rules));
    assert.match(reasons(res, 2), re);
  };

  test("labels naming another topology are refused, templated ones too", () => {
    refused(
      [{ alert: "A", expr: "up", labels: { juju_application: "good" } }],
      /label juju_application="good" is not this relation's topology/,
    );
    refused([{ alert: "A", expr: "up", labels: { juju_model: "prod" } }], /juju_model/);
    refused(
      [{ alert: "A", expr: "up", labels: { juju_unit: "good/0" } }],
      /label juju_unit="good\/0" is not a unit of 'bad'/,
    );
    refused(
      [{ alert: "A", expr: "up", labels: { juju_application: "{{ $labels.juju_application }}" } }],
      /juju_application/,
    );
    refused(
      [{ alert: "A", expr: "up", labels: { juju_custom: "x" } }],
      /label juju_custom="x" is not this relation's topology/,
    );
  });

  test("expressions that create juju_* labels are refused; scoping cannot be undone", () => {
    refused(
      [{ record: "x", expr: 'label_replace(up, "juju_application", "good", "", "")' }],
      /sets label 'juju_application'/,
    );
    refused([{ record: "x", expr: 'label_join(up, "juju_unit", "", "instance")' }], /sets label 'juju_unit'/);
    refused([{ alert: "A", expr: 'count_values("juju_model", up)' }], /sets label 'juju_model'/);
    refused(
      [{ alert: "A", expr: 'absent(nope{juju_unit="good/0"})' }],
      /absent\(\) would create series with juju_unit="good\/0"/,
    );
    refused([{ record: "up", expr: "vector(1)" }], /may not write 'up'/);
    refused([{ record: "ALERTS", expr: "vector(1)" }], /may not write 'ALERTS'/);
  });

  test("templates may not run queries", () => {
    refused(
      [
        {
          alert: "A",
          expr: "up",
          annotations: {
            d: '{{ with query "up{juju_application=\\"good\\"}" }}{{ . | first | value }}{{ end }}',
          },
        },
      ],
      /annotation 'd' runs a query/,
    );
  });

  test("a valid pinned rule is scoped to and labelled with the verified topology", () => {
    const res = run([
      good(),
      ruleRel([
        { alert: "A", expr: 'up{juju_application="good"} < 1' },
        { record: "r", expr: "sum(rate(x[5m]))" },
        { alert: "U", expr: "absent(up)", labels: { juju_unit: "bad/1" } },
      ]),
    ]);
    assert.equal(reasons(res, 2), "");
    const rules = res.ruleFiles.find((f) => f.relationId === 2)?.groups[0]?.rules as Record<
      string,
      unknown
    >[];
    assert.equal(
      rules[0]?.expr,
      `up{juju_application="bad",juju_model="cos",juju_model_uuid="${LOCAL.uuid}"} < 1`,
      "a matcher on another application is replaced",
    );
    assert.deepEqual(rules[1]?.labels, {
      juju_model: "cos",
      juju_model_uuid: LOCAL.uuid,
      juju_application: "bad",
    });
    assert.equal(
      rules[2]?.expr,
      `absent(up{juju_application="bad",juju_model="cos",juju_model_uuid="${LOCAL.uuid}",juju_unit="bad/1"})`,
    );
  });

  test("an aggregator's rules are read as Python reads them: its own labels scope them", () => {
    const proxyRules = rel(2, "proxy", {
      alert_rules: JSON.stringify({
        groups: [
          {
            name: "g",
            rules: [
              {
                alert: "A",
                expr: "up < 1",
                labels: { juju_model: "cos", juju_model_uuid: LOCAL.uuid, juju_application: "good" },
              },
            ],
          },
        ],
      }),
    });
    const res = run([good(), proxyRules], { trustedAggregators: ["proxy"] });
    const r = res.ruleFiles.find((f) => f.relationId === 2)?.groups[0]?.rules as Record<string, unknown>[];
    assert.equal(
      r[0]?.expr,
      `up{juju_application="good",juju_model="cos",juju_model_uuid="${LOCAL.uuid}"} < 1`,
    );
  });
});

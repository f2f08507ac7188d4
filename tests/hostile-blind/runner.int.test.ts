/**
 * Tests of the blind corpus runner's own checks, on hand-made outputs: each check must fail on
 * the violation it is for and pass when the property holds (including the ways a fixed
 * implementation may make it hold, such as pinning labels after a relation's relabel steps).
 * Uses the real promtool for the rule test and the YAML writer.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { goodUnchanged, type Output, reportChecks } from "./check.js";
import type { Case, Truth } from "./corpus.js";
import { expandString } from "./corpus.js";
import { differentialRuleTest, parseSamples, promqlString, promtool } from "./promtool.js";
import { jobTopologyViolations, regexMatches, ruleStaticViolations, unbracketedIpv6 } from "./topology.js";
import { readYamlLikeV2, yamlSafeJson } from "./yaml-io.js";

const UUID = "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f";
const evil: Truth = {
  id: 2,
  app: "evil",
  uuid: UUID,
  model: "cos",
  units: new Set(["evil/0", "evil/1"]),
  trusted: false,
};
const good: Truth = {
  id: 1,
  app: "good-app",
  uuid: UUID,
  model: "cos",
  units: new Set(["good-app/0"]),
  trusted: false,
};
const TOPO = { juju_model: "cos", juju_model_uuid: UUID, juju_application: "evil", juju_unit: "evil/0" };
const EVIL_SEL = `juju_application="evil",juju_model="cos",juju_model_uuid="${UUID}"`;
const work = mkdtempSync(join(tmpdir(), "hostile-blind-runner-"));
after(() => rmSync(work, { recursive: true, force: true }));

function job(o: Record<string, unknown> = {}): Record<string, unknown> {
  return { job_name: "x", static_configs: [{ targets: ["10.2.0.1:9000"], labels: { ...TOPO } }], ...o };
}
const PIN = Object.entries(TOPO).map(([k, v]) => ({ target_label: k, replacement: v }));

describe("scrape job topology", () => {
  it("accepts a job whose target groups carry the relation's topology", () => {
    assert.deepEqual(jobTopologyViolations(job(), evil), []);
  });
  it("flags honor_labels, from JSON or from YAML text", () => {
    assert.match(jobTopologyViolations(job({ honor_labels: true }), evil).join(), /honor_labels/);
    assert.match(jobTopologyViolations(job({ honor_labels: "yes" }), evil).join(), /honor_labels/);
    assert.deepEqual(jobTopologyViolations(job({ honor_labels: "false" }), evil), []);
  });
  it("flags a static label of another application", () => {
    const j = job({
      static_configs: [{ targets: ["a:1"], labels: { ...TOPO, juju_application: "good-app" } }],
    });
    assert.match(jobTopologyViolations(j, evil).join(), /juju_application="good-app"/);
  });
  it("flags a topology label the target group lacks, since the target then sets it", () => {
    const { juju_unit: _u, ...noUnit } = TOPO;
    const j = job({ static_configs: [{ targets: ["a:1"], labels: noUnit }] });
    assert.match(jobTopologyViolations(j, evil).join(), /juju_unit=a value the target/);
    const dropped = { ...j, metric_relabel_configs: [{ action: "labeldrop", regex: "juju_unit" }] };
    assert.deepEqual(jobTopologyViolations(dropped, evil), []);
  });
  it("flags relabel steps that write or drop topology labels", () => {
    assert.match(
      jobTopologyViolations(
        job({ relabel_configs: [{ target_label: "juju_application", replacement: "good-app" }] }),
        evil,
      ).join(),
      /good-app/,
    );
    assert.match(
      jobTopologyViolations(
        job({ relabel_configs: [{ action: "labeldrop", regex: "juju_application" }] }),
        evil,
      ).join(),
      /juju_application=a value/,
    );
    assert.match(
      jobTopologyViolations(
        job({ metric_relabel_configs: [{ action: "labelmap", regex: "exported_(juju_.*)" }] }),
        evil,
      ).join(),
      /a value/,
    );
    assert.match(
      jobTopologyViolations(
        job({ relabel_configs: [{ source_labels: ["a"], target_label: `$${"{"}1}`, replacement: "x" }] }),
        evil,
      ).join(),
      /a value/,
    );
    assert.match(
      jobTopologyViolations(
        job({ relabel_configs: [{ action: "lowercase", source_labels: ["a"], target_label: "juju_unit" }] }),
        evil,
      ).join(),
      /juju_unit/,
    );
  });
  it("accepts hostile steps that later constant pins override, in both relabel phases", () => {
    const hostile = [
      { action: "labelmap", regex: "x_(.*)" },
      { action: "labeldrop", regex: "(?i)JUJU_.*" },
    ];
    const j = job({ relabel_configs: [...hostile, ...PIN], metric_relabel_configs: [...hostile, ...PIN] });
    assert.deepEqual(jobTopologyViolations(j, evil), []);
    assert.notDeepEqual(jobTopologyViolations(job({ relabel_configs: [...PIN, ...hostile] }), evil), []);
  });
  it("counts regexes RE2 and JavaScript may read differently as matching", () => {
    assert.equal(regexMatches("(?i)JUJU_APPLICATION", "juju_application"), "maybe");
    assert.equal(regexMatches("[[:alpha:]_]+", "juju_application"), "maybe");
    assert.equal(regexMatches("\\Qjuju_application\\E", "juju_application"), "maybe");
    assert.equal(regexMatches("[j]uju_.*", "juju_application"), "yes");
    assert.equal(regexMatches("other_[a-z]+", "juju_application"), "no");
    assert.deepEqual(
      jobTopologyViolations(job({ relabel_configs: [{ action: "labeldrop", regex: "other_[a-z]+" }] }), evil),
      [],
    );
  });
  it("flags service discovery, whose targets and labels the relation does not state", () => {
    assert.match(
      jobTopologyViolations(job({ file_sd_configs: [{ files: ["/x"] }] }), evil).join(),
      /file_sd_configs/,
    );
  });
  it("accepts a cross-model relation's own uuid and any model name", () => {
    const remote: Truth = { ...evil, uuid: "5d6e7f80-91a2-4b3c-8d4e-5f60718293a4", model: undefined };
    const j = job({
      static_configs: [
        { targets: ["a:1"], labels: { ...TOPO, juju_model: "edge", juju_model_uuid: remote.uuid } },
      ],
    });
    assert.deepEqual(jobTopologyViolations(j, remote), []);
    assert.notDeepEqual(jobTopologyViolations(job(), remote), []);
  });
});

describe("targets", () => {
  it("requires brackets around IPv6 addresses", () => {
    for (const t of ["fd00::1:9000", "fd00::1", ":::9000", "[[fd00::1]]:9000", "10.0.0.1:1:2"])
      assert.ok(unbracketedIpv6(t), t);
    for (const t of ["[fd00::1]:9000", "[fd00::1]", "10.0.0.1:9000", "host:80", "[fe80::1%eth0]:9"])
      assert.ok(!unbracketedIpv6(t), t);
  });
});

describe("rule labels and templates", () => {
  it("accepts the relation's own literal topology labels", () => {
    assert.deepEqual(
      ruleStaticViolations(
        {
          alert: "A",
          expr: "up",
          labels: { juju_application: "evil", juju_unit: "evil/1", owner: "{{ $labels.juju_application }}" },
        },
        evil,
      ),
      [],
    );
  });
  it("flags other values, templated topology labels and query templates", () => {
    assert.match(
      ruleStaticViolations({ alert: "A", labels: { juju_application: "good-app" } }, evil).join(),
      /good-app/,
    );
    assert.match(
      ruleStaticViolations({ alert: "A", labels: { juju_unit: "{{ $labels.job }}" } }, evil).join(),
      /template/,
    );
    assert.match(
      ruleStaticViolations({ alert: "A", annotations: { s: '{{ "up" | query }}' } }, evil).join(),
      /query/,
    );
    assert.match(
      ruleStaticViolations({ alert: "A", labels: { x: "{{- with query `up` }}{{ end }}" } }, evil).join(),
      /query/,
    );
  });
});

describe("rule evaluation with promtool test rules", () => {
  const run = (name: string, rules: Record<string, unknown>[]) =>
    differentialRuleTest({ dir: join(work, name), rules, owner: evil, all: [good, evil] });
  it("passes rules confined to their own application", async () => {
    const rules = [
      { alert: "A", expr: `up{${EVIL_SEL}} < 100` },
      { record: "evil:sum", expr: `sum by (juju_unit) (http_requests_total{${EVIL_SEL}})` },
      { alert: "B", expr: `absent(nothing{${EVIL_SEL}})` },
      {
        alert: "C",
        expr: `up{${EVIL_SEL}} * on() group_left(juju_unit) good:http_requests:rate5m{${EVIL_SEL}}`,
      },
    ];
    assert.deepEqual(await run("confined", rules), []);
  });
  it("catches a rule that reads every application's series", async () => {
    assert.match(
      (
        await run("reads", [{ alert: "A", expr: "count(up) > 0", labels: { juju_application: "evil" } }])
      ).join(),
      /reads other applications' series/,
    );
  });
  it("catches a rule that emits another application's labels", async () => {
    assert.match(
      (
        await run("emits", [
          { alert: "A", expr: `label_replace(up{${EVIL_SEL}}, "juju_application", "good-app", "", "")` },
        ])
      ).join(),
      /emits juju_application="good-app"/,
    );
    // absent() returns the labels of its equality matchers, even when confined to its own series.
    assert.match(
      (
        await run("absent", [{ alert: "A", expr: `absent(nothing{juju_unit="good-app/0",${EVIL_SEL}})` }])
      ).join(),
      /emits juju_unit="good-app\/0"/,
    );
    // Unconfined, it reads the other application's series too.
    assert.match(
      (await run("absent-open", [{ alert: "A", expr: `absent(nothing{juju_unit="good-app/0"})` }])).join(),
      /reads other applications' series/,
    );
  });
  it("lays the rule's own labels over what the expression produces", async () => {
    const expr = `label_replace(up{${EVIL_SEL}}, "juju_application", "good-app", "", "")`;
    assert.deepEqual(await run("override", [{ alert: "A", expr, labels: { juju_application: "evil" } }]), []);
  });
  it("reads promtool's sample listing back", () => {
    const got = parseSamples(
      '{__name__="up", a="x\\"y, z=\\\\\\"w}", b="\\u2028"} 6E+00, {juju_application="evil"} 5E-01',
    );
    assert.deepEqual(got, [
      { labels: { __name__: "up", a: 'x"y, z=\\"w}', b: "\u2028" }, value: "6E+00" },
      { labels: { juju_application: "evil" }, value: "5E-01" },
    ]);
    assert.equal(promqlString('"\\u006auju"'), "juju");
    assert.equal(promqlString("`a\\n`"), "a\\n");
  });
});

describe("YAML the runner writes and reads", () => {
  const values = [
    "a\u2028b",
    "a\u0085b",
    "\ufeffa",
    "a\u0000b",
    "a\u0001\u007f\u0080b",
    "a\ud800b",
    "\u{1F600}",
    "yes",
    "~",
    "<<",
    "- x",
    "a: b",
  ];
  it("writes values that promtool (yaml.v2) reads", async () => {
    const f = join(work, "values.yml");
    const labels = Object.fromEntries(values.map((v, i) => [`l${i}`, v]));
    writeFileSync(
      f,
      yamlSafeJson({
        scrape_configs: [
          { job_name: "x", params: { "<<": ["v"] }, static_configs: [{ targets: ["a:1"], labels }] },
        ],
      }),
    );
    const r = await promtool(["check", "config", "--syntax-only", f]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // The same control character written raw is refused: the check has teeth.
    writeFileSync(f, `scrape_configs:\n- job_name: "a\u0001b"\n  static_configs: [{targets: ["a:1"]}]\n`);
    assert.notEqual((await promtool(["check", "config", "--syntax-only", f])).code, 0);
  });
  it("reads YAML as yaml.v2 fills string fields", () => {
    assert.deepEqual(
      readYamlLikeV2("a: yes\nb: 012\nc: ~\nd: 'null'\nx: &x {p: 1}\ne:\n  <<: *x\n  '<<': q\n"),
      {
        a: "yes",
        b: "012",
        c: null,
        d: "null",
        x: { p: "1" },
        e: { p: "1", "<<": "q" },
      },
    );
  });
});

describe("corpus macros", () => {
  it("expands REPEAT and SEQ", () => {
    assert.equal(expandString("[@@REPEAT|3|a@@]"), "[aaa]");
    assert.equal(expandString('@@SEQ|3|%7C|h#@@ @@SEQ|2|, |"#"@@'), 'h0|h1|h2 "0", "1"');
  });
});

describe("good relation and reports", () => {
  const ref: Output = {
    jobs: [
      { job_name: "g-0", a: 1 },
      { job_name: "g-1", a: 2 },
    ],
    rules: new Map([["good_metrics-endpoint_1", { raw: "r", parsed: {} }]]),
    reports: [],
  };
  const eq = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  it("passes identical good output and flags shadowed, changed, reordered or missing parts", () => {
    assert.deepEqual(goodUnchanged({ ...ref, jobs: [...ref.jobs, { job_name: "h" }] }, ref, eq), []);
    assert.match(
      goodUnchanged({ ...ref, jobs: [...ref.jobs, { job_name: "g-0" }] }, ref, eq).join(),
      /shadowed/,
    );
    assert.match(
      goodUnchanged({ ...ref, jobs: [{ job_name: "g-0", a: 9 }, ref.jobs[1] as never] }, ref, eq).join(),
      /changed/,
    );
    assert.match(goodUnchanged({ ...ref, jobs: [...ref.jobs].reverse() }, ref, eq).join(), /reordered/);
    assert.match(goodUnchanged({ ...ref, rules: new Map() }, ref, eq).join(), /missing/);
  });
  const c = {
    id: "t",
    file: "t",
    class: "t",
    description: "t",
    state: {
      model: { name: "cos", uuid: UUID },
      relations: [
        { id: 1, remote_app: "good-app", app_data: {}, units: {} },
        { id: 2, remote_app: "evil", app_data: {}, units: {} },
      ],
    },
    expect: { behaviour: [], rejected: [2] },
  } satisfies Case;
  it("requires the rejected relation named with endpoint:id and application, the good one silent", () => {
    const named = { ...ref, reports: [{ text: "relation metrics-endpoint:2 (evil): bad", relationId: 2 }] };
    assert.deepEqual(reportChecks(c, named, "render"), []);
    assert.match(
      reportChecks(c, { ...ref, reports: [{ text: "metrics-endpoint:2 bad" }] }, "render").join(),
      /must be rejected/,
    );
    assert.match(
      reportChecks(
        c,
        { ...ref, reports: [...named.reports, { text: "metrics-endpoint:1 (good-app)", relationId: 1 }] },
        "render",
      ).join(),
      /must be silent/,
    );
    assert.deepEqual(
      reportChecks(
        c,
        { ...ref, reports: [{ text: "blocked: metrics-endpoint:2 (evil) ... metrics-endpoint:12" }] },
        "charm",
      ),
      [],
    );
    assert.match(reportChecks(c, { ...ref, reports: [{ text: "active: " }] }, "charm").join(), /must name/);
  });
});

/** Tests of `consume`: per-relation isolation, security rules, bounds, rule files and feedback. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import { type ConsumeMemo, type ConsumerOptions, consume, type RelationOutcome } from "./consumer.js";
import { checkRe2, validateScrapeJob } from "./job-validation.js";
import { DEFAULT_LIMITS } from "./limits.js";

const UUID = "a1b2c3d4-1111-4222-8333-444455556666";
const META = JSON.stringify({ model: "lma", model_uuid: UUID, application: "app", charm_name: "app-k8s" });
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

function rel(
  id: number,
  appData: Record<string, string>,
  extra: Partial<RelationSnapshot> = {},
): RelationSnapshot {
  return {
    id,
    endpoint: "metrics-endpoint",
    remoteApp: "app",
    remoteAppData: { scrape_metadata: META, ...appData },
    remoteUnitsData: {
      "app/0": { prometheus_scrape_unit_address: "10.0.0.1", prometheus_scrape_unit_name: "app/0" },
    },
    ...extra,
  };
}
const jobs = (...j: unknown[]) => ({ scrape_jobs: JSON.stringify(j) });
/** The model the relations of these tests live in (their metadata's). */
const LOCAL = { name: "lma", uuid: UUID };
const run = (rels: RelationSnapshot[], opts?: Partial<ConsumerOptions>) =>
  consume(rels, { model: LOCAL, ...opts });
const okJob = { job_name: "ok", static_configs: [{ targets: ["*:9100"] }] };

function rejectedJobs(job: unknown): string {
  const res = run([rel(1, jobs(job, okJob))]);
  assert.deepEqual(
    res.jobs.map((j) => j.job_name),
    ["juju_lma_a1b2c3d4_app_prometheus_scrape_ok-0"],
    "the valid job of the same relation is kept",
  );
  const r = res.rejected.find((x) => x.kind === "jobs");
  assert.ok(r, "a jobs rejection is reported");
  assert.match(r.reason, /^relation metrics-endpoint:1 \(app\): /);
  return r.reason;
}

describe("isolation", () => {
  test("bad metadata or UUID rejects that relation only", () => {
    const res = run([
      rel(1, { ...jobs(okJob), scrape_metadata: "{nope" }),
      rel(2, {
        ...jobs(okJob),
        scrape_metadata: JSON.stringify({ model: "m", model_uuid: "bad", application: "a" }),
      }),
      rel(3, { ...jobs(okJob), scrape_metadata: JSON.stringify({ model: "m", model_uuid: UUID }) }),
      rel(4, jobs(okJob)),
    ]);
    assert.equal(res.jobs.length, 1);
    assert.deepEqual(
      res.rejected.map((r) => [r.relationId, r.kind]),
      [
        [1, "relation"],
        [2, "relation"],
        [3, "relation"],
      ],
    );
    assert.match(res.rejected[1]?.reason ?? "", /model_uuid/);
    assert.match(res.rejected[2]?.reason ?? "", /'application'/);
    assert.ok(res.feedback.get(1)?.includes("scrape_job_errors"));
  });

  test("relations are processed in id order, output is deterministic", () => {
    const a = run([
      rel(5, jobs({ job_name: "b", static_configs: [{ targets: ["*:1"] }] })),
      rel(2, jobs(okJob)),
    ]);
    const b = run([
      rel(2, jobs(okJob)),
      rel(5, jobs({ job_name: "b", static_configs: [{ targets: ["*:1"] }] })),
    ]);
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.match(String(a.jobs[0]?.job_name), /_ok-0$/);
  });

  test("raw path (a trusted aggregator without metadata): job without job_name rejected, reserved name rejected, others kept verbatim", () => {
    const raw = (d: Record<string, string>) => ({ ...rel(1, {}), remoteAppData: d });
    const res = run(
      [
        raw({
          scrape_jobs: JSON.stringify([
            { static_configs: [{ targets: ["a:1"] }] },
            { job_name: "prometheus" },
            { job_name: "r", static_configs: [{ targets: ["*:1"] }] },
          ]),
        }),
      ],
      { fallbackScrapeProtocol: true, trustedAggregators: ["app"] },
    );
    assert.deepEqual(
      res.jobs,
      [{ job_name: "r", static_configs: [{ targets: ["*:1"] }], honor_labels: true }],
      "no prefix, no fallback, no expansion",
    );
    assert.equal(res.rejected.filter((r) => r.kind === "jobs").length, 2);
  });

  test("fallback_scrape_protocol only when asked (Prometheus 3)", () => {
    assert.equal(run([rel(1, jobs(okJob))]).jobs[0]?.fallback_scrape_protocol, undefined);
    assert.equal(
      run([rel(1, jobs(okJob))], { fallbackScrapeProtocol: true }).jobs[0]?.fallback_scrape_protocol,
      "PrometheusText0.0.4",
    );
  });
});

describe("job validation (one bad job rejected, naming the field)", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["duration", { scrape_interval: "5 s" }, /scrape_interval/],
    ["timeout > interval", { scrape_interval: "5s", scrape_timeout: "10s" }, /scrape_timeout is greater/],
    ["int", { sample_limit: { not_a_key: 1 } }, /sample_limit/],
    ["scheme", { scheme: "ftp" }, /scheme/],
    ["label name", { static_configs: [{ targets: ["a:1"], labels: { "bad-name": "x" } }] }, /bad-name/],
    ["target path", { static_configs: [{ targets: ["http://a:1/x"] }] }, /targets\[0\]/],
    ["relabel action", { relabel_configs: [{ action: "explode" }] }, /relabel_configs\[0\]\.action/],
    [
      "relabel regex",
      { metric_relabel_configs: [{ action: "drop", source_labels: ["a"], regex: "(" }] },
      /metric_relabel_configs\[0\]\.regex/,
    ],
    [
      "RE2 lookahead",
      { relabel_configs: [{ action: "keep", source_labels: ["a"], regex: "(?=x)" }] },
      /unsupported Perl syntax/,
    ],
    ["params", { params: { module: "x" } }, /params/],
    ["tls shape", { tls_config: "x" }, /tls_config/],
    [
      "basic_auth + authorization",
      { basic_auth: { username: "u" }, authorization: { credentials: "c" } },
      /at most one/,
    ],
    ["tls half client auth", { tls_config: { cert_file: PEM } }, /both "cert_file" and "key_file"/],
    ["proxy_url", { proxy_url: "not a url" }, /proxy_url/],
    // What Prometheus refuses although JavaScript reads it fine:
    ["duration over Go's int64", { scrape_interval: "300y" }, /scrape_interval/],
    ["integer written as a float", { sample_limit: 1e20 }, /sample_limit/],
    [
      "auth type with a space",
      { authorization: { type: "Bearer x", credentials: "c" } },
      /authorization\.type/,
    ],
    ["proxy_url Go refuses", { proxy_url: "http://a b:80/" }, /proxy_url/],
    ["proxy_url port", { proxy_url: "http://proxy:99999" }, /proxy_url/],
    ["proxy_url escape", { proxy_url: "http://u%zz@proxy:80" }, /proxy_url/],
    [
      "lone surrogate",
      { static_configs: [{ targets: ["*:1"], labels: { a: "x\ud800" } }] },
      /lone surrogate/,
    ],
  ];
  for (const [name, patch, re] of cases) {
    test(name, () =>
      assert.match(rejectedJobs({ job_name: "bad", static_configs: [{ targets: ["*:1"] }], ...patch }), re),
    );
  }
  test("valid jobs with every allowed key pass", () => {
    const job = {
      job_name: "full",
      metrics_path: "/m",
      static_configs: [{ targets: ["*:1", "[::1]:2"], labels: { team: "x" } }],
      scrape_interval: "30s",
      scrape_timeout: "10s",
      proxy_url: "http://proxy:3128",
      relabel_configs: [
        { source_labels: ["__address__"], target_label: "host", regex: "(?P<h>[^:]+):.*", replacement: "$1" },
      ],
      metric_relabel_configs: [{ action: "drop", source_labels: ["__name__"], regex: "(?i)go_.*" }],
      sample_limit: 1000,
      label_limit: 0,
      label_name_length_limit: 10,
      label_value_length_limit: 10,
      scheme: "https",
      tls_config: {
        ca_file: PEM,
        cert_file: PEM,
        key_file: PEM,
        server_name: "x",
        insecure_skip_verify: false,
      },
      authorization: { type: "Bearer", credentials: "t" },
      params: { module: ["a"] },
    };
    assert.deepEqual(validateScrapeJob(job, DEFAULT_LIMITS), []);
  });
  test("RE2 checks follow Go's syntax, not JavaScript's", () => {
    assert.equal(checkRe2("(?P<x>a)|b+"), undefined);
    assert.equal(checkRe2("[[:alpha:]]+\\pN"), undefined);
    assert.match(checkRe2("(a)\\1") ?? "", /invalid escape sequence/);
    assert.match(checkRe2("(?<x>a)") ?? "", /\(\?P<name>/);
    // JavaScript accepts all three; Go's regexp refuses them.
    assert.match(checkRe2("a\\Z") ?? "", /invalid escape sequence/);
    assert.match(checkRe2("a{1001}") ?? "", /invalid repeat count/);
    assert.match(checkRe2("[[:foo:]]") ?? "", /invalid character class range/);
  });
  test("a pathological labeldrop regex is checked in linear time, case flags included", () => {
    // Exponential for a backtracking engine against "juju_application"; RE2 answers at once.
    const evil = { relabel_configs: [{ action: "labeldrop", regex: "(.*){30}z" }] };
    assert.deepEqual(validateScrapeJob(evil, DEFAULT_LIMITS), []);
    for (const regex of ["(?i)JUJU_.*", "(?i:Juju_Model)", "ju(?:j)u_unit"]) {
      const p = validateScrapeJob(
        { metric_relabel_configs: [{ action: "labeldrop", regex }] },
        DEFAULT_LIMITS,
      );
      assert.match(p.join(), /would drop topology label/, regex);
    }
  });
});

describe("security", () => {
  test("*_file keys are rejected (basic_auth.password_file, authorization.credentials_file)", () => {
    assert.match(
      rejectedJobs({ job_name: "b", basic_auth: { username: "u", password_file: "/etc/shadow" } }),
      /basic_auth\.password_file: file references/,
    );
    assert.match(
      rejectedJobs({ job_name: "b", authorization: { credentials_file: "/x" } }),
      /authorization\.credentials_file/,
    );
  });
  test("tls_config ca/cert/key carry PEM contents; a path is rejected", () => {
    assert.match(
      rejectedJobs({ job_name: "b", tls_config: { ca_file: "/var/lib/juju/agents/key.pem" } }),
      /tls_config\.ca_file must carry PEM contents/,
    );
    const res = run([rel(1, jobs({ ...okJob, tls_config: { ca_file: PEM } }))]);
    assert.deepEqual(res.jobs[0]?.tls_config, { ca_file: PEM });
  });
  test("file_sd_configs, bearer_token_file and honor_labels are dropped and reported, job kept", () => {
    const res = run([
      rel(
        1,
        jobs({
          ...okJob,
          file_sd_configs: [{ files: ["/etc/*"] }],
          bearer_token_file: "/x",
          honor_labels: true,
        }),
      ),
    ]);
    assert.equal(res.jobs.length, 1);
    for (const k of ["file_sd_configs", "bearer_token_file"]) assert.equal(res.jobs[0]?.[k], undefined);
    assert.equal(res.jobs[0]?.honor_labels, false, "the consumer's, not the provider's");
    const r = res.rejected.find((x) => x.kind === "ignored");
    assert.match(r?.reason ?? "", /bearer_token_file, file_sd_configs, honor_labels/);
  });
  test("raw path drops disallowed keys too", () => {
    const res = run(
      [
        {
          ...rel(1, {}),
          remoteAppData: jobs({ job_name: "r", file_sd_configs: [], static_configs: [{ targets: ["a:1"] }] }),
        },
      ],
      { trustedAggregators: ["app"] },
    );
    assert.deepEqual(res.jobs, [
      { job_name: "r", static_configs: [{ targets: ["a:1"] }], honor_labels: true },
    ]);
  });
  test("relabel configs may not target, drop or remap juju_* labels", () => {
    assert.match(
      rejectedJobs({ job_name: "b", relabel_configs: [{ target_label: "juju_model", replacement: "x" }] }),
      /may not write juju_\*/,
    );
    assert.match(
      rejectedJobs({ job_name: "b", relabel_configs: [{ target_label: "$1", source_labels: ["a"] }] }),
      /juju_/,
    );
    assert.match(
      rejectedJobs({ job_name: "b", metric_relabel_configs: [{ action: "labeldrop", regex: "juju_.*" }] }),
      /labeldrop .* 'juju_/,
    );
    assert.match(
      rejectedJobs({
        job_name: "b",
        metric_relabel_configs: [{ action: "labelkeep", regex: "__name__|job" }],
      }),
      /labelkeep/,
    );
    assert.match(
      rejectedJobs({ job_name: "b", relabel_configs: [{ action: "labelmap", regex: "x_(.*)" }] }),
      /labelmap/,
    );
    const ok = run([
      rel(
        1,
        jobs({ ...okJob, relabel_configs: [{ action: "labelmap", regex: "x_(.*)", replacement: "k8s_$1" }] }),
      ),
    ]);
    assert.equal(ok.rejected.length, 0, "a labelmap into another prefix is fine");
  });
  test("an aggregator's static labels may not override its metadata's topology; topology kept and reported", () => {
    const res = run(
      [
        rel(
          1,
          jobs({
            job_name: "j",
            static_configs: [{ targets: ["*:1"], labels: { juju_application: "other" } }],
          }),
        ),
      ],
      { trustedAggregators: ["app"] },
    );
    const labels = (res.jobs[0]?.static_configs as { labels: Record<string, string> }[] | undefined)?.[0]
      ?.labels;
    assert.equal(labels?.juju_application, "app");
    assert.match(res.rejected[0]?.reason ?? "", /juju_application may not override topology labels/);
    assert.equal(res.rejected[0]?.kind, "ignored");
  });
});

describe("bounds (checked before anything is copied)", () => {
  test("nesting deeper than maxJsonDepth is refused without recursing (10,000 levels)", () => {
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    const res = run([
      rel(1, { ...jobs(okJob), alert_rules: deep }),
      rel(2, jobs({ ...okJob, job_name: "two" })),
    ]);
    assert.match(
      res.rejected.map((r) => r.reason).join(),
      /'alert_rules' nests deeper than the limit maxJsonDepth=64/,
    );
    assert.equal(res.jobs.length, 2, "both relations' jobs kept");
  });
  test("a unit bag value over maxUnitValueBytes leaves that unit out, before any job copies it", () => {
    const big = "/p".repeat(4 * 1024 * 1024);
    const r = rel(1, jobs(okJob));
    const res = run([
      {
        ...r,
        remoteUnitsData: {
          ...r.remoteUnitsData,
          "app/1": { prometheus_scrape_unit_address: "10.0.0.2", prometheus_scrape_unit_path: big },
        },
      },
    ]);
    assert.deepEqual(
      res.jobs.map((j) => j.job_name),
      ["juju_lma_a1b2c3d4_app_prometheus_scrape_ok-0"],
    );
    assert.match(
      res.rejected[0]?.reason ?? "",
      /unit app\/1: prometheus_scrape_unit_path is 8388608 bytes, over the limit maxUnitValueBytes=4096/,
    );
  });
  test("targets per job counts every unit a '*' target expands to (100,000 units)", () => {
    const units: Record<string, Record<string, string>> = {};
    for (let u = 0; u < 100_000; u++)
      units[`app/${u}`] = { prometheus_scrape_unit_address: `10.${u >> 16}.${(u >> 8) & 255}.${u & 255}` };
    const res = run([{ ...rel(1, jobs(okJob)), remoteUnitsData: units }], { limits: { maxUnits: 200_000 } });
    assert.equal(res.jobs.length, 0);
    assert.match(
      res.rejected[0]?.reason ?? "",
      /100000 targets once '\*' is expanded for 100000 units, over the limit maxTargetsPerJob=5000/,
    );
    // With the default bound the relation is refused before any unit bag is read.
    const bounded = run([{ ...rel(1, jobs(okJob)), remoteUnitsData: units }]);
    assert.deepEqual(
      bounded.rejected.map((r) => [r.kind, r.reason]),
      [["relation", "relation metrics-endpoint:1 (app): 100000 units, over the limit maxUnits=5000"]],
    );
  });
  test("static labels per target group are bounded (each scraped series carries them all)", () => {
    const labels = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`l${i}`, "v"]));
    const res = run([rel(1, jobs({ ...okJob, static_configs: [{ targets: ["*:1"], labels }] }))]);
    assert.equal(res.jobs.length, 0);
    assert.match(res.rejected[0]?.reason ?? "", /101 labels, over the limit maxLabelsPerStaticConfig=100/);
  });
  test("a job over maxJobBytes, or whose copies per unit exceed maxExpandedJobBytes, is refused", () => {
    const fat = (n: number) => ({
      ...okJob,
      static_configs: [{ targets: ["*:1"], labels: { big: "x".repeat(n) } }],
    });
    const units: Record<string, Record<string, string>> = {};
    for (let u = 0; u < 100; u++) units[`app/${u}`] = { prometheus_scrape_unit_address: `10.0.0.${u + 1}` };
    let res = run([{ ...rel(1, jobs(fat(300_000))), remoteUnitsData: units }]);
    assert.equal(res.jobs.length, 0);
    assert.match(res.rejected[0]?.reason ?? "", /job is 3\d{5} bytes, over the limit maxJobBytes=262144/);
    res = run([{ ...rel(1, jobs(fat(200_000))), remoteUnitsData: units }]);
    assert.equal(res.jobs.length, 0);
    assert.match(
      res.rejected[0]?.reason ?? "",
      /once copied for 100 units, over the limit maxExpandedJobBytes=16777216/,
    );
  });
  test("value bytes", () => {
    const res = run([rel(1, jobs(okJob))], { limits: { maxValueBytes: 20 } });
    assert.match(res.rejected.map((r) => r.reason).join(), /maxValueBytes=20/);
  });
  test("jobs per relation", () => {
    const res = run([rel(1, jobs(okJob, okJob)), rel(2, jobs(okJob))], { limits: { maxJobs: 1 } });
    assert.equal(res.jobs.length, 1);
    assert.match(res.rejected[0]?.reason ?? "", /maxJobs=1/);
  });
  test("static_configs and targets per job", () => {
    const sc = { targets: ["a:1", "b:1"] };
    let res = run([rel(1, jobs({ job_name: "j", static_configs: [sc, sc] }))], {
      limits: { maxStaticConfigsPerJob: 1 },
    });
    assert.match(res.rejected[0]?.reason ?? "", /maxStaticConfigsPerJob=1/);
    res = run([rel(1, jobs({ job_name: "j", static_configs: [sc] }))], { limits: { maxTargetsPerJob: 1 } });
    assert.match(res.rejected[0]?.reason ?? "", /maxTargetsPerJob=1/);
  });
  test("groups and rules per relation", () => {
    const rules = {
      groups: [
        {
          name: "a",
          rules: [
            { alert: "A", expr: "up" },
            { alert: "B", expr: "up" },
          ],
        },
        { name: "b", rules: [] },
      ],
    };
    let res = run([rel(1, { alert_rules: JSON.stringify(rules) })], { limits: { maxGroups: 1 } });
    assert.match(res.rejected[0]?.reason ?? "", /maxGroups=1/);
    res = run([rel(1, { alert_rules: JSON.stringify(rules) })], { limits: { maxRules: 1 } });
    assert.match(res.rejected[0]?.reason ?? "", /maxRules=1/);
    assert.equal(res.ruleFiles.length, 0);
  });
});

describe("unit addresses", () => {
  const withAddress = (...addresses: string[]) => {
    const r = rel(1, jobs({ job_name: "j", static_configs: [{ targets: ["*:8000", "*"] }] }));
    return {
      ...r,
      remoteUnitsData: Object.fromEntries(
        addresses.map((a, i) => [
          `app/${i}`,
          { prometheus_scrape_unit_address: a, prometheus_scrape_unit_name: `app/${i}` },
        ]),
      ),
    };
  };
  test("IPv6 addresses are bracketed in targets (a bare one would read as host:port)", () => {
    const res = run([withAddress("fd00::1", "::ffff:10.0.0.1", "[fd00::2]", "10.0.0.3")]);
    assert.deepEqual(
      res.jobs.map((j) => (j.static_configs as { targets: string[] }[])[0]?.targets),
      [
        ["[fd00::1]:8000", "[fd00::1]"],
        ["[::ffff:10.0.0.1]:8000", "[::ffff:10.0.0.1]"],
        ["[fd00::2]:8000", "[fd00::2]"],
        ["10.0.0.3:8000", "10.0.0.3"],
      ],
    );
  });
  test("an explicit target on a unit's IPv6 address gets that unit's topology", () => {
    const r = withAddress("fd00::1");
    const res = run([
      {
        ...r,
        remoteAppData: {
          ...r.remoteAppData,
          ...jobs({ job_name: "e", static_configs: [{ targets: ["[FD00::1]:9100"] }] }),
        },
      },
    ]);
    const labels = (res.jobs[0]?.static_configs as { labels: Record<string, string> }[] | undefined)?.[0]
      ?.labels;
    assert.equal(labels?.juju_unit, "app/0");
  });
  test("an explicit target that is a bare IPv6 address is bracketed (Prometheus then adds its port)", () => {
    const res = run([
      rel(1, jobs({ job_name: "e", static_configs: [{ targets: ["fd00::3", "[fd00::4]:9", "host:1"] }] })),
    ]);
    assert.deepEqual((res.jobs[0]?.static_configs as { targets: string[] }[] | undefined)?.[0]?.targets, [
      "[fd00::3]",
      "[fd00::4]:9",
      "host:1",
    ]);
  });
  test("host:port, URLs and spaces are not addresses", () => {
    for (const bad of ["cafe:8080", "10.0.0.1:80", "http://x", "a b", "[10.0.0.1]"]) {
      const res = run([withAddress(bad)]);
      assert.equal(res.jobs.length, 0, bad);
      assert.match(res.rejected[0]?.reason ?? "", /is not a host name or IP address/, bad);
    }
  });
});

describe("alert rules", () => {
  const rule = (expr: string, labels?: Record<string, string>) => ({
    alert: "A",
    expr,
    ...(labels ? { labels } : {}),
  });
  const ruleRel = (groups: unknown[], extra: Record<string, string> = {}) =>
    rel(7, { ...jobs(okJob), alert_rules: JSON.stringify({ groups }), ...extra });

  test("topology injected into every selector, placeholder removed, never juju_charm", () => {
    const labels = {
      juju_model: "lma",
      juju_model_uuid: UUID,
      juju_application: "app",
      juju_charm: "app-k8s",
    };
    const res = run([
      ruleRel([{ name: "g", rules: [rule('sum(rate(x{%%juju_topology%%,a="1"}[5m])) / on() y', labels)] }]),
    ]);
    const expr = (res.ruleFiles[0]?.groups[0]?.rules as { expr: string }[] | undefined)?.[0]?.expr ?? "";
    assert.equal(
      expr,
      `sum(rate(x{a="1",juju_application="app",juju_model="lma",juju_model_uuid="${UUID}"}[5m])) / on() y{juju_application="app",juju_model="lma",juju_model_uuid="${UUID}"}`,
    );
    assert.equal(res.ruleFiles[0]?.name, "juju_lma_a1b2c3d4_app_metrics-endpoint_7");
    assert.equal(res.feedback.get(7), "{}");
  });

  test("each rule is injected with its own labels' topology, whatever characters they hold", () => {
    // Tuples that would read the same if their values were joined with a separator character.
    const a = { juju_model: `m\u0000${UUID}`, juju_model_uuid: UUID, juju_application: "app" };
    const b = { juju_model: "m", juju_model_uuid: UUID, juju_application: `${UUID}\u0000app` };
    const c = { juju_model: "lma", juju_model_uuid: UUID, juju_application: "app", juju_unit: "app/1" };
    // An aggregator's rules are scoped by their own labels (a pinned relation's by its topology).
    const res = run(
      [ruleRel([{ name: "g", rules: [rule("up", a), rule("up", b), rule("up", a), rule("up", c)] }])],
      { trustedAggregators: ["app"] },
    );
    const rules = (res.ruleFiles[0]?.groups[0]?.rules ?? []) as { expr: string }[];
    const exprs = rules.map((r) => r.expr);
    const A = `up{juju_application="app",juju_model="m\\x00${UUID}",juju_model_uuid="${UUID}"}`;
    const B = `up{juju_application="${UUID}\\x00app",juju_model="m",juju_model_uuid="${UUID}"}`;
    const C = `up{juju_application="app",juju_model="lma",juju_model_uuid="${UUID}",juju_unit="app/1"}`;
    assert.deepEqual(exprs, [A, B, A, C]);
  });

  test("invalid rule rejects the rule file only, never the jobs; feedback carries the error", () => {
    const res = run([ruleRel([{ name: "g", rules: [rule("up{")] }])]);
    assert.equal(res.jobs.length, 1);
    assert.equal(res.ruleFiles.length, 0);
    assert.equal(res.rejected[0]?.kind, "rules");
    assert.match(JSON.parse(res.feedback.get(7) ?? "{}").errors, /invalid alert rule file/);
  });

  test("repeated group names are rejected (promtool refuses them)", () => {
    const res = run([
      ruleRel([
        { name: "g", rules: [rule("up")] },
        { name: "g", rules: [rule("up")] },
      ]),
    ]);
    assert.match(res.rejected[0]?.reason ?? "", /"g" is repeated/);
  });

  test("an aggregator's identifier falls back to the first group name without metadata; skipped without any", () => {
    const noMeta = (groups: unknown[]) => ({
      ...rel(3, {}),
      remoteAppData: { alert_rules: JSON.stringify({ groups }) },
    });
    const agg = { trustedAggregators: ["app"] };
    assert.equal(
      run([noMeta([{ name: "grp", rules: [rule("up")] }])], agg).ruleFiles[0]?.key,
      "grp_metrics-endpoint_3",
    );
    // Pinned, the file is named after the topology Juju vouches for.
    assert.equal(
      run([noMeta([{ name: "grp", rules: [rule("up")] }])]).ruleFiles[0]?.key,
      "lma_a1b2c3d4_app_metrics-endpoint_3",
    );
    const res = run([noMeta([{ rules: [rule("up")] }])], agg);
    assert.match(res.rejected[0]?.reason ?? "", /no usable group or identifier/);
  });

  test("stale errors in the local app bag are cleared; clean relations without rules get no write", () => {
    const stale = rel(1, jobs(okJob), { localAppData: { event: '{"errors": "old"}' } });
    assert.equal(run([stale]).feedback.get(1), "{}");
    assert.equal(run([rel(1, jobs(okJob), { localAppData: { event: "{}" } })]).feedback.has(1), false);
  });

  test("relations without units contribute nothing", () => {
    const res = run([{ ...rel(1, jobs(okJob)), remoteUnitsData: {} }]);
    assert.deepEqual([res.jobs, res.ruleFiles, res.rejected, [...res.feedback]], [[], [], [], []]);
  });
});

describe("kept outcomes (ConsumeCache)", () => {
  test("an unchanged relation takes its kept outcome, which stays as it was; the result is the same", () => {
    const kept = new Map<string, RelationOutcome>();
    let computed = 0;
    const memo: ConsumeMemo = {
      get: (id, key) => kept.get(`${id} ${key}`),
      set: (id, key, o) => {
        computed++;
        kept.set(`${id} ${key}`, o);
      },
    };
    const rules = {
      alert_rules: JSON.stringify({ groups: [{ name: "g", rules: [{ alert: "A", expr: "up < 1" }] }] }),
    };
    // An explicit target matched to no unit: its job gets the topology guard appended.
    const rels = [rel(1, { ...jobs(okJob, { static_configs: [{ targets: ["10.9.9.9:80"] }] }), ...rules })];
    const dataKey = (r: RelationSnapshot) => JSON.stringify([r.remoteAppData, r.remoteUnitsData]);
    const first = consume(rels, { model: LOCAL }, { memo, dataKey });
    const snapshot = JSON.stringify([...kept.values()]);
    const again = consume(rels, { model: LOCAL }, { memo, dataKey });
    assert.equal(computed, 1, "the second call took the kept outcome");
    assert.deepEqual(again, first);
    assert.deepEqual(again, consume(rels, { model: LOCAL }), "as without a cache");
    assert.equal(JSON.stringify([...kept.values()]), snapshot, "the kept outcome was not changed");
    // Another option, or other data, is another key.
    consume(rels, { model: LOCAL, prometheusMajor: 2 }, { memo, dataKey });
    consume([rel(1, jobs(okJob))], { model: LOCAL }, { memo, dataKey });
    assert.equal(computed, 3);
  });
});

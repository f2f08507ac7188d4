/**
 * Tests of the job transformations against worked examples of the Python library's behaviour
 * (prometheus_scrape.py: host map, `_prefix_job_names`, `expand_wildcard_targets_into_individual_jobs`,
 * `_dedupe_job_names`).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  buildHostMap,
  dedupeJobNames,
  expandWildcardTargets,
  isWildcardTarget,
  jobHash,
  prefixJobNames,
  pyJsonDumps,
  sanitizeScrapeConfig,
  targetHost,
  type UnitHost,
} from "./jobs.js";
import { JujuTopology } from "./topology.js";

const UUID = "c2e9f4d5-dcb3-4870-8509-330eb9745ee8";
const topo = new JujuTopology("cos", UUID, "zinc-k8s", "zinc-k8s/0", "zinc-k8s");
const host = (address: string, fqdn = "", path = ""): UnitHost => ({ address, fqdn, path });

test("json.dumps test vector of _dedupe_job_names' hash", () => {
  const job = { job_name: "job0", static_configs: [{ targets: ["localhost:9090"] }], scrape_interval: "5s" };
  assert.equal(
    pyJsonDumps(job),
    '{"job_name": "job0", "static_configs": [{"targets": ["localhost:9090"]}], "scrape_interval": "5s"}',
  );
  assert.equal(jobHash(job), "6f9f1c305506707b952aef3885fa099fe36158f6359b8a06634068270645aefd");
});

test("json.dumps: ensure_ascii, escapes, Python float repr", () => {
  assert.equal(pyJsonDumps('é\u2028😀\u007f\n"\\'), '"\\u00e9\\u2028\\ud83d\\ude00\\u007f\\n\\"\\\\"');
  assert.equal(
    pyJsonDumps([0.5, 1e-5, 1.5e-10, -2.5e-7, 0.0001, 123.456]),
    "[0.5, 1e-05, 1.5e-10, -2.5e-07, 0.0001, 123.456]",
  );
  // JSON.parse cannot tell 5 from 5.0: integral values print as Python ints, in full.
  assert.equal(pyJsonDumps([5, 1e21, -0]), "[5, 1000000000000000000000, 0]");
  assert.equal(
    pyJsonDumps({ a: null, b: true, c: [], d: {}, e: undefined }),
    '{"a": null, "b": true, "c": [], "d": {}}',
  );
  assert.throws(() => pyJsonDumps(Number.NaN), /not JSON compliant/);
});

test("sanitise: default job base, allowed keys only, key order metrics_path, static_configs, rest", () => {
  const s = sanitizeScrapeConfig({
    job_name: "x",
    honor_labels: true,
    file_sd_configs: [],
    scrape_interval: "5s",
  });
  assert.deepEqual(Object.keys(s), ["metrics_path", "static_configs", "job_name", "scrape_interval"]);
  assert.deepEqual(s.static_configs, [{ targets: ["*:80"] }]);
  assert.deepEqual(
    sanitizeScrapeConfig({ static_configs: [] }).static_configs,
    [],
    "explicit empty list kept",
  );
});

test("prefix: P_name, or P when unnamed (_prefix_job_names)", () => {
  const [a, b] = prefixJobNames([{ job_name: "my-job" }, {}], topo);
  assert.equal(a?.job_name, "juju_cos_c2e9f4d5_zinc-k8s_prometheus_scrape_my-job");
  assert.equal(b?.job_name, "juju_cos_c2e9f4d5_zinc-k8s_prometheus_scrape");
});

test("host map: name/address fallbacks, legacy prometheus_scrape_host, skip addressless, sorted by unit number", () => {
  const m = buildHostMap({
    "a/10": { prometheus_scrape_unit_address: "10.0.0.10" },
    "a/2": { prometheus_scrape_host: "10.0.0.2", prometheus_scrape_unit_name: "" },
    "a/3": { prometheus_scrape_unit_name: "a/3" },
    "a/4": {},
  });
  assert.deepEqual([...m.keys()], ["a/2", "a/10"]);
  assert.equal(m.get("a/2")?.address, "10.0.0.2");
});

test("wildcards and target hosts", () => {
  assert.ok(isWildcardTarget("*") && isWildcardTarget("*:9100") && isWildcardTarget("*foo"));
  assert.ok(!isWildcardTarget("a*:1"));
  assert.equal(targetHost("[::1]:9093"), "::1");
  assert.equal(targetHost("User@Host.Example:80/x"), "host.example");
  assert.equal(targetHost(":80"), undefined);
});

test("two wildcard ports and two fixed targets give job-0, job-1, job", () => {
  const hosts = new Map([
    ["unit/0", host("10.10.10.10")],
    ["unit/1", host("11.11.11.11")],
  ]);
  const jobs = expandWildcardTargets(
    [
      {
        job_name: "job",
        static_configs: [{ targets: ["*:1234", "*:5678", "1.1.1.1:1111", "2.2.2.2:2222"] }],
      },
    ],
    hosts,
    topo,
  );
  assert.deepEqual(
    jobs.map((j) => [j.job_name, (j.static_configs as { targets: string[] }[])[0]?.targets, j.metrics_path]),
    [
      ["job-0", ["10.10.10.10:1234", "10.10.10.10:5678"], "/metrics"],
      ["job-1", ["11.11.11.11:1234", "11.11.11.11:5678"], "/metrics"],
      ["job", ["1.1.1.1:1111", "2.2.2.2:2222"], "/metrics"],
    ],
  );
  const unmatched = jobs[2]?.relabel_configs as { source_labels: string[] }[];
  assert.deepEqual(unmatched.at(-1)?.source_labels, ["juju_model", "juju_model_uuid", "juju_application"]);
  const perUnit = jobs[0]?.relabel_configs as { source_labels: string[] }[];
  assert.deepEqual(perUnit.at(-1)?.source_labels, [
    "juju_model",
    "juju_model_uuid",
    "juju_application",
    "juju_unit",
  ]);
});

test("FQDN match gives a per-unit job with juju_unit; provider relabels come first", () => {
  const hosts = new Map([["unit/0", host("10.0.0.1", "unit-0.svc.cluster.local")]]);
  const rc = { source_labels: ["x"], target_label: "y" };
  const [job] = expandWildcardTargets(
    [
      {
        job_name: "job",
        relabel_configs: [rc],
        static_configs: [{ targets: ["unit-0.svc.cluster.local:9093"] }],
      },
    ],
    hosts,
    topo,
  );
  assert.equal(job?.job_name, "job-0");
  assert.equal(
    (job?.static_configs as { labels: Record<string, string> }[] | undefined)?.[0]?.labels.juju_unit,
    "unit/0",
  );
  assert.deepEqual((job?.relabel_configs as unknown[] | undefined)?.[0], rc);
});

test("a worked job: labels, instance relabel, unit path prefix", () => {
  const [job] = expandWildcardTargets(
    prefixJobNames(
      [sanitizeScrapeConfig({ metrics_path: "/metrics", static_configs: [{ targets: ["*:4080"] }] })],
      topo,
    ),
    new Map([["zinc-k8s/0", host("10.1.2.3", "", "/cos-zinc-0")]]),
    topo,
  );
  assert.equal(job?.job_name, "juju_cos_c2e9f4d5_zinc-k8s_prometheus_scrape-0");
  assert.equal(job?.metrics_path, "/cos-zinc-0/metrics");
  assert.deepEqual(job?.static_configs, [
    {
      targets: ["10.1.2.3:4080"],
      labels: {
        juju_model: "cos",
        juju_model_uuid: UUID,
        juju_application: "zinc-k8s",
        juju_charm: "zinc-k8s",
        juju_unit: "zinc-k8s/0",
      },
    },
  ]);
  assert.deepEqual(job?.relabel_configs, [
    {
      source_labels: ["juju_model", "juju_model_uuid", "juju_application", "juju_unit"],
      separator: "_",
      target_label: "instance",
      regex: "(.*)",
    },
  ]);
});

test("provider static labels never override topology labels", () => {
  const [job] = expandWildcardTargets(
    [
      {
        job_name: "j",
        static_configs: [{ targets: ["*:1"], labels: { juju_model: "evil", juju_unit: "x/9", team: "a" } }],
      },
    ],
    new Map([["zinc-k8s/0", host("10.0.0.1")]]),
    topo,
  );
  const labels = (job?.static_configs as { labels: Record<string, string> }[] | undefined)?.[0]?.labels;
  assert.equal(labels?.juju_model, "cos");
  assert.equal(labels?.juju_unit, "zinc-k8s/0");
  assert.equal(labels?.team, "a");
});

test("jobs without static_configs and static_configs without targets are dropped", () => {
  const jobs = expandWildcardTargets(
    [{ job_name: "a" }, { job_name: "b", static_configs: [{ targets: [] }] }],
    new Map([["u/0", host("1.1.1.1")]]),
    topo,
  );
  assert.deepEqual(jobs, []);
});

test("dedupe: duplicates get hash suffixes, identical jobs collapse, first-occurrence order", () => {
  const a = { job_name: "x", static_configs: [{ targets: ["a:1"] }] };
  const b = { job_name: "x", static_configs: [{ targets: ["b:1"] }] };
  const c = { job_name: "y", static_configs: [{ targets: ["c:1"] }] };
  const out = dedupeJobNames([a, c, b, structuredClone(a)]);
  assert.deepEqual(
    out.map((j) => j.job_name),
    [`x_${jobHash(a)}`, `x_${jobHash(b)}`, "y"],
  );
  assert.equal(a.job_name, "x", "input not mutated");
  assert.deepEqual(dedupeJobNames([c]), [c]);
});

// renderConfig and its helpers as pure functions: the golden file, stable output, TLS material,
// rejected jobs, YAML that Go reads back unchanged. What the real promtool makes of the output is
// in render-promtool.int.test.ts.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { dumpYaml, fileStem, goQuoted, processJobTls, renderConfig, renderWebConfig } from "./render.js";
import { BASE, ZINC_JOB } from "./render.test-support.js";

const TESTDATA = join(import.meta.dirname, "..", "testdata");

describe("renderConfig", () => {
  it("matches the golden file (Prometheus 3, one job, one alertmanager)", () => {
    const out = renderConfig(BASE);
    const golden = join(TESTDATA, "zinc_alertmanager.good.yml");
    // UPDATE_GOLDEN=1 rewrites the file; review its diff before committing.
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, out.config);
    assert.equal(out.config, readFileSync(golden, "utf8"));
    assert.deepEqual(out.rejected, []);
    assert.deepEqual(out.files, {});
  });

  it("is byte-identical for identical input and sorts keys", () => {
    const a = renderConfig(BASE).config;
    const b = renderConfig({ ...BASE, jobs: [{ ...ZINC_JOB }] }).config;
    assert.equal(a, b);
    const topKeys = [...a.matchAll(/^([a-z_]+):/gm)].map((m) => m[1]);
    assert.deepEqual(topKeys, ["alerting", "global", "rule_files", "scrape_configs"]);
  });

  it("puts the self-scrape job first and sets honor_labels on relation jobs only", () => {
    const doc = parse(renderConfig(BASE).config);
    assert.equal(doc.scrape_configs[0].job_name, "prometheus");
    assert.equal(doc.scrape_configs[0].honor_labels, undefined);
    assert.deepEqual(doc.scrape_configs[0].static_configs[0].targets, [`${BASE.fqdn}:9090`]);
    assert.equal(doc.scrape_configs[0].static_configs[0].labels.juju_unit, "prometheus/0");
    assert.equal(doc.scrape_configs[1].honor_labels, true);
    assert.deepEqual(doc.rule_files, ["/etc/prometheus/rules/juju_*.rules"]);
    assert.equal(doc.global.evaluation_interval, "1m");
  });

  it("strips fallback_scrape_protocol for Prometheus 2 and keeps it for 3", () => {
    assert.match(renderConfig(BASE).config, /fallback_scrape_protocol/);
    assert.doesNotMatch(renderConfig({ ...BASE, prometheusMajor: 2 }).config, /fallback_scrape_protocol/);
  });

  it("omits alerting, evaluation_interval and storage when not configured", () => {
    const doc = parse(renderConfig({ ...BASE, alertmanagers: [], evaluationInterval: undefined }).config);
    assert.equal(doc.alerting, undefined);
    assert.equal(doc.storage, undefined);
    assert.deepEqual(doc.global, { scrape_interval: "1m", scrape_timeout: "10s" });
  });

  it("adds exemplar storage and tracing", () => {
    const doc = parse(
      renderConfig({ ...BASE, maxExemplars: 100000, tracing: { endpoint: "tempo:4317" } }).config,
    );
    assert.deepEqual(doc.storage, { exemplars: { max_exemplars: 100000 } });
    assert.deepEqual(doc.tracing, { endpoint: "tempo:4317", sampling_fraction: 1, insecure: true });
    const tls = parse(renderConfig({ ...BASE, tracing: { endpoint: "t:4317", caFile: "/ca.crt" } }).config);
    assert.deepEqual(tls.tracing, {
      endpoint: "t:4317",
      sampling_fraction: 1,
      insecure: false,
      tls_config: { ca_file: "/ca.crt" },
    });
  });

  it("uses https and the CA for the self-scrape job with TLS", () => {
    const doc = parse(renderConfig({ ...BASE, tls: true }).config);
    assert.equal(doc.scrape_configs[0].scheme, "https");
    assert.deepEqual(doc.scrape_configs[0].tls_config, {
      ca_file: "/usr/local/share/ca-certificates/ca.crt",
    });
  });

  it("writes job TLS material to files and refers to their paths", () => {
    const job = {
      ...ZINC_JOB,
      job_name: "j1",
      scheme: "https",
      tls_config: { ca_file: "CA PEM", cert_file: "CERT", key_file: "KEY" },
    };
    const out = renderConfig({ ...BASE, jobs: [job] });
    assert.deepEqual(out.files, {
      "/etc/prometheus/j1-ca.crt": "CA PEM",
      "/etc/prometheus/j1-client.crt": "CERT",
      "/etc/prometheus/j1-client.key": "KEY",
    });
    const doc = parse(out.config);
    assert.deepEqual(doc.scrape_configs[1].tls_config, {
      ca_file: "/etc/prometheus/j1-ca.crt",
      cert_file: "/etc/prometheus/j1-client.crt",
      key_file: "/etc/prometheus/j1-client.key",
    });
  });

  it("rejects only the job with half-specified client TLS, keeping the others", () => {
    const bad = { ...ZINC_JOB, job_name: "bad", tls_config: { cert_file: "CERT" } };
    const out = renderConfig({ ...BASE, jobs: [bad, ZINC_JOB] });
    assert.equal(out.rejected.length, 1);
    assert.equal(out.rejected[0]!.job, "bad");
    assert.match(out.rejected[0]!.reason, /both "cert_file" and "key_file"/);
    assert.deepEqual(
      parse(out.config).scrape_configs.map((j: { job_name: string }) => j.job_name),
      ["prometheus", ZINC_JOB.job_name],
    );
  });

  it("rejects duplicate and missing job names instead of producing an invalid file", () => {
    const out = renderConfig({
      ...BASE,
      jobs: [ZINC_JOB, { ...ZINC_JOB }, { metrics_path: "/m" }, { ...ZINC_JOB, job_name: "prometheus" }],
    });
    assert.deepEqual(
      out.rejected.map((r) => r.job),
      [ZINC_JOB.job_name, "(unnamed)", "prometheus"],
    );
  });

  it("keeps path separators out of TLS file names, and names that differ apart", () => {
    const r = processJobTls({ job_name: "../../etc/passwd", tls_config: { ca_file: "X" } });
    assert.ok(!("reason" in r));
    const [file] = Object.keys(r.files);
    assert.match(file ?? "", /^\/etc\/prometheus\/__.._etc_passwd_[0-9a-f]{16}-ca\.crt$/);
    const other = processJobTls({ job_name: "__.._etc_passwd", tls_config: { ca_file: "X" } });
    assert.ok(!("reason" in other));
    assert.notEqual(Object.keys(other.files)[0], file, "a sanitised name never collides with a real one");
  });

  it("hashes job names too long for a file name (255 bytes)", () => {
    const name = `juju_${"m".repeat(300)}_a1b2c3d4_app_prometheus_scrape_j-0`;
    const r = processJobTls({ job_name: name, tls_config: { cert_file: "C", key_file: "K" } });
    assert.ok(!("reason" in r));
    for (const f of Object.keys(r.files)) assert.ok(f.split("/").at(-1)!.length <= 255, f);
    assert.equal(
      fileStem("juju_cos_c2e9f4d5_zinc-k8s_prometheus_scrape-0"),
      "juju_cos_c2e9f4d5_zinc-k8s_prometheus_scrape-0",
    );
  });

  it("renders the web config for server TLS", () => {
    assert.equal(
      renderWebConfig("/etc/prometheus/server.cert", "/etc/prometheus/server.key"),
      "tls_server_config:\n  cert_file: /etc/prometheus/server.cert\n  key_file: /etc/prometheus/server.key\n",
    );
  });
});

describe("honor_labels", () => {
  it("is what the scrape library chose; a job without it cannot override its targets' labels", () => {
    const { honor_labels: _h, ...bare } = ZINC_JOB;
    const jobs = [
      { ...ZINC_JOB, job_name: "aggregated" },
      { ...ZINC_JOB, job_name: "pinned", honor_labels: false },
      { ...bare, job_name: "bare" },
    ];
    const cfg = parse(renderConfig({ ...BASE, jobs }).config) as {
      scrape_configs: Record<string, unknown>[];
    };
    assert.deepEqual(
      cfg.scrape_configs.map((j) => [j.job_name, j.honor_labels]),
      [
        ["prometheus", undefined],
        ["aggregated", true],
        ["pinned", false],
        ["bare", false],
      ],
    );
  });
});

describe("dumpYaml writes only what Go's YAML readers read back unchanged", () => {
  it("escapes line separators, C1 controls, DEL and non-characters; quotes merge keys", () => {
    assert.equal(goQuoted("a\u2028b\u0085\u007f\ufffe😀"), '"a\\u2028b\\x85\\x7f\\ufffe😀"');
    const text = dumpYaml({ "<<": "<<", v: "x\u2029y", ok: "plain" });
    assert.equal(text, '"<<": "<<"\nok: plain\nv: "x\\u2029y"\n');
    assert.deepEqual(parse(text), { "<<": "<<", v: "x\u2029y", ok: "plain" });
  });
});

// Tests of the provider's databag builders and feedback parsing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildProviderAppData,
  buildProviderUnitData,
  parseProviderFeedback,
  visibleKeys,
} from "./provider.js";
import { JujuTopology } from "./topology.js";

const topo = new JujuTopology(
  "cos",
  "c2e9f4d5-dcb3-4870-8509-330eb9745ee8",
  "zinc-k8s",
  "zinc-k8s/0",
  "zinc-k8s",
);

describe("buildProviderAppData", () => {
  it("writes Python json.dumps bytes: metadata in as_dict order, DEFAULT_JOB, {} rules", () => {
    assert.deepEqual(buildProviderAppData({ topology: topo }), {
      scrape_metadata:
        '{"model": "cos", "model_uuid": "c2e9f4d5-dcb3-4870-8509-330eb9745ee8", "application": "zinc-k8s", "unit": "zinc-k8s/0", "charm_name": "zinc-k8s"}',
      scrape_jobs: '[{"metrics_path": "/metrics", "static_configs": [{"targets": ["*:80"]}]}]',
      alert_rules: "{}",
    });
  });

  it("sanitises jobs: DEFAULT_JOB keys first, disallowed keys dropped, non-ASCII escaped", () => {
    const data = buildProviderAppData({
      topology: topo,
      jobs: [
        {
          job_name: "my-job",
          static_configs: [{ targets: ["*:4080"] }],
          honor_labels: true,
          scrape_interval: "10s",
          params: { q: ["é"] },
        },
      ],
    });
    assert.equal(
      data.scrape_jobs,
      '[{"metrics_path": "/metrics", "static_configs": [{"targets": ["*:4080"]}], "job_name": "my-job", "scrape_interval": "10s", "params": {"q": ["\\u00e9"]}}]',
    );
  });

  it("wraps rule groups as an official rules file", () => {
    const data = buildProviderAppData({
      topology: topo,
      alertRules: [{ name: "g_rules", rules: [{ alert: "A", expr: "up" }] }],
    });
    assert.equal(
      data.alert_rules,
      '{"groups": [{"name": "g_rules", "rules": [{"alert": "A", "expr": "up"}]}]}',
    );
    assert.equal(buildProviderAppData({ topology: topo, alertRules: {} }).alert_rules, "{}");
  });
});

describe("buildProviderUnitData", () => {
  it("an IP bind address is the address, and the fqdn is sent too", () => {
    assert.deepEqual(
      buildProviderUnitData({ address: "10.1.2.3", unitName: "zinc-k8s/0", fqdn: "zinc-0.svc" }),
      {
        prometheus_scrape_unit_address: "10.1.2.3",
        prometheus_scrape_unit_name: "zinc-k8s/0",
        prometheus_scrape_unit_path: "",
        prometheus_scrape_unit_fqdn: "zinc-0.svc",
      },
    );
    assert.equal(
      buildProviderUnitData({ address: "fd00::1", unitName: "z/0", fqdn: "h" })
        .prometheus_scrape_unit_address,
      "fd00::1",
    );
  });

  it("a non-IP or missing bind address falls back to the fqdn for both keys", () => {
    for (const address of ["not-an-ip", undefined, "", "10.1.2"]) {
      const d = buildProviderUnitData({ address, unitName: "z/1", fqdn: "z-1.example" });
      assert.equal(d.prometheus_scrape_unit_address, "z-1.example");
      assert.equal(d.prometheus_scrape_unit_fqdn, "z-1.example");
    }
  });

  it("external_url gives its hostname and path, no fqdn; a scheme is assumed when missing", () => {
    assert.deepEqual(
      visibleKeys(
        buildProviderUnitData({
          address: "10.1.2.3",
          unitName: "app/2",
          externalUrl: "app.example.com/cos-app-0",
          fqdn: "x",
        }),
      ),
      {
        prometheus_scrape_unit_address: "app.example.com",
        prometheus_scrape_unit_name: "app/2",
        prometheus_scrape_unit_path: "/cos-app-0",
      },
    );
    const https = buildProviderUnitData({
      address: "10.0.0.1",
      unitName: "a/0",
      externalUrl: "https://Proxy.Example:8443",
      fqdn: "x",
    });
    assert.equal(https.prometheus_scrape_unit_address, "proxy.example");
    assert.equal(https.prometheus_scrape_unit_path, "");
  });
});

describe("parseProviderFeedback", () => {
  it("no event, or an empty one, is no feedback", () => {
    assert.deepEqual(parseProviderFeedback({}), { ok: true, feedback: undefined });
    assert.deepEqual(parseProviderFeedback({ event: "{}" }), { ok: true, feedback: undefined });
  });
  it("reads errors and scrape_job_errors; valid defaults to true", () => {
    assert.deepEqual(
      parseProviderFeedback({ event: '{"errors": "bad rule", "scrape_job_errors": "bad job"}' }),
      {
        ok: true,
        feedback: { valid: true, errors: "bad rule", scrapeJobErrors: "bad job" },
      },
    );
    assert.deepEqual(parseProviderFeedback({ event: '{"valid": false}' }), {
      ok: true,
      feedback: { valid: false, errors: "", scrapeJobErrors: "" },
    });
  });
  it("bad JSON or a non-object is an error naming the key, not an exception", () => {
    const bad = parseProviderFeedback({ event: "{nope" });
    assert.equal(bad.ok, false);
    assert.match((bad as { error: string }).error, /'event' is not valid JSON/);
    assert.deepEqual(parseProviderFeedback({ event: "[1]" }), {
      ok: false,
      error: "'event' is not a JSON object",
    });
  });
});

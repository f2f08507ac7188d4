import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { type Collected, decide } from "./decide.js";
import { configOf } from "./config.test-support.js";

const BASE: Collected = {
  config: configOf(),
  identity: {
    modelName: "cos",
    modelUuid: "c2e9f4d5-dcb3-4870-8509-330eb9745ee8",
    appName: "prometheus",
    unitName: "prometheus/0",
  },
  fqdn: "prometheus-0.prometheus-endpoints.cos.svc.cluster.local",
  storage: { bytes: 2 ** 30, source: "statfs of /var/lib/prometheus" },
  jobs: [],
  ruleFiles: {},
  rejected: [],
  alertmanagers: [],
  prometheusMajor: 3,
};

describe("decide", () => {
  it("uses the internal URL without ingress and sizes retention from storage", () => {
    const p = decide(BASE);
    assert.match(
      p.command,
      /--web\.external-url=http:\/\/prometheus-0\.prometheus-endpoints\.cos\.svc\.cluster\.local:9090 /,
    );
    assert.match(p.command, /--storage\.tsdb\.retention\.size=0\.8GB$/);
    assert.deepEqual(p.published.prometheusApi, {
      direct_url: "http://prometheus-0.prometheus-endpoints.cos.svc.cluster.local:9090",
    });
    assert.equal(
      p.published.remoteWriteUrl,
      "http://prometheus-0.prometheus-endpoints.cos.svc.cluster.local:9090/api/v1/write",
    );
    assert.deepEqual(p.desired.absentFiles, [
      "/etc/prometheus/prometheus-web-config.yml",
      "/etc/prometheus/server.cert",
      "/etc/prometheus/server.key",
    ]);
  });

  it("uses the ingress URL everywhere external, keeping the internal one for prometheus-api direct_url", () => {
    const p = decide({ ...BASE, ingressUrl: "http://10.0.0.1/cos-prometheus-0/" });
    assert.match(
      p.command,
      /--web\.external-url=http:\/\/10\.0\.0\.1\/cos-prometheus-0 --web\.route-prefix=\//,
    );
    assert.equal(p.published.externalUrl, "http://10.0.0.1/cos-prometheus-0");
    assert.equal(p.published.prometheusApi.ingress_url, "http://10.0.0.1/cos-prometheus-0");
    assert.equal(p.published.remoteWriteUrl, "http://10.0.0.1/cos-prometheus-0/api/v1/write");
  });

  it("switches to https with TLS and writes the server files", () => {
    const p = decide({ ...BASE, tls: { cert: "C", key: "K", ca: "A" } });
    assert.match(p.command, /--web\.config\.file=\/etc\/prometheus\/prometheus-web-config\.yml/);
    assert.equal(p.published.internalUrl.startsWith("https://"), true);
    assert.equal(p.published.ingressScheme, "https");
    assert.deepEqual(Object.keys(p.desired.extraFiles).sort(), [
      "/etc/prometheus/prometheus-web-config.yml",
      "/etc/prometheus/server.cert",
      "/etc/prometheus/server.key",
    ]);
    // Our CA goes into the workload's trust store (the self-scrape's ca_file), as the Python charm's.
    assert.deepEqual(p.desired.trustStore, { "/usr/local/share/ca-certificates/ca.crt": "A\n" });
    assert.deepEqual(p.desired.absentFiles, []);
    assert.deepEqual(p.published.selfMetricsJobs, [
      { scheme: "https", tls_config: { ca_file: "A" }, static_configs: [{ targets: ["*:9090"] }] },
    ]);
  });

  it("reports a storage error and omits the size flag", () => {
    const p = decide({ ...BASE, storage: { error: "ENOENT /var/lib/prometheus" } });
    assert.equal(p.retentionSizeError, "ENOENT /var/lib/prometheus");
    assert.doesNotMatch(p.command, /retention\.size/);
  });

  it("does not need storage when maximum_retention_size is invalid", () => {
    const p = decide({
      ...BASE,
      config: configOf({ maximum_retention_size: "lots" }),
      storage: { error: "x" },
    });
    assert.equal(p.retentionSizeError, undefined);
    assert.equal(p.configProblems[0]?.option, "maximum_retention_size");
  });

  it("sets the tracing environment and config section", () => {
    const p = decide({ ...BASE, tracing: { endpoint: "tempo:4317" } });
    assert.match(
      p.desired.layer.services.prometheus.environment.OTEL_RESOURCE_ATTRIBUTES ?? "",
      /juju_unit=prometheus\/0/,
    );
    assert.equal(parse(p.desired.config).tracing.endpoint, "tempo:4317");
  });

  it("passes rejected relations through and renders rule files", () => {
    const p = decide({
      ...BASE,
      rejected: [{ relation: "metrics-endpoint:3", reason: "bad" }],
      ruleFiles: { k: { groups: [{ name: "g", rules: [] }] } },
    });
    assert.deepEqual(p.rejected, [{ relation: "metrics-endpoint:3", reason: "bad" }]);
    assert.deepEqual(Object.keys(p.desired.ruleFiles), ["/etc/prometheus/rules/juju_k.rules"]);
  });

  it("is deterministic", () => {
    assert.deepEqual(decide(BASE), decide({ ...BASE }));
  });
});

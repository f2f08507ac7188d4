import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, it } from "node:test";
import { configOf } from "./config.test-support.js";
import { filesystemCapacity, prometheusArgs, prometheusCommand, retentionSize } from "./flags.js";

const GI = 2 ** 30;

describe("prometheusArgs", () => {
  it("orders the default flags exactly as the Python charm", () => {
    const { config } = configOf({});
    assert.deepEqual(
      prometheusArgs({
        config,
        externalUrl: "http://p-0.p-endpoints.cos.svc.cluster.local:9090/",
        tls: false,
        retentionSize: "0.8GB",
      }),
      [
        "/bin/prometheus",
        "--config.file=/etc/prometheus/prometheus.yml",
        "--storage.tsdb.path=/var/lib/prometheus",
        "--web.enable-lifecycle",
        "--web.external-url=http://p-0.p-endpoints.cos.svc.cluster.local:9090",
        "--web.route-prefix=/",
        "--web.enable-remote-write-receiver",
        "--log.level=info",
        "--storage.tsdb.retention.time=15d",
        "--storage.tsdb.retention.size=0.8GB",
      ],
    );
  });

  it("places optional flags in their slots", () => {
    const { config } = configOf({
      metrics_wal_compression: true,
      max_global_exemplars_per_user: 5,
      log_level: "warn",
    });
    const args = prometheusArgs({ config, externalUrl: "https://ingress/cos-prometheus-0", tls: true });
    assert.deepEqual(args.slice(3, 12), [
      "--web.enable-lifecycle",
      "--web.config.file=/etc/prometheus/prometheus-web-config.yml",
      "--web.external-url=https://ingress/cos-prometheus-0",
      "--web.route-prefix=/",
      "--web.enable-remote-write-receiver",
      "--log.level=warn",
      "--storage.tsdb.wal-compression",
      "--enable-feature=exemplar-storage",
      "--storage.tsdb.retention.time=15d",
    ]);
    assert.equal(args.length, 12);
  });

  it("omits invalid retention time and absent size", () => {
    const { config } = configOf({ metrics_retention_time: "1x" });
    const cmd = prometheusCommand({ config, externalUrl: "http://h:9090", tls: false });
    assert.doesNotMatch(cmd, /retention/);
    assert.equal(cmd.split(" ")[0], "/bin/prometheus");
  });
});

describe("retentionSize", () => {
  it("matches the Python charm's examples", () => {
    assert.equal(retentionSize(GI, 0.8), "0.8GB");
    assert.equal(retentionSize(GI, 0), "0GB");
    assert.equal(retentionSize(GI, 0.5), "0.5GB");
    assert.equal(retentionSize(GI, 1), "1GB");
    assert.equal(retentionSize(1e9, 1), "0.931GB");
    assert.equal(retentionSize(100 * GI, 0.8), "80GB");
  });
  it("rounds ties to even at the third decimal", () => {
    // 0.0005 GiB and 0.0015 GiB are exact binary fractions of 2^30 bytes, so the tie is real.
    assert.equal(retentionSize(0.0005 * GI * 2, 0.5), "0GB");
    assert.equal(retentionSize(0.0015 * GI * 2, 0.5), "0.002GB");
  });
  it("rejects impossible inputs", () => {
    assert.throws(() => retentionSize(-1, 0.5), RangeError);
    assert.throws(() => retentionSize(GI, 1.5), RangeError);
  });
});

describe("filesystemCapacity", () => {
  it("returns the size of the filesystem holding a directory", () => {
    const cap = filesystemCapacity(mkdtempSync(`${tmpdir()}/cap-`));
    assert.ok(Number.isFinite(cap) && cap > 0);
  });
  it("throws for a missing path", () => {
    assert.throws(() => filesystemCapacity("/nonexistent/really/not"));
  });
});

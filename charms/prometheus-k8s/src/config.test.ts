import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRetentionSize } from "./config.js";
import { configOf } from "./config.test-support.js";

describe("config: types and defaults from charmcraft.yaml, then the rules", () => {
  it("accepts the charmcraft.yaml defaults without problems", () => {
    const { config, problems } = configOf();
    assert.deepEqual(problems, []);
    assert.deepEqual(config, {
      logLevel: "info",
      retentionTime: "15d",
      retentionSizeRatio: 0.8,
      walCompression: false,
      evaluationInterval: "1m",
      cpu: undefined,
      memory: undefined,
      maxExemplars: 0,
      trustedAggregators: [],
    });
  });

  it("trusted_aggregators: application names, spaces and empty entries ignored, bad names reported", () => {
    assert.deepEqual(
      configOf({ trusted_aggregators: " cos-proxy, scrape-config ,,cos-proxy" }).config.trustedAggregators,
      ["cos-proxy", "scrape-config"],
    );
    const { config, problems } = configOf({ trusted_aggregators: "cos-proxy,Bad Name,remote-0a1b2c" });
    assert.deepEqual(config.trustedAggregators, ["cos-proxy", "remote-0a1b2c"]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.option, "trusted_aggregators");
    assert.match(problems[0]!.message, /Bad Name/);
  });

  it("lower-cases the log level and accepts every Prometheus level", () => {
    for (const l of ["debug", "info", "warn", "error", "fatal"]) {
      assert.equal(configOf({ log_level: l.toUpperCase() }).config.logLevel, l);
    }
  });

  it("falls back to debug on an unknown log level and names the option", () => {
    const { config, problems } = configOf({ log_level: "verbose" });
    assert.equal(config.logLevel, "debug");
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.option, "log_level");
    assert.match(problems[0]!.message, /log_level="verbose".*debug, info, warn, error, fatal/);
  });

  it("accepts single-unit retention times and rejects compound or unknown units", () => {
    for (const v of ["0", "1y", "2w", "15d", "12h", "30m", "10s", "500ms"]) {
      assert.equal(configOf({ metrics_retention_time: v }).config.retentionTime, v);
    }
    for (const v of ["1x", "5m1y2d", "1h30m", "", "d", "-1d"]) {
      const { config, problems } = configOf({ metrics_retention_time: v });
      assert.equal(config.retentionTime, undefined, v);
      assert.equal(problems[0]?.option, "metrics_retention_time");
    }
  });

  it("reports a bad evaluation_interval instead of silently dropping it", () => {
    const { config, problems } = configOf({ evaluation_interval: "1m30s" });
    assert.equal(config.evaluationInterval, undefined);
    assert.equal(problems[0]?.option, "evaluation_interval");
    assert.equal(configOf({ evaluation_interval: "30s" }).config.evaluationInterval, "30s");
  });

  it("parses maximum_retention_size percentages and rejects bad ones", () => {
    assert.equal(configOf({ maximum_retention_size: "50%" }).config.retentionSizeRatio, 0.5);
    assert.equal(configOf({ maximum_retention_size: "0%" }).config.retentionSizeRatio, 0);
    assert.equal(configOf({ maximum_retention_size: "100%" }).config.retentionSizeRatio, 1);
    for (const v of ["80", "abc%", "101%", "-1%", "%"]) {
      const { config, problems } = configOf({ maximum_retention_size: v });
      assert.equal(config.retentionSizeRatio, undefined, v);
      assert.equal(problems[0]?.option, "maximum_retention_size");
      assert.match(problems[0]!.message, /metrics_retention_time/);
    }
    assert.deepEqual(parseRetentionSize("101%"), { error: "a percentage in the range 0-100, e.g. '80%'" });
  });

  it("toggles WAL compression", () => {
    assert.equal(configOf({ metrics_wal_compression: true }).config.walCompression, true);
    assert.equal(configOf({ metrics_wal_compression: false }).config.walCompression, false);
  });

  // Juju checks a value's type when it is set (juju/juju internal/charm/config.go
  // ValidateSettings): a wrong type can only come from elsewhere (a hand-edited state, the
  // harness), and is still named, not fatal.
  it("a value of the wrong type is named and takes its default; the other options still apply", () => {
    const { config, problems } = configOf({
      metrics_wal_compression: "yes",
      max_global_exemplars_per_user: 1.5,
      log_level: "warn",
    });
    assert.deepEqual(
      problems.map((p) => [p.option, p.message]),
      [
        [
          "max_global_exemplars_per_user",
          "config option max_global_exemplars_per_user=1.5 is invalid: set a whole number",
        ],
        [
          "metrics_wal_compression",
          'config option metrics_wal_compression="yes" is invalid: set true or false',
        ],
      ],
    );
    assert.deepEqual([config.walCompression, config.maxExemplars, config.logLevel], [false, 0, "warn"]);
  });

  it("applies the exemplar floor of 100000 and disables for non-positive values", () => {
    const ex = (v: number) => configOf({ max_global_exemplars_per_user: v }).config.maxExemplars;
    assert.equal(ex(-100), 0);
    assert.equal(ex(0), 0);
    assert.equal(ex(99999), 100000);
    assert.equal(ex(100001), 100001);
  });

  it("validates cpu and memory as Kubernetes quantities", () => {
    const ok = configOf({ cpu: "500m", memory: "1Gi" });
    assert.deepEqual([ok.config.cpu, ok.config.memory, ok.problems.length], ["500m", "1Gi", 0]);
    assert.equal(configOf({ cpu: "1.5" }).config.cpu, "1.5");
    const bad = configOf({ cpu: "lots", memory: "1GB" });
    assert.deepEqual(
      bad.problems.map((p) => p.option),
      ["cpu", "memory"],
    );
    assert.match(bad.problems[0]!.message, /Kubernetes quantity/);
  });

  it("ignores the deprecated web_external_url", () => {
    const a = configOf({ web_external_url: "http://foo.bar/" });
    assert.deepEqual(a, configOf());
  });

  it("reports every bad option at once, each naming itself", () => {
    const { problems } = configOf({
      log_level: "x",
      metrics_retention_time: "x",
      maximum_retention_size: "x",
      evaluation_interval: "x",
      cpu: "x",
      memory: "x",
    });
    assert.deepEqual(
      problems.map((p) => p.option),
      [
        "log_level",
        "metrics_retention_time",
        "maximum_retention_size",
        "evaluation_interval",
        "cpu",
        "memory",
      ],
    );
  });
});

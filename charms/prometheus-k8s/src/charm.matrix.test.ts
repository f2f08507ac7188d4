/**
 * Table-driven state-transition tests of the charm: every config option (good and bad values)
 * and bad data on the relations besides metrics-endpoint, through the SDK's harness.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Context,
  container,
  getContainer,
  getRelation,
  relation,
  type State,
  state,
  storage,
} from "@charmkit/ops/testing";
import type { PrometheusApi, ReloadResult } from "./apply.js";
import PrometheusCharm from "./charm.js";
import { PATHS } from "./flags.js";
import { CHARM_DIR, tempDir } from "./charm.test-support.js";

const DB = tempDir("prom-db-");
/** A Prometheus API whose every reload answers `answer`. */
const answering = (answer: ReloadResult): PrometheusApi => ({ reload: async () => answer });

/** The charm built with a Prometheus API that answers every reload with `reload` (ok by default). */
const ctx = (reload: ReloadResult = { kind: "ok" }) =>
  new Context(PrometheusCharm, {
    charmDir: CHARM_DIR,
    create: (f) => new PrometheusCharm(f, { prometheusApi: () => answering(reload) }),
  });
const base = (extra: Partial<State> = {}): State =>
  state({
    leader: true,
    containers: [container({ name: "prometheus", canConnect: true })],
    storages: [storage({ name: "database", location: DB })],
    ...extra,
  });

async function configChanged(config: Record<string, string | number | boolean>, extra: Partial<State> = {}) {
  const c = ctx();
  const out = await c.run(c.on.configChanged(), base({ config, ...extra }));
  const layer = getContainer(out, "prometheus")?.layers.find((l) => l.label === "prometheus")?.layer as
    | { services: Record<string, { command: string }> }
    | undefined;
  return {
    out,
    command: layer?.services.prometheus?.command ?? "",
    config: getContainer(out, "prometheus")?.filesystem[PATHS.config] ?? "",
  };
}

describe("config options", () => {
  const bad: [string, string | number][] = [
    ["log_level", "verbose"],
    ["metrics_retention_time", "1h30m"],
    ["maximum_retention_size", "80"],
    ["maximum_retention_size", "120%"],
    ["evaluation_interval", "soon"],
    ["cpu", "lots"],
    ["memory", "1 GB"],
  ];
  for (const [option, value] of bad) {
    it(`${option}=${JSON.stringify(value)} blocks, naming the option`, async () => {
      const { out, config } = await configChanged({ [option]: value });
      assert.equal(out.unitStatus.name, "blocked");
      assert.ok(out.unitStatus.message.includes(option), out.unitStatus.message);
      assert.match(config, /job_name: prometheus/, "Prometheus stays configured");
    });
  }

  it("defaults: retention time 15d, size from the storage, log level info, no WAL compression", async () => {
    const { out, command } = await configChanged({});
    assert.equal(out.unitStatus.name, "active");
    assert.match(command, /--storage\.tsdb\.retention\.time=15d/);
    assert.match(command, /--storage\.tsdb\.retention\.size=\d+(\.\d+)?GB/);
    assert.match(command, /--log\.level=info/);
    assert.doesNotMatch(command, /wal-compression|exemplar/);
  });

  it("log_level, retention and WAL compression reach the command line", async () => {
    const { command } = await configChanged({
      log_level: "DEBUG",
      metrics_retention_time: "30d",
      maximum_retention_size: "50%",
      metrics_wal_compression: true,
    });
    assert.match(command, /--log\.level=debug/);
    assert.match(command, /--storage\.tsdb\.retention\.time=30d/);
    assert.match(command, /--storage\.tsdb\.wal-compression/);
  });

  it("exemplars: a positive value enables the feature with at least 100000", async () => {
    const { command, config } = await configChanged({ max_global_exemplars_per_user: 5 });
    assert.match(command, /--enable-feature=exemplar-storage/);
    assert.match(config, /max_exemplars: 100000/);
  });

  it("evaluation_interval goes into global", async () => {
    const { config } = await configChanged({ evaluation_interval: "30s" });
    assert.match(config, /evaluation_interval: 30s/);
  });

  it("web_external_url is accepted and ignored", async () => {
    const a = await configChanged({});
    const b = await configChanged({ web_external_url: "http://elsewhere/" });
    assert.equal(b.command, a.command);
    assert.equal(b.out.unitStatus.name, "active");
  });
});

describe("bad data on the other relations", () => {
  it("alertmanager: a unit without a usable address is skipped and named; the others are used", async () => {
    const am = relation({
      endpoint: "alertmanager",
      id: 20,
      remoteAppName: "am",
      remoteUnitsData: { 0: { url: "http://am-0:9093" }, 1: { nonsense: "x" } },
    });
    const c = ctx();
    const out = await c.run(c.on.relationChanged(am, { remoteUnit: 1 }), base({ relations: [am] }));
    const cfg = getContainer(out, "prometheus")?.filesystem[PATHS.config] ?? "";
    assert.ok(cfg.includes("am-0:9093"));
    assert.equal(out.unitStatus.name, "blocked");
    assert.match(out.unitStatus.message, /alertmanager:20/);
  });

  it("ingress: an answer that is not YAML is rejected by name; the internal URL stays", async () => {
    const ing = relation({
      endpoint: "ingress",
      id: 21,
      remoteAppName: "traefik",
      remoteAppData: { ingress: "{{{ not yaml" },
    });
    const c = ctx();
    const out = await c.run(c.on.relationChanged(ing), base({ relations: [ing] }));
    assert.equal(out.unitStatus.name, "blocked");
    assert.match(out.unitStatus.message, /ingress:21/);
    const layer = getContainer(out, "prometheus")?.layers.find((l) => l.label === "prometheus")?.layer as {
      services: Record<string, { command: string }>;
    };
    assert.match(layer.services.prometheus!.command, /--web\.external-url=http:\/\/[^/ ]+:9090 /);
  });

  it("grafana-source: garbage written back by Grafana does not fail the hook", async () => {
    const gs = relation({
      endpoint: "grafana-source",
      id: 22,
      remoteAppName: "grafana",
      remoteAppData: { datasource_uids: "{not json", grafana_uid: "x" },
    });
    const c = ctx();
    const out = await c.run(c.on.relationChanged(gs), base({ relations: [gs] }));
    assert.equal(out.unitStatus.name, "active");
    // Our side of the relation is written all the same, and the garbage is passed on to nobody.
    assert.match(getRelation(out, 22)?.localUnitData.grafana_source_host ?? "", /^http:\/\/\S+:9090$/);
    assert.doesNotMatch(JSON.stringify(getRelation(out, 22)?.localAppData ?? {}), /not json/);
  });

  it("catalogue and prometheus-api: a hostile remote bag does not matter, we only write", async () => {
    const cat = relation({
      endpoint: "catalogue",
      id: 23,
      remoteAppName: "cat",
      remoteAppData: { x: "\u0000" },
    });
    const api = relation({
      endpoint: "prometheus-api",
      id: 24,
      remoteAppName: "y",
      remoteAppData: { z: "{" },
    });
    const c = ctx();
    const out = await c.run(c.on.relationJoined(api), base({ relations: [cat, api] }));
    assert.equal(out.unitStatus.name, "active");
    // What we write there does not depend on what they wrote.
    const clean = await ctx().run(
      ctx().on.relationJoined({ ...api, remoteAppData: {} }),
      base({
        relations: [
          { ...cat, remoteAppData: {} },
          { ...api, remoteAppData: {} },
        ],
      }),
    );
    for (const id of [23, 24]) {
      assert.ok(Object.keys(getRelation(out, id)?.localAppData ?? {}).length > 0, `relation ${id} written`);
      assert.deepEqual(getRelation(out, id)?.localAppData, getRelation(clean, id)?.localAppData);
    }
  });
});

describe("bad data on the write-only relations", () => {
  for (const ep of ["send-datasource", "self-metrics-endpoint", "grafana-dashboard"]) {
    it(`${ep}: garbage in the remote bags changes nothing`, async () => {
      const rel = relation({
        endpoint: ep,
        id: 40,
        remoteAppName: "x",
        remoteAppData: { alert_rules: "{bad", event: "[", dashboards: "\u0000" },
        remoteUnitsData: { 0: { remote_write: "{not json" } },
      });
      const c = ctx();
      const out = await c.run(c.on.relationChanged(rel, { remoteUnit: 0 }), base({ relations: [rel] }));
      // The hook succeeds; nothing read from these bags can block the unit.
      assert.ok(["active", "unknown"].includes(out.unitStatus.name), out.unitStatus.message);
    });
  }
});

describe("every event the charm observes reconciles to the same configured workload", () => {
  const endpoints = [
    "metrics-endpoint",
    "alertmanager",
    "ingress",
    "grafana-source",
    "catalogue",
    "receive-remote-write",
    "prometheus-api",
    "send-datasource",
  ];
  const lifecycle = ["configChanged", "upgradeCharm", "leaderElected"] as const;
  for (const ev of lifecycle) {
    it(ev, async () => {
      const c = ctx();
      const out = await c.run(c.on[ev](), base());
      assert.equal(out.unitStatus.name, "active");
      assert.match(getContainer(out, "prometheus")?.filesystem[PATHS.config] ?? "", /job_name: prometheus/);
    });
  }
  it("storage-attached (database)", async () => {
    const c = ctx();
    const st = storage({ name: "database", location: DB });
    const out = await c.run(c.on.storageAttached(st), base({ storages: [st] }));
    assert.equal(out.unitStatus.name, "active");
  });
  for (const ep of endpoints) {
    for (const kind of [
      "relationCreated",
      "relationJoined",
      "relationChanged",
      "relationDeparted",
      "relationBroken",
    ] as const) {
      it(`${ep} ${kind}`, async () => {
        const c = ctx();
        const rel = relation({ endpoint: ep, id: 30, remoteAppName: "other" });
        const out = await c.run(c.on[kind](rel), base({ relations: [rel] }));
        assert.match(getContainer(out, "prometheus")?.filesystem[PATHS.config] ?? "", /job_name: prometheus/);
        assert.notEqual(out.unitStatus.name, "error");
        // The unit publishes its own data on every relation it is in (except when it is breaking).
        if (kind !== "relationBroken" && ep === "grafana-source")
          assert.ok(getRelation(out, 30)?.localUnitData.grafana_source_host);
      });
    }
  }
});

describe("statuses", () => {
  it("a reload that does not finish in time: maintenance, retried later", async () => {
    const c = ctx({ kind: "timeout" });
    const running = container({
      name: "prometheus",
      canConnect: true,
      filesystem: { [PATHS.config]: "stale" },
    });
    const started = await c.run(c.on.pebbleReady(running), base({ containers: [running] }));
    const a = relation({ endpoint: "metrics-endpoint", id: 31, remoteAppName: "zinc" });
    const out = await c.run(
      c.on.configChanged(),
      state({ ...started, config: { evaluation_interval: "30s" }, relations: [a] }),
    );
    assert.equal(out.unitStatus.name, "maintenance");
    assert.match(out.unitStatus.message, /will retry on update-status/);
  });

  it("promtool cannot run in the workload: blocked, saying so", async () => {
    const wl = container({
      name: "prometheus",
      canConnect: true,
      filesystem: { "/usr/bin/promtool": "" },
      execs: [],
    });
    const c = ctx();
    const out = await c.run(c.on.configChanged(), base({ containers: [wl] }));
    assert.equal(out.unitStatus.name, "blocked");
    assert.match(out.unitStatus.message, /promtool/);
  });

  it("the database storage cannot be sized: blocked, only the retention time applies", async () => {
    const c = ctx();
    const out = await c.run(
      c.on.configChanged(),
      base({ storages: [storage({ name: "database", location: "/nonexistent/prometheus-db" })] }),
    );
    assert.equal(out.unitStatus.name, "blocked");
    assert.match(out.unitStatus.message, /retention/);
  });
});

/**
 * State-transition tests of the charm class with the SDK's harness: what a hook pushes to the
 * workload, writes to databags and says in its status, for the main paths and bad input.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  type ContainerState,
  Context,
  type ContextOptions,
  container,
  execMock,
  getContainer,
  getRelation,
  peerRelation,
  relation,
  type State,
  state,
  storage,
} from "@charmkit/ops/testing";
import { lzmaBase64Decompress } from "@charmkit/interfaces/grafana-dashboard";
import type { ReloadResult } from "./apply.js";
import { consume } from "@charmkit/interfaces/prometheus-scrape";
import PrometheusCharm, { PARSE_CACHE_FILE } from "./charm.js";
import type { Collected } from "./decide.js";
import { partDigest } from "./refusals.js";
import { renderJob } from "./render.js";
import { PATHS } from "./flags.js";
import { CHARM_DIR, MODEL_UUID as UUID, tempDir } from "./charm.test-support.js";

const TMP = tempDir("prom-charm-test-");
const DB = mkdtempSync(join(TMP, "prom-db-"));

/** Records reloads and answers with the queued results (ok when the queue is empty). */
class FakeApi {
  calls = 0;
  constructor(private readonly answers: ReloadResult[] = []) {}
  async reload(): Promise<ReloadResult> {
    this.calls += 1;
    return this.answers.shift() ?? { kind: "ok" };
  }
}

/**
 * A harness whose charm is built with `api` as its Prometheus API (the production client when
 * none is given), through the constructor as Juju's dispatch would build it with the defaults.
 */
const ctx = (api?: FakeApi, opts: Omit<ContextOptions, "create"> = {}) =>
  new Context(PrometheusCharm, {
    charmDir: CHARM_DIR,
    ...opts,
    create: (f) => new PrometheusCharm(f, api ? { prometheusApi: () => api } : {}),
  });

function workload(init: Partial<ContainerState> = {}): ContainerState {
  return container({ name: "prometheus", canConnect: true, ...init });
}

function scrapeRelation(
  id: number,
  app: string,
  opts: { jobs?: string; rules?: string; units?: number } = {},
) {
  const units: Record<number, Record<string, string>> = {};
  for (let u = 0; u < (opts.units ?? 2); u++) {
    units[u] = {
      prometheus_scrape_unit_address: `10.1.${id}.${u + 1}`,
      prometheus_scrape_unit_name: `${app}/${u}`,
    };
  }
  return relation({
    endpoint: "metrics-endpoint",
    id,
    remoteAppName: app,
    remoteAppData: {
      scrape_metadata: JSON.stringify({
        model: "cos",
        model_uuid: UUID,
        application: app,
        unit: `${app}/0`,
        charm_name: app,
      }),
      scrape_jobs: opts.jobs ?? JSON.stringify([{ static_configs: [{ targets: ["*:8000"] }] }]),
      ...(opts.rules !== undefined ? { alert_rules: opts.rules } : {}),
    },
    remoteUnitsData: units,
  });
}

const GOOD_RULES = JSON.stringify({
  groups: [{ name: "g", rules: [{ alert: "Down", expr: "up{%%juju_topology%%} < 1", for: "1m" }] }],
});

/** The model the scrape relations above live in (their metadata's): same-model relations. */
const MODEL = { name: "cos", uuid: UUID, type: "kubernetes" } as const;

function base(extra: Partial<State> = {}): State {
  return state({
    model: MODEL,
    leader: true,
    containers: [workload()],
    storages: [storage({ name: "database", location: DB })],
    ...extra,
  });
}

function pushedConfig(s: State): string {
  return getContainer(s, "prometheus")?.filesystem[PATHS.config] ?? "";
}

describe("prometheus-k8s charm", () => {
  it("pebble-ready: pushes prometheus.yml with the self-scrape job, plans the service, active", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const out = await c.run(c.on.pebbleReady(workload()), base());
    const cfg = pushedConfig(out);
    assert.match(cfg, /job_name: prometheus\n/);
    assert.match(cfg, /rule_files:\n- \/etc\/prometheus\/rules\/juju_\*\.rules/);
    const layer = getContainer(out, "prometheus")?.layers.find((l) => l.label === "prometheus")?.layer as
      | { services?: Record<string, { command?: string }> }
      | undefined;
    const command = layer?.services?.prometheus?.command ?? "";
    assert.ok(command.startsWith("/bin/prometheus --config.file=/etc/prometheus/prometheus.yml"), command);
    assert.match(command, /--storage\.tsdb\.retention\.size=\S+GB/);
    assert.equal(out.unitStatus.name, "active");
    assert.deepEqual(out.openedPorts, [{ protocol: "tcp", port: 9090 }]);
  });

  it("keeps the alert expressions' parses in its cache directory, and writes nothing without one", async () => {
    const fakeApi = new FakeApi();
    const rules = JSON.stringify({
      groups: [
        { name: "g", rules: [{ alert: "Lag", expr: "cache_test_lag_seconds{%%juju_topology%%} > 30" }] },
      ],
    });
    const a = scrapeRelation(5, "cachezinc", { rules });
    const plain = ctx(fakeApi);
    await plain.run(plain.on.relationChanged(a, { remoteUnit: 0 }), base({ relations: [a] }));
    assert.equal(
      existsSync(join(CHARM_DIR, PARSE_CACHE_FILE)),
      false,
      "the harness default has no cache dir",
    );

    const dir = mkdtempSync(join(TMP, "prom-cache-"));
    const cached = ctx(fakeApi, { cacheDir: dir });
    const file = join(dir, PARSE_CACHE_FILE);
    const b = scrapeRelation(6, "cachetin", {
      rules: JSON.stringify({
        groups: [{ name: "g", rules: [{ alert: "Slow", expr: "cache_test_slow_total > 1" }] }],
      }),
    });
    await cached.run(cached.on.relationChanged(b, { remoteUnit: 0 }), base({ relations: [b] }));
    const doc = JSON.parse(readFileSync(file, "utf8")) as { entries: [string, unknown][] };
    assert.ok(
      doc.entries.some(([e]) => e === "cache_test_slow_total > 1"),
      "the new expression is in the cache file",
    );
    assert.equal(statSync(file).mode & 0o777, 0o600);
    // Nothing new to parse: the file is left alone.
    const before = statSync(file).mtimeMs;
    await cached.run(cached.on.relationChanged(b, { remoteUnit: 0 }), base({ relations: [b] }));
    assert.equal(statSync(file).mtimeMs, before);
  });

  // Prometheus 2.x refuses `fallback_scrape_protocol` (added in 3.0), so a unit whose scrape
  // relations exist when its workload (re)starts must learn the version before writing the file:
  // Prometheus would refuse the file and never become healthy. The version comes from
  // `prometheus --version` through Pebble exec, as the Python charm reads it.
  it("pebble-ready with scrape relations: reads the version first, no fallback_scrape_protocol for 2.x", async () => {
    const fakeApi = new FakeApi();
    const a = scrapeRelation(3, "zinc");
    const version = (v: string) =>
      workload({
        execs: [
          execMock({
            command: [PATHS.binary, "--version"],
            stdout: `prometheus, version ${v} (branch: x)\n`,
          }),
        ],
      });
    const c2 = ctx(fakeApi);
    const wl2 = version("2.42.0+ds");
    const out2 = await c2.run(c2.on.pebbleReady(wl2), base({ containers: [wl2], relations: [a] }));
    const cfg2 = pushedConfig(out2);
    assert.ok(cfg2.includes("juju_unit: zinc/0"), cfg2);
    assert.doesNotMatch(cfg2, /fallback_scrape_protocol/);
    assert.equal(out2.workloadVersion, "2.42.0");

    const c3 = ctx(fakeApi);
    const wl3 = version("3.5.0");
    const out3 = await c3.run(c3.on.pebbleReady(wl3), base({ containers: [wl3], relations: [a] }));
    assert.match(pushedConfig(out3), /fallback_scrape_protocol: PrometheusText0\.0\.4/);
    assert.equal(out3.workloadVersion, "3.5.0");

    // A new image after a restart: the version is read again, not kept from the old workload.
    const again = await c2.run(c2.on.pebbleReady(wl3), state({ ...out2, containers: [wl3] }));
    assert.match(pushedConfig(again), /fallback_scrape_protocol/);
    assert.equal(again.workloadVersion, "3.5.0");
  });

  it("metrics-endpoint: jobs of every related app and one rule file per relation, hot reload", async () => {
    const api = new FakeApi();
    const c = ctx(api);
    const started = await c.run(c.on.pebbleReady(workload()), base());
    const a = scrapeRelation(3, "zinc", { rules: GOOD_RULES });
    const b = scrapeRelation(4, "tin");
    const s1 = state({ ...started, relations: [a, b] });
    const out = await c.run(c.on.relationChanged(a, { remoteUnit: 0 }), s1);
    const cfg = pushedConfig(out);
    for (const unit of ["zinc/0", "zinc/1", "tin/0", "tin/1"])
      assert.ok(cfg.includes(`juju_unit: ${unit}`), unit);
    // Pinned to their own topology (no trusted_aggregators): targets cannot override it.
    assert.match(cfg, /honor_labels: false/);
    assert.doesNotMatch(cfg, /honor_labels: true/);
    const fs = getContainer(out, "prometheus")?.filesystem ?? {};
    const ruleFiles = Object.keys(fs).filter((p) => p.startsWith("/etc/prometheus/rules/"));
    assert.equal(ruleFiles.length, 1, ruleFiles.join(","));
    assert.match(fs[ruleFiles[0]!] ?? "", /juju_application="zinc"/);
    assert.equal(api.calls, 1, "config change is applied by a reload, not a restart");
    assert.equal(out.unitStatus.name, "active");
    // The leader feeds back to the related app (the relation with rules gets an `event`).
    assert.equal(getRelation(out, 3)?.localAppData.event, "{}");
  });

  // Juju runs relation-changed for every remote bag that changed, with that unit named, and its
  // agent answers relation-get of other units from its own cache (juju/juju
  // worker/uniter/relation/resolver.go nextHookForRelation; runner/context/cache.go), so a hook
  // need read only the unit its event names. Here both units changed but only unit 0's hook ran:
  // unit 1 must still be what the last hook read, which shows its bag was not read again.
  it("metrics-endpoint through the cached view: a hook reads only the unit its event names", async () => {
    const fakeApi = new FakeApi();
    const dir = mkdtempSync(join(TMP, "prom-view-"));
    const c = ctx(fakeApi, { cacheDir: dir });
    const a = scrapeRelation(3, "zinc");
    const first = await c.run(c.on.relationChanged(a, { remoteUnit: 0 }), base({ relations: [a] }));
    assert.ok(pushedConfig(first).includes("10.1.3.2:8000"), "full read on the first hook");
    const moved = relation({
      ...a,
      remoteUnitsData: {
        0: { ...a.remoteUnitsData[0], prometheus_scrape_unit_address: "10.9.9.1" },
        1: { ...a.remoteUnitsData[1], prometheus_scrape_unit_address: "10.9.9.2" },
      },
    });
    const s2 = state({ ...first, relations: [moved] });
    const out = await c.run(c.on.relationChanged(moved, { remoteUnit: 0 }), s2);
    const cfg = pushedConfig(out);
    assert.ok(cfg.includes("10.9.9.1:8000"), "the event's unit is read");
    assert.ok(cfg.includes("10.1.3.2:8000") && !cfg.includes("10.9.9.2"), "the other unit is not");
    // Unit 1's own event brings its change in.
    const after = await c.run(
      c.on.relationChanged(moved, { remoteUnit: 1 }),
      state({ ...out, relations: [moved] }),
    );
    assert.ok(pushedConfig(after).includes("10.9.9.2:8000"));
    // Without a cache directory every hook reads everything.
    const plain = ctx(fakeApi);
    const full = await plain.run(plain.on.relationChanged(moved, { remoteUnit: 0 }), s2);
    assert.ok(pushedConfig(full).includes("10.9.9.2:8000"));
  });

  // Only this application's leader writes its bag, and Juju commits stored state (state-set) with
  // the hook's relation writes in one transaction (juju/juju worker/uniter/runner/context/context.go
  // Flush, api/agent/uniter/unit.go CommitHookChanges), so what the leader
  // recorded having written is what the bag holds until leadership changes. A hook therefore
  // neither reads nor rewrites the feedback of a relation whose feedback did not change. The bag
  // is altered behind the charm's back here only to show that it was not read.
  it("scrape feedback: written once per value, not read again while the leader's record holds", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const a = scrapeRelation(3, "zinc", { rules: GOOD_RULES });
    const first = await c.run(c.on.relationChanged(a, { remoteUnit: 0 }), base({ relations: [a] }));
    assert.equal(getRelation(first, 3)?.localAppData.event, "{}");
    const tampered = relation({ ...getRelation(first, 3)!, localAppData: { event: "elsewhere" } });
    const second = await c.run(
      c.on.relationChanged(tampered, { remoteUnit: 1 }),
      state({ ...first, relations: [tampered] }),
    );
    assert.equal(getRelation(second, 3)?.localAppData.event, "elsewhere", "neither read nor written");
    // New feedback is written whatever the record says.
    const broken = relation({
      ...tampered,
      remoteAppData: { ...tampered.remoteAppData, alert_rules: "{oops" },
    });
    const third = await c.run(
      c.on.relationChanged(broken, { remoteUnit: 0 }),
      state({ ...second, relations: [broken] }),
    );
    assert.match(getRelation(third, 3)?.localAppData.event ?? "", /errors/);
    // A new leader has no record it can trust: it reads and corrects the bag.
    const retampered = relation({
      ...getRelation(third, 3)!,
      remoteAppData: tampered.remoteAppData,
      localAppData: { event: "elsewhere" },
    });
    const elected = await c.run(c.on.leaderElected(), state({ ...third, relations: [retampered] }));
    assert.equal(getRelation(elected, 3)?.localAppData.event, "{}");
  });

  it("above COMPACT_JOBS_THRESHOLD jobs the config is compact, with the per-unit job labels", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const many = Array.from({ length: 101 }, (_, i) => scrapeRelation(100 + i, `app${i}`, { units: 20 }));
    const out = await c.run(c.on.relationChanged(many[0]!), base({ relations: many }));
    const cfg = pushedConfig(out);
    const jobNames = cfg.match(/^- job_name: .*$|^ {2}job_name: .*$/gm) ?? [];
    assert.equal(jobNames.length, 102, "one job per declared job, plus the self-scrape job");
    assert.ok(cfg.includes("job: juju_cos_a1b2c3d4_app0_prometheus_scrape-19"));
    assert.equal(out.unitStatus.name, "active");
    // Below the threshold: one job per unit, as the Python charm renders it.
    const few = await c.run(c.on.relationChanged(many[0]!), base({ relations: many.slice(0, 2) }));
    assert.equal((pushedConfig(few).match(/job_name: /g) ?? []).length, 41);
  });

  it("trusted_aggregators: a named aggregator speaks for others; everyone else is pinned", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    // cos-proxy's wire format: no scrape_metadata, jobs labelled with the applications it forwards.
    const proxy = relation({
      endpoint: "metrics-endpoint",
      id: 5,
      remoteAppName: "cos-proxy",
      remoteAppData: {
        scrape_jobs: JSON.stringify([
          {
            job_name: "juju_lxd_0000aaaa_node_prometheus_scrape",
            static_configs: [
              {
                targets: ["10.5.0.1:9100"],
                labels: { juju_model: "lxd", juju_application: "node", juju_unit: "node/0" },
              },
            ],
          },
        ]),
      },
      remoteUnitsData: { 0: { prometheus_scrape_unit_address: "10.5.0.100" } },
    });
    const zinc = scrapeRelation(3, "zinc");
    const pinned = await c.run(c.on.relationChanged(proxy), base({ relations: [zinc, proxy] }));
    let cfg = pushedConfig(pinned);
    assert.ok(!cfg.includes("juju_application: node"), "untrusted, it cannot speak for node");
    assert.ok(cfg.includes("juju_unit: zinc/0"));
    assert.equal(pinned.unitStatus.name, "blocked");
    assert.match(pinned.unitStatus.message, /metrics-endpoint:5 \(cos-proxy\)/);
    const trusted = await c.run(
      c.on.configChanged(),
      base({ relations: [zinc, proxy], config: { trusted_aggregators: " cos-proxy ,, " } }),
    );
    cfg = pushedConfig(trusted);
    assert.match(cfg, /job_name: juju_lxd_0000aaaa_node_prometheus_scrape/);
    assert.ok(cfg.includes("juju_application: node"));
    assert.equal(trusted.unitStatus.name, "active", trusted.unitStatus.message);
    const bad = await c.run(
      c.on.configChanged(),
      base({ relations: [zinc], config: { trusted_aggregators: "Cos Proxy" } }),
    );
    assert.equal(bad.unitStatus.name, "blocked");
    assert.match(bad.unitStatus.message, /trusted_aggregators/);
  });

  it("a cross-model relation is held to the model relation-model-get reports", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const other = "b2c3d4e5-2222-4333-8444-555566667777";
    const remote = relation({
      ...scrapeRelation(6, "zinc"),
      remoteModelUuid: other,
      remoteAppData: {
        scrape_metadata: JSON.stringify({ model: "edge", model_uuid: other, application: "zinc" }),
        scrape_jobs: JSON.stringify([{ static_configs: [{ targets: ["*:8000"] }] }]),
      },
    });
    const out = await c.run(c.on.relationChanged(remote), base({ relations: [remote] }));
    const cfg = pushedConfig(out);
    assert.ok(cfg.includes(`juju_model_uuid: ${other}`));
    assert.ok(cfg.includes("juju_model: edge"));
    assert.equal(out.unitStatus.name, "active", out.unitStatus.message);
    // The same data without Juju saying it is cross-model claims another model: refused.
    const local = relation({ ...remote, remoteModelUuid: undefined });
    const refused = await c.run(c.on.relationChanged(local), base({ relations: [local] }));
    assert.equal(refused.unitStatus.name, "blocked");
    assert.ok(!pushedConfig(refused).includes("juju_model: edge"));
  });

  it("one malformed relation is rejected by name; the others keep their jobs", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const good = scrapeRelation(3, "zinc");
    const bad = scrapeRelation(4, "tin", { jobs: "[{not json" });
    const out = await c.run(c.on.relationChanged(bad), base({ relations: [good, bad] }));
    const cfg = pushedConfig(out);
    assert.ok(cfg.includes("juju_unit: zinc/0"));
    assert.ok(!cfg.includes("juju_unit: tin/0"));
    assert.equal(out.unitStatus.name, "blocked");
    assert.match(out.unitStatus.message, /metrics-endpoint:4 \(tin\)/);
  });

  it("a bad option blocks with the option's name and keeps Prometheus configured", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const out = await c.run(c.on.configChanged(), base({ config: { metrics_retention_time: "1h30m" } }));
    assert.equal(out.unitStatus.name, "blocked");
    assert.match(out.unitStatus.message, /metrics_retention_time/);
    assert.ok(pushedConfig(out).includes("job_name: prometheus"));
  });

  it("a failed reload keeps the retry pending and update-status retries until it works", async () => {
    const api = new FakeApi([{ kind: "failed", detail: "HTTP 500: bad" }]);
    const c = ctx(api);
    const started = await c.run(c.on.pebbleReady(workload()), base());
    const a = scrapeRelation(3, "zinc");
    const failed = await c.run(c.on.relationChanged(a), state({ ...started, relations: [a] }));
    assert.equal(failed.unitStatus.name, "blocked");
    assert.match(failed.unitStatus.message, /did not load the new configuration/);
    const healed = await c.run(c.on.updateStatus(), failed);
    assert.equal(api.calls, 2, "update-status reloads again although no file changed");
    assert.equal(healed.unitStatus.name, "active");
  });

  it("promtool rejecting the candidate keeps the running config", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const started = await c.run(c.on.pebbleReady(workload()), base());
    const before = pushedConfig(started);
    const wl = getContainer(started, "prometheus")!;
    const withPromtool = container({
      ...wl,
      filesystem: { ...wl.filesystem, "/usr/bin/promtool": "" },
      execs: [
        execMock({ command: ["/usr/bin/promtool", "check", "config"], exitCode: 1, stderr: "FAILED: nope" }),
      ],
    });
    const a = scrapeRelation(3, "zinc");
    const out = await c.run(
      c.on.relationChanged(a),
      state({ ...started, containers: [withPromtool], relations: [a] }),
    );
    assert.equal(pushedConfig(out), before, "the previous prometheus.yml stays");
    assert.equal(out.unitStatus.name, "blocked");
    assert.match(out.unitStatus.message, /promtool rejected the new config, previous config kept/);
  });

  it("a relation part promtool refused stays out while unchanged, named in the status and fed back", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const good = scrapeRelation(3, "zinc");
    const bad = scrapeRelation(4, "tin");
    // What the charm collects for tin (same options as the charm: this model, Prometheus 3).
    const scrape = consume(
      [good, bad].map((r) => ({
        id: r.id,
        endpoint: "metrics-endpoint",
        remoteApp: r.remoteAppName,
        remoteAppData: r.remoteAppData,
        remoteUnitsData: Object.fromEntries(
          Object.entries(r.remoteUnitsData).map(([u, d]) => [`${r.remoteAppName}/${u}`, d]),
        ),
      })),
      { model: { name: MODEL.name, uuid: MODEL.uuid }, fallbackScrapeProtocol: true, prometheusMajor: 3 },
    );
    // The charm collects the jobs as rendered (see scrape-fragments).
    const digest = partDigest(
      {
        jobs: scrape.jobs.map((j) => renderJob(j, 3)),
        jobRelations: scrape.jobRelations,
        ruleFiles: {},
      } as unknown as Collected,
      4,
      "jobs",
    );
    const refused = (d: string) =>
      JSON.stringify([
        { relationId: 4, part: "jobs", reason: "promtool refused its jobs: line 9: nope", digest: d },
      ]);
    const remembered = await c.run(
      c.on.updateStatus(),
      base({
        relations: [good, bad],
        storedStates: {
          prometheus: { refused: refused(digest), retryPending: false, lastStatus: "", version: "" },
        },
      }),
    );
    let cfg = pushedConfig(remembered);
    assert.ok(cfg.includes("juju_unit: zinc/0"));
    assert.ok(!cfg.includes("juju_unit: tin/0"), "tin's jobs stay out");
    assert.equal(remembered.unitStatus.name, "blocked");
    assert.match(remembered.unitStatus.message, /metrics-endpoint:4 \(tin\): promtool refused its jobs/);
    assert.match(
      getRelation(remembered, 4)?.localAppData.event ?? "",
      /"scrape_job_errors": "promtool refused its jobs: line 9: nope"/,
    );
    // Once tin's data changed, it is tried again (and here promtool has nothing to say).
    const lapsed = await c.run(
      c.on.updateStatus(),
      base({
        relations: [good, bad],
        storedStates: {
          prometheus: { refused: refused("old"), retryPending: false, lastStatus: "", version: "" },
        },
      }),
    );
    cfg = pushedConfig(lapsed);
    assert.ok(cfg.includes("juju_unit: tin/0"));
    assert.equal(lapsed.unitStatus.name, "active", lapsed.unitStatus.message);
  });

  it("without Pebble it waits and publishes nothing it cannot know", async () => {
    // What it knows without the workload (its own addresses, what the library found in the
    // relation data) it publishes as it would with it; what only the workload can tell
    // (Prometheus' version, what promtool makes of the rules, a reload) it does not pretend to know.
    const rels = () => [
      relation({ endpoint: "grafana-source", id: 10, remoteAppName: "grafana" }),
      relation({ endpoint: "catalogue", id: 11, remoteAppName: "catalogue" }),
      scrapeRelation(3, "zinc", { rules: GOOD_RULES }),
    ];
    const api = new FakeApi();
    const out = await ctx(api).run(
      ctx(api).on.configChanged(),
      base({ containers: [container({ name: "prometheus" })], relations: rels() }),
    );
    assert.equal(out.unitStatus.name, "waiting");
    assert.match(out.unitStatus.message, /prometheus container \(Pebble\)/);
    assert.deepEqual(getContainer(out, "prometheus")?.filesystem ?? {}, {}, "nothing pushed");
    assert.equal(api.calls, 0, "no reload asked of a Prometheus it cannot reach");
    assert.equal(out.workloadVersion, "", "no version it could not read");

    // With Pebble (and no promtool in the workload, so nothing refused) it publishes the same:
    // its addresses, and on the scrape relation only what the library itself found.
    const withPebble = await ctx(api).run(ctx(api).on.configChanged(), base({ relations: rels() }));
    assert.equal(withPebble.unitStatus.name, "active");
    for (const id of [10, 11, 3])
      assert.deepEqual(getRelation(out, id), getRelation(withPebble, id), `relation ${id}: the same data`);
    assert.equal(getRelation(out, 3)?.localAppData.event, "{}", "no refusal it could not have made");
    assert.match(getRelation(out, 10)?.localUnitData.grafana_source_host ?? "", /^http:\/\/.+:9090$/);
  });

  it("a non-leader writes its unit data but never touches app bags", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const cat = relation({ endpoint: "catalogue", id: 9, remoteAppName: "catalogue" });
    const gs = relation({ endpoint: "grafana-source", id: 10, remoteAppName: "grafana" });
    const a = scrapeRelation(3, "zinc", { rules: GOOD_RULES });
    const out = await c.run(c.on.configChanged(), base({ leader: false, relations: [cat, gs, a] }));
    assert.deepEqual(getRelation(out, 9)?.localAppData, {});
    assert.deepEqual(getRelation(out, 10)?.localAppData, {});
    assert.deepEqual(getRelation(out, 3)?.localAppData, {});
    assert.match(getRelation(out, 10)?.localUnitData.grafana_source_host ?? "", /^http:\/\/.+:9090$/);
  });

  // The Python charm publishes socket.getfqdn(), the pod's name under its endpoints service;
  // the short pod host name does not resolve in other pods. Every URL and host we publish, and
  // Prometheus' own --web.external-url, must carry that name.
  it("every published address carries the unit's FQDN", async () => {
    const fqdn = "prometheus-k8s-0.prometheus-k8s-endpoints.cos.svc.cluster.local";
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi, { fqdn });
    const rels = [
      relation({ endpoint: "grafana-source", id: 20, remoteAppName: "grafana" }),
      relation({ endpoint: "catalogue", id: 21, remoteAppName: "catalogue" }),
      relation({ endpoint: "receive-remote-write", id: 22, remoteAppName: "agent" }),
      relation({ endpoint: "prometheus-api", id: 23, remoteAppName: "consumer" }),
      relation({ endpoint: "ingress", id: 24, remoteAppName: "traefik" }),
      relation({ endpoint: "self-metrics-endpoint", id: 25, remoteAppName: "other-prometheus" }),
    ];
    const out = await c.run(c.on.configChanged(), base({ relations: rels }));
    const bags = (id: number) => {
      const r = getRelation(out, id);
      return JSON.stringify({ ...r?.localAppData, ...r?.localUnitData });
    };
    assert.equal(getRelation(out, 20)?.localUnitData.grafana_source_host, `http://${fqdn}:9090`);
    assert.equal(getRelation(out, 21)?.localAppData.url, `http://${fqdn}:9090`);
    assert.match(bags(22), new RegExp(`http://${fqdn.replaceAll(".", "\\.")}:9090/api/v1/write`));
    assert.match(bags(23), new RegExp(`http://${fqdn.replaceAll(".", "\\.")}:9090`));
    assert.equal(getRelation(out, 24)?.localUnitData.host, fqdn);
    assert.match(bags(25), new RegExp(fqdn.replaceAll(".", "\\.")));
    const layer = getContainer(out, "prometheus")?.layers.find((l) => l.label === "prometheus")?.layer as {
      services: Record<string, { command: string }>;
    };
    assert.match(
      layer.services.prometheus!.command,
      new RegExp(`--web\\.external-url=http://${fqdn.replaceAll(".", "\\.")}:9090 `),
    );
  });

  it("the leader publishes the catalogue item with real URLs (never None/...)", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const cat = relation({ endpoint: "catalogue", id: 9, remoteAppName: "catalogue" });
    const out = await c.run(c.on.relationJoined(cat), base({ relations: [cat] }));
    const bag = getRelation(out, 9)?.localAppData ?? {};
    assert.equal(bag.name, "Prometheus");
    assert.match(bag.url ?? "", /^http:\/\/.+:9090$/);
    const eps = JSON.parse(bag.api_endpoints ?? "{}") as Record<string, string>;
    assert.equal(eps["Instant queries"], `${bag.url}/api/v1/query`);
  });

  it("send-datasource: the leader passes on the datasources Grafana created for it", async () => {
    const grafana = relation({
      endpoint: "grafana-source",
      id: 11,
      remoteAppName: "grafana",
      remoteAppData: {
        grafana_uid: "g-1",
        datasource_uids: JSON.stringify({ "prometheus/0": "ds-b", "prometheus/1": "ds-a" }),
      },
    });
    const send = relation({ endpoint: "send-datasource", id: 12, remoteAppName: "sink" });
    const run = async (leader: boolean) => {
      const fakeApi = new FakeApi();
      const c = ctx(fakeApi);
      return c.run(c.on.relationChanged(grafana), base({ leader, relations: [grafana, send] }));
    };
    const out = await run(true);
    assert.deepEqual(JSON.parse(getRelation(out, 12)?.localAppData.datasources ?? "null"), [
      { type: "prometheus", uid: "ds-a", grafana_uid: "g-1" },
      { type: "prometheus", uid: "ds-b", grafana_uid: "g-1" },
    ]);
    const follower = await run(false);
    assert.equal(getRelation(follower, 12)?.localAppData.datasources, undefined);
  });

  it("ingress: requests per-unit ingress and uses the answer as external URL", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const ing = relation({
      endpoint: "ingress",
      id: 11,
      remoteAppName: "traefik",
      remoteAppData: { ingress: "prometheus-k8s/0:\n  url: http://10.0.0.1/cos-prometheus-0\n" },
    });
    const out = await c.run(c.on.relationChanged(ing), base({ relations: [ing] }));
    const req = getRelation(out, 11)?.localUnitData ?? {};
    assert.equal(req.port, "9090");
    assert.equal(req["strip-prefix"], "true");
    const layer = getContainer(out, "prometheus")?.layers.find((l) => l.label === "prometheus")?.layer as {
      services: Record<string, { command: string }>;
    };
    assert.match(
      layer.services.prometheus!.command,
      /--web\.external-url=http:\/\/10\.0\.0\.1\/cos-prometheus-0 /,
    );
  });

  it("grafana-dashboard: the leader offers the bundled dashboard, xz-compressed as the Python library does", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const dash = relation({ endpoint: "grafana-dashboard", id: 13, remoteAppName: "grafana" });
    const out = await c.run(c.on.relationJoined(dash), base({ relations: [dash] }));
    const doc = JSON.parse(getRelation(out, 13)?.localAppData.dashboards ?? "{}") as {
      templates?: Record<string, { charm: string; content: string }>;
    };
    const t = doc.templates?.["file:prometheus-self-monitoring"];
    assert.ok(t, JSON.stringify(Object.keys(doc.templates ?? {})));
    assert.equal(t.charm, "prometheus-k8s");
    assert.match(await lzmaBase64Decompress(t.content), /"panels"/);
    const follower = await c.run(c.on.relationJoined(dash), base({ leader: false, relations: [dash] }));
    assert.deepEqual(getRelation(follower, 13)?.localAppData, {});
  });

  // The same guarantees hold for every endpoint the charm reads in each reconcile: a hook of
  // another endpoint reads nothing of alertmanager, whose relation is announced by
  // relation-created (juju/juju worker/uniter/relation/resolver.go createdRelationsResolver).
  it("other endpoints through their cached views: read on their own events only", async () => {
    const fakeApi = new FakeApi();
    const dir = mkdtempSync(join(tmpdir(), "prom-views-"));
    const c = ctx(fakeApi, { cacheDir: dir });
    const a = scrapeRelation(3, "zinc");
    const s0 = await c.run(c.on.relationChanged(a, { remoteUnit: 0 }), base({ relations: [a] }));
    const am = relation({
      endpoint: "alertmanager",
      id: 12,
      remoteAppName: "am",
      remoteUnitsData: { 0: { url: "http://am-0.am:9093" } },
    });
    const s1 = await c.run(c.on.relationCreated(am), state({ ...s0, relations: [a, am] }));
    const s2 = await c.run(c.on.relationChanged(am, { remoteUnit: 0 }), s1);
    assert.ok(pushedConfig(s2).includes("am-0.am:9093"));
    const moved = relation({
      ...getRelation(s2, 12)!,
      remoteUnitsData: { 0: { url: "http://am-9.am:9093" } },
    });
    const s3 = await c.run(
      c.on.relationChanged(a, { remoteUnit: 1 }),
      state({ ...s2, relations: [a, moved] }),
    );
    assert.ok(pushedConfig(s3).includes("am-0.am:9093"), "not read in a metrics-endpoint hook");
    const s4 = await c.run(c.on.relationChanged(moved, { remoteUnit: 0 }), s3);
    assert.ok(pushedConfig(s4).includes("am-9.am:9093"), "read in its own hook");
  });

  it("alertmanager units end up in alerting.alertmanagers", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const am = relation({
      endpoint: "alertmanager",
      id: 12,
      remoteAppName: "am",
      remoteUnitsData: {
        0: { url: "http://am-0.am:9093" },
        1: { public_address: "am-1.am:9093", scheme: "http" },
      },
    });
    const out = await c.run(c.on.relationChanged(am, { remoteUnit: 0 }), base({ relations: [am] }));
    const cfg = pushedConfig(out);
    assert.match(cfg, /alerting:\n {2}alertmanagers:/);
    assert.ok(cfg.includes("am-0.am:9093") && cfg.includes("am-1.am:9093"));
  });

  it("actions: validate-configuration returns promtool's verdict; show-config the rendered file", async () => {
    const fakeApi = new FakeApi();
    const c = ctx(fakeApi);
    const wl = workload({
      execs: [execMock({ command: ["/usr/bin/promtool", "check", "config"], stdout: "SUCCESS: ok\n" })],
    });
    await c.run(c.on.action("validate-configuration"), base({ containers: [wl] }));
    assert.equal(c.actionResults?.valid, "True");
    assert.match(String(c.actionResults?.result), /SUCCESS/);
    const bad = scrapeRelation(4, "tin", { jobs: "[{not json" });
    await c.run(c.on.action("show-config"), base({ relations: [bad] }));
    assert.match(String(c.actionResults?.["prometheus-yml"]), /job_name: prometheus/);
    assert.match(String(c.actionResults?.rejected), /metrics-endpoint:4 \(tin\)/);
  });

  it("install, start, pebble checks and prometheus-peers events also configure the workload", async () => {
    const wl = workload({ checks: [{ name: "up", status: "down", threshold: 3 }] });
    const peer = peerRelation({ endpoint: "prometheus-peers", id: 9, peersData: { 1: {} } });
    const events = (c: Context) => [
      c.on.install(),
      c.on.start(),
      c.on.pebbleCheckFailed(wl, "up"),
      c.on.pebbleCheckRecovered(wl, "up"),
      c.on.relationJoined(peer, { remoteUnit: 1 }),
      c.on.relationDeparted(peer, { remoteUnit: 1 }),
    ];
    for (let i = 0; i < events(ctx()).length; i++) {
      const fakeApi = new FakeApi();
      const c = ctx(fakeApi);
      const ev = events(c)[i];
      assert.ok(ev);
      const out = await c.run(ev, base({ containers: [wl], relations: [peer] }));
      assert.match(pushedConfig(out), /job_name: prometheus\n/, `event ${i}`);
      assert.equal(out.unitStatus.name, "active", `event ${i}: ${out.unitStatus.message}`);
    }
  });
});

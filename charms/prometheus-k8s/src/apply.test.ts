import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { apply, type Desired, type PrometheusApi, type ReloadResult, type Workload } from "./apply.js";
import { parseConfig } from "./config.js";
import { prometheusCommand } from "./flags.js";
import { buildLayer, type PrometheusLayer } from "./layer.js";
import { type RenderInput, renderConfig } from "./render.js";
import { renderRuleFiles } from "./rules.js";

const HAVE_PROMTOOL = existsSync("/usr/bin/promtool");

/** The workloads' temp directories live under this one, removed when the file is done. */
const WORKLOADS = mkdtempSync(join(tmpdir(), "apply-test-"));
after(() => rmSync(WORKLOADS, { recursive: true, force: true }));
/**
 * A workload whose filesystem is a temp directory; promtool is the real binary, run on a copy of
 * the staged config whose /etc/prometheus paths point into that directory.
 */
class DirWorkload implements Workload {
  readonly root = mkdtempSync(join(WORKLOADS, "wl-"));
  planned: Record<string, unknown> | undefined;
  running = false;
  writes: string[] = [];
  replans = 0;
  promtool = HAVE_PROMTOOL;
  failWrites = false;
  private at(p: string) {
    return join(this.root, p);
  }
  async read(p: string) {
    try {
      return readFileSync(this.at(p), "utf8");
    } catch {
      return undefined;
    }
  }
  async write(p: string, c: string) {
    if (this.failWrites) throw new Error("pebble: connection refused");
    mkdirSync(dirname(this.at(p)), { recursive: true });
    writeFileSync(this.at(p), c);
    this.writes.push(p);
  }
  async remove(p: string) {
    rmSync(this.at(p), { recursive: true, force: true });
  }
  async list(dir: string) {
    try {
      return readdirSync(this.at(dir))
        .filter((n) => statSync(join(this.at(dir), n)).isFile())
        .map((n) => `${dir}/${n}`);
    } catch {
      return [];
    }
  }
  async exists(p: string) {
    if (p === "/usr/bin/promtool") return this.promtool;
    return existsSync(this.at(p));
  }
  async exec(argv: readonly string[]) {
    const staged = this.at(argv[3]!);
    const mapped = `${staged}.mapped.yml`;
    writeFileSync(
      mapped,
      readFileSync(staged, "utf8").replaceAll("/etc/prometheus/", `${this.root}/etc/prometheus/`),
    );
    const r = spawnSync("/usr/bin/promtool", ["check", "config", mapped], { encoding: "utf8" });
    return { exitCode: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  }
  async plannedService() {
    return this.planned;
  }
  async serviceRunning() {
    return this.running;
  }
  async addLayer(_label: string, layer: PrometheusLayer) {
    this.planned = { ...layer.services.prometheus };
  }
  async replan() {
    this.replans++;
    this.running = true;
  }
}

class FakeApi implements PrometheusApi {
  calls = 0;
  constructor(public result: ReloadResult = { kind: "ok" }) {}
  async reload() {
    this.calls++;
    return this.result;
  }
}

const INPUT: RenderInput = {
  topology: {
    model: "cos",
    modelUuid: "c2e9f4d5-dcb3-4870-8509-330eb9745ee8",
    application: "prometheus",
    unit: "prometheus/0",
  },
  fqdn: "localhost",
  tls: false,
  evaluationInterval: "1m",
  maxExemplars: 0,
  jobs: [{ job_name: "zinc", metrics_path: "/metrics", static_configs: [{ targets: ["10.0.0.1:4080"] }] }],
  alertmanagers: [],
  prometheusMajor: 2,
};
const GOOD_RULES = renderRuleFiles({
  "cos_c2e9f4d5_zinc_metrics-endpoint_1": {
    groups: [{ name: "g", rules: [{ alert: "Down", expr: "up < 1" }] }],
  },
});

function desired(
  over: Partial<RenderInput> = {},
  rules = GOOD_RULES,
  flagsOver: Record<string, unknown> = {},
): Desired {
  const { config } = parseConfig(flagsOver);
  return {
    config: renderConfig({ ...INPUT, ...over }).config,
    ruleFiles: rules,
    extraFiles: {},
    absentFiles: ["/etc/prometheus/prometheus-web-config.yml"],
    layer: buildLayer(prometheusCommand({ config, externalUrl: "http://localhost:9090", tls: false })),
  };
}

describe("apply", () => {
  it("first run writes config and rules, starts the service, and does not reload", async () => {
    const w = new DirWorkload();
    const api = new FakeApi();
    const r = await apply(desired(), w, api);
    assert.deepEqual(r.outcome, { kind: "ok" });
    assert.equal(r.restarted, true);
    assert.equal(api.calls, 0);
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), desired().config);
    assert.deepEqual(await w.list("/etc/prometheus/rules"), Object.keys(GOOD_RULES));
    assert.equal(await w.exists("/etc/prometheus/prometheus.yml.new"), false);
    assert.equal(await w.exists("/etc/prometheus/rules.new"), false);
  });

  it("does nothing at all when nothing changed", async () => {
    const w = new DirWorkload();
    await apply(desired(), w, new FakeApi());
    w.writes = [];
    const api = new FakeApi();
    const r = await apply(desired(), w, api);
    assert.deepEqual(
      [r.changed, r.restarted, r.reloaded, api.calls, w.writes.length, w.replans],
      [false, false, false, 0, 0, 1],
    );
  });

  it("hot-reloads on a config-only change and restarts on a flag change", async () => {
    const w = new DirWorkload();
    await apply(desired(), w, new FakeApi());
    const api = new FakeApi();
    const r1 = await apply(desired({ evaluationInterval: "30s" }), w, api);
    assert.deepEqual([r1.reloaded, r1.restarted, api.calls, w.replans], [true, false, 1, 1]);
    const r2 = await apply(
      desired({ evaluationInterval: "30s" }, GOOD_RULES, { log_level: "debug" }),
      w,
      api,
    );
    assert.deepEqual([r2.restarted, r2.reloaded, api.calls, w.replans], [true, false, 1, 2]);
  });

  it("removes stale rule files and reloads", async () => {
    const w = new DirWorkload();
    await apply(desired(), w, new FakeApi());
    const api = new FakeApi();
    const r = await apply(desired({}, {}), w, api);
    assert.equal(r.reloaded, true);
    assert.deepEqual(await w.list("/etc/prometheus/rules"), []);
  });

  it("keeps a pending reload after a timeout and retries it with unchanged files", async () => {
    const w = new DirWorkload();
    await apply(desired(), w, new FakeApi());
    const slow = new FakeApi({ kind: "timeout" });
    const r1 = await apply(desired({ evaluationInterval: "2m" }), w, slow);
    assert.deepEqual([r1.outcome.kind, r1.reloadPending], ["reload-pending", true]);
    const api = new FakeApi();
    const r2 = await apply(desired({ evaluationInterval: "2m" }), w, api, { reloadPending: true });
    assert.deepEqual(
      [r2.outcome.kind, r2.reloadPending, r2.reloaded, r2.changed],
      ["ok", false, true, false],
    );
  });

  it("reports a failed reload and keeps it pending", async () => {
    const w = new DirWorkload();
    await apply(desired(), w, new FakeApi());
    const r = await apply(
      desired({ evaluationInterval: "2m" }),
      w,
      new FakeApi({ kind: "failed", detail: "HTTP 500" }),
    );
    assert.deepEqual(r.outcome, { kind: "reload-failed", detail: "HTTP 500" });
    assert.equal(r.reloadPending, true);
  });

  it("keeps the previous good config and rules when promtool rejects the candidate", {
    skip: !HAVE_PROMTOOL && "no promtool",
  }, async () => {
    const w = new DirWorkload();
    await apply(desired(), w, new FakeApi());
    const before = await w.read("/etc/prometheus/prometheus.yml");
    const badRules = renderRuleFiles({
      x: { groups: [{ name: "g", rules: [{ alert: "A", expr: "up <<< 1" }] }] },
    });
    const api = new FakeApi();
    const r = await apply(desired({ evaluationInterval: "5m" }, badRules), w, api);
    assert.equal(r.outcome.kind, "invalid-config");
    assert.equal(api.calls, 0);
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), before);
    assert.deepEqual(await w.list("/etc/prometheus/rules"), Object.keys(GOOD_RULES));
    assert.equal(await w.exists("/etc/prometheus/prometheus.yml.new"), false);

    const badJob = await apply(desired({ jobs: [{ job_name: "j", static_configs: "nope" }] }), w, api);
    assert.equal(badJob.outcome.kind, "invalid-config");
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), before);
  });

  it("accepts the candidate unchecked when the workload has no promtool", async () => {
    const w = new DirWorkload();
    w.promtool = false;
    const r = await apply(desired(), w, new FakeApi());
    assert.equal(r.outcome.kind, "ok");
    assert.equal(r.promtoolOutput, undefined);
  });

  it("writes TLS material and removes files that must be absent", async () => {
    const w = new DirWorkload();
    await w.write("/etc/prometheus/prometheus-web-config.yml", "old");
    const d = { ...desired(), extraFiles: { "/etc/prometheus/j-ca.crt": "PEM" } };
    const r = await apply(d, w, new FakeApi());
    assert.equal(r.outcome.kind, "ok");
    assert.equal(await w.read("/etc/prometheus/j-ca.crt"), "PEM");
    assert.equal(await w.exists("/etc/prometheus/prometheus-web-config.yml"), false);
  });

  it("turns Pebble failures into outcomes instead of throwing", async () => {
    const w = new DirWorkload();
    w.failWrites = true;
    w.promtool = false;
    const r = await apply(desired(), w, new FakeApi());
    assert.equal(r.outcome.kind, "push-failed");
    const w2 = new DirWorkload();
    w2.replan = async () => {
      throw new Error("cannot start service");
    };
    const r2 = await apply(desired(), w2, new FakeApi());
    assert.deepEqual(r2.outcome, { kind: "restart-failed", detail: "cannot start service" });
  });
});

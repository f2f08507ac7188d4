/**
 * apply's logic against a workload in a temp directory, with an in-memory promtool
 * (apply.test-support.ts): what is written, when Prometheus is reloaded or restarted, what is kept
 * when a candidate is refused, and how a refusal is pinned on relations. The refusal scenarios are
 * written once in apply.test-support.ts; apply.int.test.ts runs the same ones with the real promtool.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { apply, type Desired } from "./apply.js";
import {
  DirWorkload,
  desired,
  FakeApi,
  fakePromtool,
  GOOD_RULES,
  isolationScenarios,
  type PromtoolTier,
  REFUSED,
  refusedCandidateScenarios,
} from "./apply.test-support.js";
import { RECEIVED_CA_DIR } from "./ca_store.js";
import { renderRuleFiles } from "./rules.js";

/** The workloads' temp directories live under this one, removed when the file is done. */
const WORKLOADS = mkdtempSync(join(tmpdir(), "apply-test-"));
after(() => rmSync(WORKLOADS, { recursive: true, force: true }));

/** A workload in a temp directory whose promtool is the in-memory one. */
class TestWorkload extends DirWorkload {
  constructor() {
    super(WORKLOADS, fakePromtool);
  }
}

/** The in-memory promtool, and input it refuses: anything holding {@link REFUSED}. */
const TIER: PromtoolTier = {
  parent: WORKLOADS,
  promtool: fakePromtool,
  badJob: { metrics_path: `/${REFUSED}` },
  badExpr: `rate(${REFUSED})`,
  badAlertmanager: { path_prefix: `/${REFUSED}` },
  jobRefusal: REFUSED,
  ruleRefusal: `rule 1: ${REFUSED}`,
};

describe("apply", () => {
  it("first run writes config and rules, starts the service, and does not reload", async () => {
    const w = new TestWorkload();
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
    const w = new TestWorkload();
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
    const w = new TestWorkload();
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

  it("restarts Prometheus, without a reload, when the trust store's CAs change (Go reads the roots once)", async () => {
    class CaWorkload extends TestWorkload {
      override async exec(argv: readonly string[]) {
        if (argv[0]?.endsWith("update-ca-certificates")) return { exitCode: 0, stdout: "", stderr: "" };
        return super.exec(argv);
      }
    }
    const w = new CaWorkload();
    await apply(desired(), w, new FakeApi());
    const api = new FakeApi();
    const withCa: Desired = { ...desired(), trustStore: { [`${RECEIVED_CA_DIR}/0.crt`]: "CA\n" } };
    const r1 = await apply(withCa, w, api);
    assert.deepEqual(
      [r1.trustStore?.changed, r1.restarted, r1.reloaded, w.restarts, api.calls],
      [true, true, false, 1, 0],
    );
    const r2 = await apply(withCa, w, api);
    assert.deepEqual([r2.trustStore?.changed, r2.restarted, w.restarts], [false, false, 1]);
  });

  it("removes stale rule files and reloads", async () => {
    const w = new TestWorkload();
    await apply(desired(), w, new FakeApi());
    const api = new FakeApi();
    const r = await apply(desired({}, {}), w, api);
    assert.equal(r.reloaded, true);
    assert.deepEqual(await w.list("/etc/prometheus/rules"), []);
  });

  it("never deletes rule files it did not write (the Python charm's, before a swap), only its own stale ones", async () => {
    const w = new TestWorkload();
    const foreign = "/etc/prometheus/rules/juju_cos_a1b2c3d4_agent.rules";
    await w.write(foreign, "groups: []\n");
    await apply(desired(), w, new FakeApi());
    const ours = await w.list("/etc/prometheus/rules");
    assert.ok(ours.includes(foreign) && ours.length > 1, ours.join());
    await apply(desired({}, {}), w, new FakeApi());
    assert.deepEqual(await w.list("/etc/prometheus/rules"), [foreign]);
    // Once we write a file of that name it is ours, and goes when it is no longer wanted.
    await apply(
      desired(
        {},
        renderRuleFiles({
          cos_a1b2c3d4_agent: { groups: [{ name: "g", rules: [{ alert: "A", expr: "up < 1" }] }] },
        }),
      ),
      w,
      new FakeApi(),
    );
    await apply(desired({}, {}), w, new FakeApi());
    assert.deepEqual(await w.list("/etc/prometheus/rules"), []);
  });

  it("keeps a pending reload after a timeout and retries it with unchanged files", async () => {
    const w = new TestWorkload();
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
    const w = new TestWorkload();
    await apply(desired(), w, new FakeApi());
    const r = await apply(
      desired({ evaluationInterval: "2m" }),
      w,
      new FakeApi({ kind: "failed", detail: "HTTP 500" }),
    );
    assert.deepEqual(r.outcome, { kind: "reload-failed", detail: "HTTP 500" });
    assert.equal(r.reloadPending, true);
  });

  refusedCandidateScenarios(TIER);

  it("accepts the candidate unchecked when the workload has no promtool", async () => {
    const w = new TestWorkload();
    w.hasPromtool = false;
    const r = await apply(desired(), w, new FakeApi());
    assert.equal(r.outcome.kind, "ok");
    assert.equal(r.promtoolOutput, undefined);
  });

  it("writes TLS material and removes files that must be absent", async () => {
    const w = new TestWorkload();
    await w.write("/etc/prometheus/prometheus-web-config.yml", "old");
    const d = { ...desired(), extraFiles: { "/etc/prometheus/j-ca.crt": "PEM" } };
    const r = await apply(d, w, new FakeApi());
    assert.equal(r.outcome.kind, "ok");
    assert.equal(await w.read("/etc/prometheus/j-ca.crt"), "PEM");
    assert.equal(await w.exists("/etc/prometheus/prometheus-web-config.yml"), false);
  });

  it("turns Pebble failures into outcomes instead of throwing", async () => {
    const w = new TestWorkload();
    w.failWrites = true;
    w.hasPromtool = false;
    const r = await apply(desired(), w, new FakeApi());
    assert.equal(r.outcome.kind, "push-failed");
    const w2 = new TestWorkload();
    w2.replan = async () => {
      throw new Error("cannot start service");
    };
    const r2 = await apply(desired(), w2, new FakeApi());
    assert.deepEqual(r2.outcome, { kind: "restart-failed", detail: "cannot start service" });
  });
});

describe("apply isolates the relations promtool refuses", () => {
  isolationScenarios(TIER);
});

describe("apply with a record of what it pushed", () => {
  /** Stamps as Pebble's list gives them (size and modification time); reads counted. */
  class StampedWorkload extends TestWorkload {
    reads: string[] = [];
    override async read(p: string) {
      this.reads.push(p);
      return super.read(p);
    }
    async stamps(dir: string) {
      const out = new Map<string, string>();
      for (const p of await this.list(dir)) {
        const st = statSync(join(this.root, p));
        out.set(p, `${st.size} ${st.mtimeMs}`);
      }
      return out;
    }
  }
  function memoryStore() {
    const s = {
      text: undefined as string | undefined,
      read: () => s.text,
      write: (t: string) => {
        s.text = t;
      },
    };
    return s;
  }
  const CONFIG = "/etc/prometheus/prometheus.yml";
  const RULE = Object.keys(GOOD_RULES)[0]!;

  it("compares files unchanged since its push by digest; reads back what changed on disk or is not recorded", async () => {
    const w = new StampedWorkload();
    const store = memoryStore();
    await apply(desired(), w, new FakeApi(), { pushed: store });
    assert.ok(store.text, "what was pushed is recorded");
    w.reads = [];
    const same = await apply(desired(), w, new FakeApi(), { pushed: store });
    assert.equal(same.changed, false);
    assert.ok(
      !w.reads.includes(CONFIG) && !w.reads.includes(RULE),
      `nothing read back: ${w.reads.join(", ")}`,
    );

    // The workload restarted with an empty configuration: its size differs from the record.
    writeFileSync(join(w.root, CONFIG), "");
    w.reads = [];
    const restarted = await apply(desired(), w, new FakeApi(), { pushed: store });
    assert.ok(w.reads.includes(CONFIG), "read back");
    assert.equal(restarted.changed, true);
    assert.equal(await w.read(CONFIG), desired().config, "pushed again");

    // Without the record (lost, or another unit's): everything is read back, nothing pushed.
    const lost = memoryStore();
    w.reads = [];
    const fresh = await apply(desired(), w, new FakeApi(), { pushed: lost });
    assert.equal(fresh.changed, false);
    assert.ok(w.reads.includes(CONFIG) && w.reads.includes(RULE));
    assert.ok(lost.text, "recorded from what was read");

    // A damaged record is no record.
    store.text = "{";
    w.reads = [];
    await apply(desired(), w, new FakeApi(), { pushed: store });
    assert.ok(w.reads.includes(CONFIG) && w.reads.includes(RULE));
  });
});

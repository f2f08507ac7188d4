/**
 * The charm on Kubernetes, against a fake API server speaking the real HTTP API: cpu/memory
 * applied to the StatefulSet with the Python charm's statuses, and the retention size from the
 * database PVC's capacity, as `_get_pvc_capacity` reads it.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import {
  Context,
  container,
  getContainer,
  type State,
  state,
  storage,
  withState,
} from "@charmkit/ops/testing";
import type { ReloadResult } from "./apply.js";
import PrometheusCharm from "./charm.js";
import { FakeKubeApi } from "./fake-kube-api.test-support.js";
import { kubernetesFromConfig } from "./kubernetes.js";
import { CHARM_DIR, tempDir } from "./charm.test-support.js";

const DB = tempDir("prom-db-");
// The harness names the application after the charm.
const APP = "prometheus-k8s";

const fake = new FakeKubeApi({
  namespace: "cos",
  app: APP,
  containers: ["charm", "prometheus"],
  units: 1,
  pvcCapacity: "10Gi",
});
before(async () => {
  await fake.start();
});
after(() => fake.stop());

afterEach(() => {
  fake.forbid = false;
});

/** The charm built with the fake API server as its Kubernetes API, and reloads that succeed. */
const ctx = () =>
  new Context(PrometheusCharm, {
    charmDir: CHARM_DIR,
    create: (f) =>
      new PrometheusCharm(f, {
        prometheusApi: () => ({ reload: async (): Promise<ReloadResult> => ({ kind: "ok" }) }),
        kubernetes: () =>
          kubernetesFromConfig((k8s) => {
            const kc = new k8s.KubeConfig();
            kc.loadFromOptions(fake.kubeConfigOptions());
            return kc;
          }, "cos"),
      }),
  });
function base(config: Record<string, string> = {}): State {
  return state({
    leader: true,
    config,
    containers: [container({ name: "prometheus", canConnect: true })],
    storages: [storage({ name: "database", location: DB })],
  });
}
function command(s: State): string {
  const layer = getContainer(s, "prometheus")?.layers.find((l) => l.label === "prometheus")?.layer as
    | { services?: Record<string, { command?: string }> }
    | undefined;
  return layer?.services?.prometheus?.command ?? "";
}

describe("cpu and memory through the Kubernetes API", () => {
  it("patches the StatefulSet, waits while the pod rolls, then is active", async () => {
    const c = ctx();
    const first = await c.run(c.on.configChanged(), base({ cpu: "500m", memory: "1Gi" }));
    assert.deepEqual(fake.templateResources("prometheus"), {
      limits: { cpu: "0.5", memory: "1073741824" },
      requests: { cpu: "0.25", memory: "200Mi" },
    });
    assert.deepEqual(first.unitStatus, {
      name: "waiting",
      message: "Waiting for resource limit patch to apply",
    });
    // The StatefulSet controller replaces the pod with the new template.
    fake.rollPods();
    const second = await c.run(c.on.updateStatus(), first);
    assert.deepEqual(second.unitStatus, { name: "active", message: "" });
    const patches = fake.requests.filter((r) => r.method === "PATCH").length;
    await c.run(c.on.configChanged(), second);
    assert.equal(
      fake.requests.filter((r) => r.method === "PATCH").length,
      patches,
      "applied limits are not patched again",
    );
  });

  it("unset options restore the Python charm's requests and no limits", async () => {
    const c = ctx();
    await c.run(c.on.configChanged(), base());
    assert.deepEqual(fake.templateResources("prometheus"), {
      limits: {},
      requests: { cpu: "0.25", memory: "200Mi" },
    });
  });

  it("without juju trust (403): blocked, naming the fix, for both the patch and the retention size", async () => {
    fake.forbid = true;
    const c = ctx();
    const out = await c.run(c.on.configChanged(), base({ cpu: "1" }));
    assert.equal(out.unitStatus.name, "blocked");
    await c.run(c.on.action("show-config"), withState(out, {}));
    const statuses = String(c.actionResults?.statuses);
    assert.match(
      statuses,
      /blocked: Kubernetes resources patch failed: `juju trust` this application\. .*HTTP 403/,
    );
    assert.match(
      statuses,
      /blocked: Cannot size retention .*HTTP 403.*\(try running `juju trust` on this application\)/,
    );
    assert.doesNotMatch(command(out), /--storage\.tsdb\.retention\.size/);
  });
});

describe("maximum_retention_size from the PVC's capacity", () => {
  it("80% of the PVC's 10Gi is 8GB, and show-config says so", async () => {
    fake.rollPods();
    const c = ctx();
    const out = await c.run(c.on.configChanged(), base());
    assert.match(command(out), /--storage\.tsdb\.retention\.size=8GB(\s|$)/);
    await c.run(c.on.action("show-config"), out);
    assert.equal(
      c.actionResults?.["retention-size-from"],
      `PVC ${APP}-database-7f3c2a1b-${APP}-0 capacity 10Gi (Kubernetes API)`,
    );
  });
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { FakeKubeApi } from "./fake-kube-api.test-support.js";
import {
  FIELD_MANAGER,
  type KubernetesError,
  type KubernetesPort,
  kubernetesFromConfig,
} from "./kubernetes.js";
import { resourceRequirements } from "./resources.js";

const fake = new FakeKubeApi({
  namespace: "cos",
  app: "prometheus",
  containers: ["charm", "prometheus"],
  units: 2,
  pvcCapacity: "10Gi",
});
let kube: KubernetesPort;

before(async () => {
  await fake.start();
  kube = await kubernetesFromConfig((k8s) => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions(fake.kubeConfigOptions());
    return kc;
  }, "cos");
});
after(() => fake.stop());

test("limits and requests go to the StatefulSet by server-side apply, as the Python library's ResourcePatcher", async () => {
  const want = resourceRequirements("500m", "1Gi");
  await kube.patchResources("prometheus", "prometheus", want);
  const patch = fake.requests.find((r) => r.method === "PATCH");
  assert.ok(patch);
  assert.equal(patch.path, "/apis/apps/v1/namespaces/cos/statefulsets/prometheus");
  assert.equal(patch.contentType, "application/apply-patch+yaml");
  assert.equal(patch.query.fieldManager, FIELD_MANAGER);
  assert.equal(patch.query.dryRun, undefined);
  assert.deepEqual((patch.body as { spec: { template: unknown } }).spec.template, {
    spec: {
      containers: [{ name: "prometheus", resources: { limits: want.limits, requests: want.requests } }],
    },
  });
  assert.deepEqual(await kube.templateResources("prometheus", "prometheus"), want);
  assert.deepEqual(
    await kube.podResources("prometheus-1", "prometheus"),
    undefined,
    "pods change only when rolled",
  );
  fake.rollPods();
  assert.deepEqual(await kube.podResources("prometheus-1", "prometheus"), want);
});

test("a dry run is sent as dryRun=All and changes nothing", async () => {
  const before = await kube.templateResources("prometheus", "prometheus");
  await kube.patchResources("prometheus", "prometheus", resourceRequirements("4", undefined), true);
  assert.equal(fake.requests.at(-1)?.query.dryRun, "All");
  assert.deepEqual(await kube.templateResources("prometheus", "prometheus"), before);
});

test("the database PVC is found from the pod's volumes, as _get_pvc_capacity does", async () => {
  assert.deepEqual(await kube.volumeCapacity("prometheus", "database", "prometheus-0"), {
    claim: "prometheus-database-7f3c2a1b-prometheus-0",
    storage: "10Gi",
  });
  await assert.rejects(
    kube.volumeCapacity("prometheus", "database", "prometheus-7"),
    (e: KubernetesError) => e.status === 404,
  );
  await assert.rejects(
    kube.volumeCapacity("prometheus", "other", "prometheus-0"),
    /No PVC found for pod prometheus-0/,
  );
});

test("an untrusted service account: 403 with the API's message", async () => {
  fake.forbid = true;
  try {
    await assert.rejects(
      kube.patchResources("prometheus", "prometheus", resourceRequirements(undefined, undefined)),
      (e: KubernetesError) => {
        assert.equal(e.status, 403);
        assert.match(e.message, /is forbidden/);
        return true;
      },
    );
  } finally {
    fake.forbid = false;
  }
});

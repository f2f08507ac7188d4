/**
 * What the charm asks the Kubernetes API, with `@kubernetes/client-node`, as the Python charm does
 * with lightkube: patch the StatefulSet's container resources (server-side apply, field manager
 * `ResourcePatcher`, as `KubernetesComputeResourcesPatch`), read them back from the template and
 * the pod, and find the capacity of the unit's database PVC (`_get_pvc_capacity`).
 *
 * The in-cluster client needs the pod's service account (`juju trust`); without it, or on a
 * platform with no Kubernetes API at all (the local runtime), {@link inClusterKubernetes} returns
 * `undefined` and the charm says so in its status instead of pretending.
 */
import { existsSync, readFileSync } from "node:fs";
import type { ResourceRequirements } from "./resources.js";

/** Where Kubernetes mounts a pod's service account. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** The field manager of the Python library's server-side apply. */
export const FIELD_MANAGER = "ResourcePatcher";

/** A Kubernetes API error, with its HTTP status (403 means `juju trust` is missing). */
export class KubernetesError extends Error {
  override name = "KubernetesError";
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The capacity of the unit's database volume. */
export interface VolumeCapacity {
  readonly claim: string;
  /** `status.capacity.storage`, e.g. `1Gi`. */
  readonly storage: string;
}

/** The charm's view of the Kubernetes API. */
export interface KubernetesPort {
  readonly namespace: string;
  /** Server-side applies `resources` to container `container` of StatefulSet `app`. */
  patchResources(
    app: string,
    container: string,
    resources: ResourceRequirements,
    dryRun?: boolean,
  ): Promise<void>;
  /** The container's resources in the StatefulSet's pod template. */
  templateResources(app: string, container: string): Promise<Partial<ResourceRequirements> | undefined>;
  /** The container's resources in the running pod. */
  podResources(pod: string, container: string): Promise<Partial<ResourceRequirements> | undefined>;
  /** The PVC of storage `storage` mounted by `pod` (claim `<app>-<storage>-<id>-<pod>`) and its capacity. */
  volumeCapacity(app: string, storage: string, pod: string): Promise<VolumeCapacity>;
}

function statusOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

function wrap(what: string, e: unknown): KubernetesError {
  const status = statusOf(e);
  const body = (e as { body?: unknown }).body;
  let reason = e instanceof Error ? e.message.split("\n")[0] : String(e);
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) reason = parsed.message;
    } catch {
      // not JSON: keep the client's message
    }
  }
  return new KubernetesError(`${what}: ${status ? `HTTP ${status}: ` : ""}${reason}`, status, { cause: e });
}

type ClientModule = typeof import("@kubernetes/client-node");
type Container = {
  name?: string;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
};

function containerResources(
  containers: readonly Container[] | undefined,
  name: string,
): Partial<ResourceRequirements> | undefined {
  const c = containers?.find((x) => x.name === name);
  if (!c) throw new KubernetesError(`container '${name}' not found`, undefined);
  return c.resources ? { limits: c.resources.limits ?? {}, requests: c.resources.requests ?? {} } : undefined;
}

/** A port over a configured `KubeConfig` (in-cluster in production; tests point it at a fake API server). */
export async function kubernetesFromConfig(
  load: (k8s: ClientModule) => InstanceType<ClientModule["KubeConfig"]>,
  namespace: string,
): Promise<KubernetesPort> {
  const k8s = await import("@kubernetes/client-node");
  const kc = load(k8s);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apply = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.ServerSideApply);
  return {
    namespace,
    async patchResources(app, container, resources, dryRun = false) {
      let sts: Awaited<ReturnType<typeof apps.readNamespacedStatefulSet>>;
      try {
        sts = await apps.readNamespacedStatefulSet({ name: app, namespace });
      } catch (e) {
        throw wrap(`reading StatefulSet ${app}`, e);
      }
      // Only the fields this manager owns, plus the ones an apply of a StatefulSet must carry.
      const body = {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: app, namespace },
        spec: {
          selector: sts.spec?.selector,
          serviceName: sts.spec?.serviceName,
          template: {
            spec: {
              containers: [
                { name: container, resources: { limits: resources.limits, requests: resources.requests } },
              ],
            },
          },
        },
      };
      try {
        await apps.patchNamespacedStatefulSet(
          { name: app, namespace, body, fieldManager: FIELD_MANAGER, ...(dryRun ? { dryRun: "All" } : {}) },
          apply,
        );
      } catch (e) {
        throw wrap(`patching StatefulSet ${app}`, e);
      }
    },
    async templateResources(app, container) {
      try {
        const sts = await apps.readNamespacedStatefulSet({ name: app, namespace });
        return containerResources(sts.spec?.template.spec?.containers as Container[] | undefined, container);
      } catch (e) {
        throw e instanceof KubernetesError ? e : wrap(`reading StatefulSet ${app}`, e);
      }
    },
    async podResources(pod, container) {
      try {
        const p = await core.readNamespacedPod({ name: pod, namespace });
        return containerResources(p.spec?.containers as Container[] | undefined, container);
      } catch (e) {
        throw e instanceof KubernetesError ? e : wrap(`reading Pod ${pod}`, e);
      }
    },
    async volumeCapacity(app, storage, pod) {
      let p: Awaited<ReturnType<typeof core.readNamespacedPod>>;
      try {
        p = await core.readNamespacedPod({ name: pod, namespace });
      } catch (e) {
        throw wrap(`reading Pod ${pod}`, e);
      }
      const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const pattern = new RegExp(`^${escapeRegExp(app)}-${escapeRegExp(storage)}-.*?-${escapeRegExp(pod)}$`);
      const claim = (p.spec?.volumes ?? [])
        .map((v) => v.persistentVolumeClaim?.claimName)
        .find((c) => c && pattern.test(c));
      if (!claim) throw new KubernetesError(`No PVC found for pod ${pod}`, undefined);
      try {
        const pvc = await core.readNamespacedPersistentVolumeClaim({ name: claim, namespace });
        const storageQty = pvc.status?.capacity?.storage as unknown;
        const text =
          typeof storageQty === "string" ? storageQty : storageQty === undefined ? "" : String(storageQty);
        if (text === "") throw new KubernetesError(`PVC ${claim} reports no capacity yet`, undefined);
        return { claim, storage: text };
      } catch (e) {
        throw e instanceof KubernetesError ? e : wrap(`reading PVC ${claim}`, e);
      }
    },
  };
}

/**
 * The in-cluster API, when this pod has a service account: `undefined` otherwise (no Kubernetes
 * here). The client finds the API's address in the pod's environment (`loadFromCluster`); when it
 * cannot, there is no API either.
 */
export async function inClusterKubernetes(dir = SERVICE_ACCOUNT_DIR): Promise<KubernetesPort | undefined> {
  if (!existsSync(`${dir}/token`)) return undefined;
  let namespace: string;
  try {
    namespace = readFileSync(`${dir}/namespace`, "utf8").trim();
  } catch {
    return undefined;
  }
  try {
    return await kubernetesFromConfig((k8s) => {
      const kc = new k8s.KubeConfig();
      kc.loadFromCluster();
      if (!kc.getCurrentCluster()?.server || kc.getCurrentCluster()?.server.includes("undefined")) {
        throw new Error("no Kubernetes API address in this pod's environment");
      }
      return kc;
    }, namespace);
  } catch {
    return undefined;
  }
}

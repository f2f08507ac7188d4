/**
 * A fake Kubernetes API server for tests: real HTTP on 127.0.0.1 with the API's paths, verbs,
 * JSON shapes and `Status` errors, holding one StatefulSet, its pods and their PVCs. Server-side
 * apply of a StatefulSet sets the applied container's resources in the pod template (as the field
 * manager owning them would) and bumps the generation; {@link FakeKubeApi.rollPods} plays the
 * StatefulSet controller replacing pods. `forbid` answers 403 like an untrusted service account.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parse as parseYaml } from "yaml";

type Resources = { limits?: Record<string, string>; requests?: Record<string, string> };
interface ContainerSpec {
  name: string;
  resources?: Resources | undefined;
}

/** One request the fake received. */
export interface KubeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

/** What the fake cluster holds. */
export interface FakeCluster {
  namespace: string;
  app: string;
  /** Container names of the pod template, in order (charm first, as Juju makes them). */
  containers: string[];
  units: number;
  /** `status.capacity.storage` of each unit's database PVC. */
  pvcCapacity: string;
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(
    JSON.stringify({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      code,
    }),
  );
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** A running fake API server. */
export class FakeKubeApi {
  readonly requests: KubeRequest[] = [];
  /** Answer every request with 403 Forbidden. */
  forbid = false;
  private server: Server | undefined;
  private generation = 1;
  private template: ContainerSpec[];
  private pods: ContainerSpec[][];

  constructor(readonly cluster: FakeCluster) {
    this.template = cluster.containers.map((name) => ({ name }));
    this.pods = Array.from({ length: cluster.units }, () => structuredClone(this.template));
  }

  /** `http://127.0.0.1:<port>`, once started. */
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** The StatefulSet controller's rolling update: every pod gets the current template. */
  rollPods(): void {
    this.pods = this.pods.map(() => structuredClone(this.template));
  }

  /** The resources of `container` in the pod template. */
  templateResources(container: string): Resources | undefined {
    return this.template.find((c) => c.name === container)?.resources;
  }

  /** A KubeConfig (for `loadFromOptions`) that points at this server. */
  kubeConfigOptions(): object {
    return {
      clusters: [{ name: "fake", server: this.url, skipTLSVerify: true }],
      users: [{ name: "charm", token: "t0ken" }],
      contexts: [{ name: "fake", cluster: "fake", user: "charm", namespace: this.cluster.namespace }],
      currentContext: "fake",
    };
  }

  private statefulSet(): unknown {
    const { app, namespace } = this.cluster;
    return {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: app, namespace, generation: this.generation },
      spec: {
        replicas: this.cluster.units,
        serviceName: `${app}-endpoints`,
        selector: { matchLabels: { "app.kubernetes.io/name": app } },
        template: { spec: { containers: this.template } },
      },
      status: { observedGeneration: this.generation, replicas: this.cluster.units },
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = raw === "" ? undefined : parseYaml(raw);
      } catch {
        status(res, 400, "BadRequest", "the body is neither JSON nor YAML");
        return;
      }
      this.requests.push({
        method: req.method ?? "",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers["content-type"],
        body,
      });
      if (this.forbid) {
        status(
          res,
          403,
          "Forbidden",
          `${url.pathname} is forbidden: User "system:serviceaccount:${this.cluster.namespace}:${this.cluster.app}" cannot get resource`,
        );
        return;
      }
      this.route(req.method ?? "", url, body, res);
    });
  }

  private route(method: string, url: URL, body: unknown, res: ServerResponse): void {
    const { app, namespace } = this.cluster;
    const sts = `/apis/apps/v1/namespaces/${namespace}/statefulsets/${app}`;
    const podPrefix = `/api/v1/namespaces/${namespace}/pods/`;
    const pvcPrefix = `/api/v1/namespaces/${namespace}/persistentvolumeclaims/`;
    if (url.pathname === sts && method === "GET") {
      json(res, this.statefulSet());
      return;
    }
    if (url.pathname === sts && method === "PATCH") {
      this.apply(url, body, res);
      return;
    }
    if (url.pathname.startsWith(podPrefix) && method === "GET") {
      const pod = url.pathname.slice(podPrefix.length);
      const i = pod.startsWith(`${app}-`) ? Number(pod.slice(app.length + 1)) : Number.NaN;
      const containers = this.pods[i];
      if (!containers) {
        status(res, 404, "NotFound", `pods "${pod}" not found`);
        return;
      }
      json(res, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: pod, namespace },
        spec: {
          containers,
          volumes: [
            { name: "charm-data", emptyDir: {} },
            {
              name: `${app}-database-7f3c2a1b`,
              persistentVolumeClaim: { claimName: `${app}-database-7f3c2a1b-${pod}` },
            },
            { name: "kube-api-access-x1", projected: {} },
          ],
        },
      });
      return;
    }
    if (url.pathname.startsWith(pvcPrefix) && method === "GET") {
      const name = url.pathname.slice(pvcPrefix.length);
      if (!/-database-7f3c2a1b-/.test(name)) {
        status(res, 404, "NotFound", `persistentvolumeclaims "${name}" not found`);
        return;
      }
      json(res, {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name, namespace },
        spec: { resources: { requests: { storage: "1Gi" } } },
        status: { phase: "Bound", capacity: { storage: this.cluster.pvcCapacity } },
      });
      return;
    }
    status(
      res,
      404,
      "NotFound",
      `the server could not find the requested resource (${method} ${url.pathname})`,
    );
  }

  private apply(url: URL, body: unknown, res: ServerResponse): void {
    if (!url.searchParams.get("fieldManager")) {
      status(res, 422, "Invalid", "PATCH with apply-patch requires fieldManager");
      return;
    }
    const containers = (body as { spec?: { template?: { spec?: { containers?: ContainerSpec[] } } } })?.spec
      ?.template?.spec?.containers;
    if (!Array.isArray(containers)) {
      status(res, 422, "Invalid", "spec.template.spec.containers: Required value");
      return;
    }
    const next = structuredClone(this.template);
    for (const c of containers) {
      const target = next.find((t) => t.name === c.name);
      if (!target) {
        status(res, 422, "Invalid", `spec.template.spec.containers[name=${c.name}]: not found`);
        return;
      }
      target.resources = c.resources;
    }
    if (url.searchParams.get("dryRun") !== "All") {
      if (JSON.stringify(next) !== JSON.stringify(this.template)) this.generation += 1;
      this.template = next;
    }
    json(res, this.statefulSet());
  }
}

/**
 * State-transition tests of the endpoints that make the swap complete: receive-remote-write rules,
 * certificates (TLS), receive-ca-cert, workload and charm tracing, logging, cpu/memory and the
 * retention size on a platform without a Kubernetes API, and self-metrics-endpoint through ingress.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import {
  type ContainerState,
  Context,
  container,
  execMock,
  getContainer,
  getRelation,
  relation,
  type State,
  state,
  storage,
  withState,
} from "@charmkit/ops/testing";
import {
  buildCertificatesBag,
  loadX509Tools,
  parseCsrsBag,
  TLS_LIBID,
} from "@charmkit/interfaces/tls-certificates";
import type { ReloadResult } from "./apply.js";
import PrometheusCharm, { type PrometheusDeps } from "./charm.js";
import { PATHS } from "./flags.js";
import { CHARM_DIR, MODEL_UUID as UUID, tempDir } from "./charm.test-support.js";

const DB = tempDir("prom-db-");
const RULES = "/etc/prometheus/rules";

/**
 * The charm built with `deps` over these defaults: every reload succeeds, and there is no
 * Kubernetes API, as on the local runtime (kubernetes.int.test.ts and the fake-API tests cover
 * the Kubernetes path).
 */
const ctx = (deps: Partial<PrometheusDeps> = {}) =>
  new Context(PrometheusCharm, {
    charmDir: CHARM_DIR,
    create: (f) =>
      new PrometheusCharm(f, {
        prometheusApi: () => ({ reload: async (): Promise<ReloadResult> => ({ kind: "ok" }) }),
        kubernetes: async () => undefined,
        ...deps,
      }),
  });
const UPDATE_CA = execMock({ command: ["update-ca-certificates", "--fresh"] });

function workload(init: Partial<ContainerState> = {}): ContainerState {
  return container({ name: "prometheus", canConnect: true, execs: [UPDATE_CA], ...init });
}

function base(extra: Partial<State> = {}): State {
  return state({
    leader: true,
    model: { name: "cos", uuid: UUID, type: "kubernetes" },
    containers: [workload()],
    storages: [storage({ name: "database", location: DB })],
    ...extra,
  });
}

function files(s: State): Readonly<Record<string, string>> {
  return getContainer(s, "prometheus")?.filesystem ?? {};
}

function command(s: State): string {
  const layer = getContainer(s, "prometheus")?.layers.find((l) => l.label === "prometheus")?.layer as
    | { services?: Record<string, { command?: string; environment?: Record<string, string> }> }
    | undefined;
  return layer?.services?.prometheus?.command ?? "";
}

describe("receive-remote-write: the rules clients forward", () => {
  const labels = {
    juju_model: "cos",
    juju_model_uuid: UUID,
    juju_application: "zinc",
    juju_charm: "zinc-k8s",
    severity: "critical",
  };
  const rw = (id: number, alertRules: string) =>
    relation({
      endpoint: "receive-remote-write",
      id,
      remoteAppName: "agent",
      remoteAppData: {
        alert_rules: alertRules,
        scrape_metadata: JSON.stringify({
          model: "cos",
          model_uuid: UUID,
          application: "agent",
          unit: "agent/0",
          charm_name: "grafana-agent",
        }),
      },
    });

  it("become juju_<identifier>.rules with topology injected; the leader clears errors in event", async () => {
    const rel = rw(
      11,
      JSON.stringify({
        groups: [{ name: "zinc_alerts", rules: [{ alert: "ZincDown", expr: "up < 1", labels }] }],
      }),
    );
    const c = ctx();
    const out = await c.run(c.on.relationChanged(rel, { remoteUnit: 0 }), base({ relations: [rel] }));
    const file = files(out)[`${RULES}/juju_cos_a1b2c3d4_zinc.rules`] ?? "";
    assert.match(file, /alert: ZincDown/);
    assert.match(
      file,
      new RegExp(`expr: up\\{juju_application="zinc",juju_model="cos",juju_model_uuid="${UUID}"\\} < 1`),
    );
    assert.equal(getRelation(out, 11)?.localAppData.event, "{}");
    assert.deepEqual(out.unitStatus, { name: "active", message: "" });
  });

  it("rules Prometheus would refuse: nothing written for that client, the reason in event.errors and the status", async () => {
    const rel = rw(
      12,
      JSON.stringify({ groups: [{ name: "g", rules: [{ alert: "Bad", expr: "up <<< 1", labels }] }] }),
    );
    const c = ctx();
    const out = await c.run(c.on.relationChanged(rel, { remoteUnit: 0 }), base({ relations: [rel] }));
    assert.deepEqual(
      Object.keys(files(out)).filter((p) => p.startsWith(`${RULES}/`)),
      [],
    );
    assert.match(
      JSON.parse(getRelation(out, 12)?.localAppData.event ?? "{}").errors ?? "",
      /could not parse expression/,
    );
    assert.equal(out.unitStatus.name, "blocked");
    assert.match(out.unitStatus.message, /receive-remote-write:12/);
  });
});

describe("certificates: Prometheus serves TLS", () => {
  let caKey = "";
  let caCert = "";
  before(async () => {
    const x509 = await loadX509Tools();
    // A committed test-only key (generating one costs 0.1-0.5 s of CPU); the charm's own key is
    // still generated by the hook, as in production.
    caKey = readFileSync(
      join(CHARM_DIR, "../../testdata/tls-certificates/test-only-keys/rsa-2048-1.pem"),
      "utf8",
    ).trim();
    caCert = await x509.generateCaCertificate({
      commonName: "test-ca",
      keyPem: caKey,
      validityMs: 86_400_000 * 30,
    });
  });

  it("asks with a key in a unit secret and a CSR; once issued, serves https everywhere and trusts the CA", async () => {
    // The reload client of each hook: its URL and the CA it trusts.
    const clients: [string, string | undefined][] = [];
    const c = ctx({
      prometheusApi: (url, ca) => {
        clients.push([url, ca]);
        return { reload: async (): Promise<ReloadResult> => ({ kind: "ok" }) };
      },
    });
    const rel = relation({ endpoint: "certificates", id: 5, remoteAppName: "ca" });
    const first = await c.run(c.on.relationJoined(rel, { remoteUnit: 0 }), base({ relations: [rel] }));
    const secret = first.secrets.find((s) => s.label === `${TLS_LIBID}-private-key-0-certificates`);
    assert.equal(secret?.owner, "unit");
    const csrs = parseCsrsBag(getRelation(first, 5)?.localUnitData ?? {});
    assert.ok(csrs.ok && csrs.value.length === 1, JSON.stringify(getRelation(first, 5)?.localUnitData));
    assert.equal(first.unitStatus.name, "waiting");
    assert.match(first.unitStatus.message, /Waiting for a certificate from ca/);
    assert.match(command(first), /--web\.external-url=http:\/\//);

    const x509 = await loadX509Tools();
    const csr = csrs.value[0]!.csr;
    const certificate = await x509.signCsr({
      csrPem: csr,
      ca: { certificate: caCert, privateKey: caKey },
      validityMs: 86_400_000 * 10,
    });
    const answered = relation({
      endpoint: "certificates",
      id: 5,
      remoteAppName: "ca",
      localUnitData: getRelation(first, 5)?.localUnitData ?? {},
      remoteAppData: buildCertificatesBag([
        { ca: caCert, csr, certificate, chain: [certificate, caCert], revoked: false },
      ]),
    });
    const grafana = relation({ endpoint: "grafana-source", id: 6, remoteAppName: "grafana" });
    const remoteWrite = relation({ endpoint: "receive-remote-write", id: 7, remoteAppName: "agent" });
    const second = await c.run(
      c.on.relationChanged(answered, { remoteUnit: 0 }),
      withState(first, { relations: [answered, grafana, remoteWrite] }),
    );
    const f = files(second);
    assert.equal(f["/etc/prometheus/server.cert"], certificate);
    assert.match(f["/etc/prometheus/server.key"] ?? "", /BEGIN RSA PRIVATE KEY/);
    assert.match(f[PATHS.webConfig] ?? "", /cert_file: \/etc\/prometheus\/server\.cert/);
    assert.equal(f["/usr/local/share/ca-certificates/ca.crt"], `${caCert}\n`);
    assert.match(command(second), /--web\.config\.file=\/etc\/prometheus\/prometheus-web-config\.yml/);
    assert.match(command(second), /--web\.external-url=https:\/\//);
    assert.match(f[PATHS.config] ?? "", /scheme: https/);
    assert.ok(
      c.execHistory.prometheus?.some((e) => e.command.join(" ") === "update-ca-certificates --fresh"),
    );
    assert.match(getRelation(second, 6)?.localUnitData.grafana_source_host ?? "", /^https:\/\//);
    assert.match(getRelation(second, 7)?.localUnitData.remote_write ?? "", /"url": "https:\/\//);
    assert.deepEqual(second.unitStatus, { name: "active", message: "" });
    // Plain HTTP before the certificate; afterwards the charm reloads over https trusting the CA.
    assert.match(clients[0]?.[0] ?? "", /^http:\/\//);
    assert.equal(clients[0]?.[1], undefined);
    assert.match(clients.at(-1)?.[0] ?? "", /^https:\/\//);
    assert.equal(clients.at(-1)?.[1], caCert);
  });
});

describe("receive-ca-cert: CAs in the workload's trust store", () => {
  const A = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
  it("says version 1, writes juju_receive-ca-cert/<i>.crt, rebuilds the store and restarts Prometheus", async () => {
    const c = ctx();
    const rel = relation({
      endpoint: "receive-ca-cert",
      id: 8,
      remoteAppName: "secure-target",
      remoteAppData: { certificates: JSON.stringify([A]), version: "1" },
    });
    const running = base({
      relations: [rel],
      containers: [workload({ serviceStatuses: { prometheus: "active" } })],
    });
    const first = await c.run(c.on.configChanged(), running);
    assert.equal(getRelation(first, 8)?.localAppData.version, "1");
    assert.equal(files(first)["/usr/local/share/ca-certificates/juju_receive-ca-cert/0.crt"], `${A}\n`);
    assert.ok(
      c.execHistory.prometheus?.some((e) => e.command.join(" ") === "update-ca-certificates --fresh"),
    );
    // Unchanged CAs: no rebuild on the next hook.
    const again = ctx();
    await again.run(
      again.on.updateStatus(),
      withState(first, { unitStatus: { name: "blocked", message: "x" } }),
    );
    assert.equal(
      again.execHistory.prometheus?.filter((e) => e.command[0] === "update-ca-certificates").length ?? 0,
      0,
    );
  });
});

describe("tracing", () => {
  it("workload: asks for otlp_grpc, renders Prometheus' tracing section and the OTel resource attributes", async () => {
    const c = ctx();
    const rel = relation({
      endpoint: "workload-tracing",
      id: 9,
      remoteAppName: "tempo",
      remoteAppData: {
        receivers: JSON.stringify([
          {
            protocol: { name: "otlp_grpc", type: "grpc" },
            url: "tempo-0.tempo-endpoints.cos.svc.cluster.local:4317",
          },
        ]),
      },
    });
    const out = await c.run(c.on.relationChanged(rel, { remoteUnit: 0 }), base({ relations: [rel] }));
    assert.equal(getRelation(out, 9)?.localAppData.receivers, '["otlp_grpc"]');
    const cfg = files(out)[PATHS.config] ?? "";
    assert.match(
      cfg,
      /tracing:\n {2}endpoint: tempo-0\.tempo-endpoints\.cos\.svc\.cluster\.local:4317\n {2}insecure: true\n {2}sampling_fraction: 1\n/,
    );
    const layer = getContainer(out, "prometheus")?.layers.find((l) => l.label === "prometheus")?.layer as {
      services: { prometheus: { environment: Record<string, string> } };
    };
    assert.equal(
      layer.services.prometheus.environment.OTEL_RESOURCE_ATTRIBUTES,
      `juju_application=prometheus-k8s,juju_model=cos,juju_model_uuid=${UUID},juju_unit=prometheus-k8s/0,juju_charm=prometheus-k8s`,
    );
  });

  it("charm: the leader asks for otlp_http on charm-tracing", async () => {
    const c = ctx();
    const rel = relation({ endpoint: "charm-tracing", id: 10, remoteAppName: "tempo" });
    const out = await c.run(c.on.relationCreated(rel), base({ relations: [rel] }));
    assert.equal(getRelation(out, 10)?.localAppData.receivers, '["otlp_http"]');
  });
});

describe("logging: Pebble forwards the workload's logs to Loki", () => {
  it("a log-targets layer per Loki unit, labelled with the topology; metadata and rules from the leader", async () => {
    const c = ctx();
    const endpoint = (u: number) =>
      JSON.stringify({ url: `http://loki-${u}.loki-endpoints.cos.svc.cluster.local:3100/loki/api/v1/push` });
    const rel = relation({
      endpoint: "logging",
      id: 13,
      remoteAppName: "loki",
      remoteUnitsData: { 0: { endpoint: endpoint(0) }, 1: { endpoint: endpoint(1) } },
    });
    const out = await c.run(c.on.relationChanged(rel, { remoteUnit: 0 }), base({ relations: [rel] }));
    const layer = getContainer(out, "prometheus")?.layers.find((l) => l.label === "prometheus-log-forwarding")
      ?.layer as {
      "log-targets": Record<
        string,
        { type: string; location: string; services: string[]; labels: Record<string, string> }
      >;
    };
    assert.deepEqual(Object.keys(layer["log-targets"]).sort(), ["loki/0", "loki/1"]);
    const t = layer["log-targets"]["loki/1"]!;
    assert.equal(t.type, "loki");
    assert.deepEqual(t.services, ["all"]);
    assert.equal(t.location, "http://loki-1.loki-endpoints.cos.svc.cluster.local:3100/loki/api/v1/push");
    assert.equal(t.labels.juju_unit, "prometheus-k8s/0");
    assert.equal(t.labels.job, "juju_cos_a1b2c3d4_prometheus-k8s");
    assert.equal(getRelation(out, 13)?.localAppData.alert_rules, "{}");
    assert.match(getRelation(out, 13)?.localAppData.metadata ?? "", /"application": "prometheus-k8s"/);

    // Loki unit 1 leaves: its target is switched off, not left forwarding.
    const fewer = relation({ ...rel, remoteUnitsData: { 0: { endpoint: endpoint(0) } } });
    const after = await c.run(
      c.on.relationDeparted(fewer, { remoteUnit: 1, departingUnit: "loki/1" }),
      withState(out, { relations: [fewer] }),
    );
    const layers =
      getContainer(after, "prometheus")?.layers.filter((l) => l.label === "prometheus-log-forwarding") ?? [];
    const last = layers.at(-1)?.layer as { "log-targets": Record<string, { services: string[] }> };
    assert.deepEqual(last["log-targets"]["loki/1"]?.services, ["-all"]);
  });
});

describe("no Kubernetes API (the local runtime)", () => {
  it("cpu/memory set: the status says they are not applied instead of claiming active", async () => {
    const c = ctx();
    const out = await c.run(c.on.configChanged(), base({ config: { cpu: "500m" } }));
    assert.equal(out.unitStatus.name, "blocked");
    assert.match(
      out.unitStatus.message,
      /cpu\/memory limits are not applied: this platform has no Kubernetes API/,
    );
    const plain = await c.run(c.on.configChanged(), base());
    assert.deepEqual(plain.unitStatus, { name: "active", message: "" });
  });

  it("show-config says the retention size comes from statfs", async () => {
    const c = ctx();
    await c.run(c.on.action("show-config"), base());
    assert.match(String(c.actionResults?.["retention-size-from"]), new RegExp(`^statfs of ${DB}`));
  });
});

describe("self-metrics-endpoint through ingress", () => {
  it("publishes the ingress host and path, and the job's port from the ingress URL", async () => {
    const c = ctx();
    const ingress = relation({
      endpoint: "ingress",
      id: 14,
      remoteAppName: "traefik",
      remoteAppData: { ingress: "prometheus-k8s/0:\n  url: http://10.0.0.5/cos-prometheus-0\n" },
    });
    const self = relation({ endpoint: "self-metrics-endpoint", id: 15, remoteAppName: "other-prometheus" });
    const out = await c.run(
      c.on.relationChanged(ingress, { remoteUnit: 0 }),
      base({ relations: [ingress, self] }),
    );
    const unit = getRelation(out, 15)?.localUnitData ?? {};
    assert.equal(unit.prometheus_scrape_unit_address, "10.0.0.5");
    assert.equal(unit.prometheus_scrape_unit_path, "/cos-prometheus-0");
    const jobs = JSON.parse(getRelation(out, 15)?.localAppData.scrape_jobs ?? "[]") as {
      scheme: string;
      static_configs: { targets: string[] }[];
    }[];
    assert.deepEqual(
      jobs.map((j) => [j.scheme, j.static_configs[0]?.targets]),
      [["http", ["*:80"]]],
    );
    // update-status: the library republishes the address before the reconcile runs; it must stay
    // the ingress host, not turn into the unit's bind IP.
    const next = await c.run(c.on.updateStatus(), out);
    assert.equal(getRelation(next, 15)?.localUnitData.prometheus_scrape_unit_address, "10.0.0.5");
  });
});

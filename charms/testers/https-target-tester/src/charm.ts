/**
 * The https target tester. The leader makes a private CA and shares it with its peers through the
 * peer relation's application bag (a tester's shortcut: a real charm would keep a CA key in a
 * secret); each unit signs a server certificate for its own address with it, serves metrics over
 * https (its server script pushed into the workload container), offers the target over
 * `metrics-endpoint` and the CA over `send-ca-cert`.
 */
import { ActiveStatus, CharmBase, type Framework, MaintenanceStatus, WaitingStatus } from "@charmkit/ops";
import type { Container } from "@charmkit/ops/pebble";
import { publishCertificates } from "@charmkit/interfaces/certificate-transfer";
import { MetricsEndpointProvider } from "@charmkit/interfaces/prometheus-scrape";
import {
  generatePrivateKeyPem,
  loadX509Tools,
  parseCertificate,
  splitSans,
} from "@charmkit/interfaces/tls-certificates";
import { ensureService, observeLifecycle, pushWorkloadScript } from "@charmkit/tester-kit";

const CONTAINER = "workload";
const SERVICE = "https-metrics";
const PEERS = "https-peers";
const CERT = "/etc/https-target/server.crt";
const KEY = "/etc/https-target/server.key";
/** Where the server script goes in the workload container (the charm's files are not there). */
const SERVER = "/srv/https-target/server.mjs";
const DAY = 86_400_000;

interface Stored extends Record<string, string> {
  key: string;
  cert: string;
  /** The CA the certificate was signed by, to sign again when it changes. */
  signedBy: string;
}

export default class HttpsTargetTesterCharm extends CharmBase {
  private readonly stored: Stored;

  constructor(framework: Framework) {
    super(framework);
    this.stored = framework.storedState<Stored>("tls", { key: "", cert: "", signedBy: "" });
    const port = (): number => this.model.config.getNumber("port") ?? 8443;
    new MetricsEndpointProvider(this, {
      jobs: [{ scheme: "https", scrape_interval: "5s", static_configs: [{ targets: [`*:${port()}`] }] }],
      refreshEvents: [["pebble-ready", CONTAINER], "config-changed", "upgrade-charm", "leader-elected"],
      fqdn: () => this.model.unit.fqdn,
    });
    const run = (): Promise<void> => this.reconcile(port());
    observeLifecycle(framework, run, CONTAINER);
    framework.observe("leader-elected", run);
    for (const k of ["relation-created", "relation-changed"] as const) framework.observe(k, PEERS, run);
    for (const k of ["relation-joined", "relation-changed"] as const)
      framework.observe(k, "send-ca-cert", run);
  }

  /** The CA (certificate and key) from the peer bag; the leader makes it first. */
  private async ca(): Promise<{ certificate: string; privateKey: string } | undefined> {
    const peers = this.model.relations(PEERS)[0];
    if (!peers) return undefined;
    const bag = peers.snapshot();
    const leader = this.model.unit.isLeader();
    const shared = leader ? bag.localAppData : bag.remoteAppData;
    if (shared?.["ca-cert"] && shared["ca-key"])
      return { certificate: shared["ca-cert"], privateKey: shared["ca-key"] };
    if (!leader) return undefined;
    const x509 = await loadX509Tools();
    const privateKey = generatePrivateKeyPem();
    const certificate = await x509.generateCaCertificate({
      commonName: `${this.model.app.name}-private-ca`,
      keyPem: privateKey,
      validityMs: 3650 * DAY,
    });
    peers.localAppData.update({ "ca-cert": certificate, "ca-key": privateKey });
    return { certificate, privateKey };
  }

  private async reconcile(port: number): Promise<void> {
    const ca = await this.ca();
    if (!ca) {
      this.model.unit.setStatus(WaitingStatus("waiting for the leader's CA"));
      return;
    }
    publishCertificates(this.model, "send-ca-cert", [ca.certificate]);
    const fqdn = this.model.unit.fqdn;
    // The scrape library publishes the bind IP as the unit's address when there is one (as the
    // Python provider does), so Prometheus connects to that IP: the certificate must name it too.
    let bindIp = "";
    try {
      bindIp = this.model.network("metrics-endpoint").bindAddress ?? "";
    } catch {
      bindIp = "";
    }
    const names = splitSans([fqdn, bindIp]);
    const current = this.stored.cert ? parseCertificate(this.stored.cert) : undefined;
    const fresh =
      current !== undefined &&
      this.stored.signedBy === ca.certificate &&
      current.notAfter.getTime() - Date.now() > DAY &&
      names.sansDns.every((n) => current.sansDns.includes(n)) &&
      names.sansIp.every((n) => current.sansIp.includes(n));
    if (!fresh) {
      const x509 = await loadX509Tools();
      const key = this.stored.key || generatePrivateKeyPem();
      const csr = await x509.generateCsr({ commonName: fqdn, ...names, isCa: false, uniqueId: false }, key);
      this.stored.key = key;
      this.stored.cert = await x509.signCsr({ csrPem: csr, ca, validityMs: 365 * DAY });
      this.stored.signedBy = ca.certificate;
    }
    const c = this.model.unit.container(CONTAINER) as Container;
    if (!(await c.canConnect())) {
      this.model.unit.setStatus(WaitingStatus("waiting for the workload container"));
      return;
    }
    const onDisk = await c.pull(CERT).catch(() => "");
    if (onDisk !== this.stored.cert) {
      await c.push(KEY, this.stored.key, { makeDirs: true, permissions: 0o600 });
      await c.push(CERT, this.stored.cert, { makeDirs: true });
      await c.stop(SERVICE).catch(() => undefined);
    }
    await pushWorkloadScript(c, this.charmDir, "server.mjs", SERVER, SERVICE);
    const command = `node ${SERVER} --listen ${fqdn}:${port} --cert ${CERT} --key ${KEY}`;
    await ensureService(c, { name: SERVICE, command, summary: "https target" }, () =>
      this.model.unit.setStatus(MaintenanceStatus("starting the https metrics server")),
    );
    this.model.unit.setStatus(ActiveStatus(`serving https://${fqdn}:${port}/metrics`));
  }
}

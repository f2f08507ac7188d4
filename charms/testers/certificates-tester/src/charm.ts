/**
 * The certificate provider tester: a CA kept by the leader that signs every CSR on `certificates`
 * and is shared on `send-ca-cert`.
 */
import {
  type ActionEvent,
  ActiveStatus,
  BlockedStatus,
  CharmBase,
  type Framework,
  WaitingStatus,
} from "@charmkit/ops";
import { publishCertificates } from "@charmkit/interfaces/certificate-transfer";
import {
  answerRequests,
  collectRequests,
  generatePrivateKeyPem,
  loadX509Tools,
  revokeAll,
} from "@charmkit/interfaces/tls-certificates";

const UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "90d", "12h", "30m", "45s"; `undefined` when it is none of these. */
export function parseValidity(v: string): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(v.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNITS_MS[m[2]!] ?? 0);
  return ms > 0 ? ms : undefined;
}

interface Stored extends Record<string, string | number | boolean> {
  caKey: string;
  caCert: string;
  issued: number;
}

export default class CertificatesTesterCharm extends CharmBase {
  private readonly stored: Stored;

  constructor(framework: Framework) {
    super(framework);
    this.stored = framework.storedState<Stored>("ca", { caKey: "", caCert: "", issued: 0 });
    const run = async (): Promise<void> => {
      await this.reconcile();
    };
    framework.observe("leader-elected", run);
    framework.observe("config-changed", run);
    framework.observe("update-status", run);
    for (const k of ["relation-joined", "relation-changed", "relation-departed"] as const) {
      framework.observe(k, "certificates", run);
      framework.observe(k, "send-ca-cert", run);
    }
    framework.observe("action", "rotate-ca", (e) => this.onRotate(e));
    framework.observe("action", "get-ca", (e) => {
      if (this.stored.caCert === "") e.fail("no CA yet (the leader makes it)");
      else e.setResults({ "ca-certificate": this.stored.caCert });
    });
  }

  private async ensureCa(): Promise<void> {
    if (this.stored.caCert !== "") return;
    const x509 = await loadX509Tools();
    const key = generatePrivateKeyPem();
    this.stored.caKey = key;
    this.stored.caCert = await x509.generateCaCertificate({
      commonName: this.model.config.getString("ca-common-name") ?? "charmkit-tester-ca",
      keyPem: key,
      validityMs: 3650 * UNITS_MS.d!,
    });
  }

  private async reconcile(): Promise<void> {
    if (!this.model.unit.isLeader()) {
      this.model.unit.setStatus(ActiveStatus("standby (the leader signs)"));
      return;
    }
    const validity = parseValidity(this.model.config.getString("validity") ?? "24h");
    if (validity === undefined) {
      this.model.unit.setStatus(
        BlockedStatus('config validity is invalid: set a number and a unit, e.g. "24h"'),
      );
      return;
    }
    await this.ensureCa();
    const x509 = await loadX509Tools();
    const ca = { certificate: this.stored.caCert, privateKey: this.stored.caKey };
    const rels = this.model.relations("certificates");
    const snaps = rels.map((r) => r.snapshot());
    const requests = collectRequests(snaps);
    for (const r of requests.rejected)
      this.log.warning(`certificates:${r.relationId} ${r.unit ?? ""}: ${r.reason}`);
    let failures = 0;
    for (const [i, rel] of rels.entries()) {
      const out = await answerRequests(snaps[i]!, requests.accepted, {
        caCertificate: ca.certificate,
        now: new Date(),
        sign: (req) => x509.signCsr({ csrPem: req.csr, ca, validityMs: validity, isCa: req.isCa }),
      });
      this.stored.issued += out.issued;
      failures += out.failures.length;
      for (const f of out.failures) this.log.warning(`certificates:${rel.id}: ${f}`);
      rel.localAppData.update(out.bag);
    }
    publishCertificates(this.model, "send-ca-cert", [ca.certificate]);
    if (rels.length === 0) {
      this.model.unit.setStatus(WaitingStatus("CA ready; no certificates relation yet"));
      return;
    }
    const note = failures > 0 ? `; ${failures} CSR(s) refused, see the log` : "";
    this.model.unit.setStatus(ActiveStatus(`issued ${this.stored.issued} certificate(s)${note}`));
  }

  private async onRotate(e: ActionEvent): Promise<void> {
    if (!this.model.unit.isLeader()) {
      e.fail("only the leader holds the CA");
      return;
    }
    // Revoke first, in this hook; the requirers see it and ask again, and the new CA answers.
    for (const rel of this.model.relations("certificates")) {
      const bag = revokeAll(rel.snapshot());
      if (bag) rel.localAppData.update(bag);
    }
    this.stored.caCert = "";
    await this.ensureCa();
    publishCertificates(this.model, "send-ca-cert", [this.stored.caCert]);
    e.setResults({ "ca-certificate": this.stored.caCert });
  }
}

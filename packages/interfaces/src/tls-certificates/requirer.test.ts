import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { CsrAttributes } from "./attributes.js";
import { generateCaCertificate, generateCsr, parseCsr, signCsr } from "./csr.js";
import { parseCertificate } from "./pki.js";
import { decideRequirer, type RequirerInputs } from "./requirer.js";
import { testOnlyKey } from "./test-keys.test-support.js";
import { type CertificateEntry, type CsrEntry, parseCertificatesBag, parseCsrsBag } from "./wire.js";

const DAY = 86_400_000;
const FQDN = "prometheus-0.prometheus-endpoints.cos.svc.cluster.local";
const DESIRED: CsrAttributes = {
  commonName: "prometheus",
  sansDns: [FQDN],
  sansIp: [],
  isCa: false,
  uniqueId: true,
};
const T0 = new Date("2030-01-01T00:00:00Z");

let key = "";
let otherKey = "";
let ca = { certificate: "", privateKey: "" };

before(async () => {
  // Fixed keys: the decision compares keys, it does not make them (sdk.test.ts makes one).
  key = testOnlyKey(1);
  otherKey = testOnlyKey(2);
  const caKey = testOnlyKey(3);
  ca = {
    certificate: await generateCaCertificate({
      commonName: "test-ca",
      keyPem: caKey,
      validityMs: 3650 * DAY,
      now: T0,
    }),
    privateKey: caKey,
  };
});

async function csrFor(attrs: CsrAttributes, k = key): Promise<CsrEntry> {
  return { csr: await generateCsr(attrs, k), isCa: attrs.isCa };
}

async function issue(
  csr: CsrEntry,
  opts: { validityMs?: number; revoked?: boolean; isCa?: boolean; now?: Date } = {},
): Promise<CertificateEntry> {
  const certificate = await signCsr({
    csrPem: csr.csr,
    ca,
    validityMs: opts.validityMs ?? 10 * DAY,
    isCa: opts.isCa ?? false,
    now: opts.now ?? T0,
  });
  return {
    ca: ca.certificate,
    csr: csr.csr,
    certificate,
    chain: [certificate, ca.certificate],
    revoked: opts.revoked ?? false,
  };
}

function inputs(
  own: CsrEntry[],
  certs: CertificateEntry[],
  now = new Date(T0.getTime() + DAY),
  extra: Partial<RequirerInputs> = {},
): RequirerInputs {
  return {
    desired: DESIRED,
    privateKey: key,
    ownCsrs: own.map((entry) => ({ entry, info: parseCsr(entry.csr, entry.isCa) })),
    certificates: certs,
    now,
    ...extra,
  };
}

describe("decideRequirer", () => {
  test("no key yet: ask for a key and a CSR, keep nothing", () => {
    const p = decideRequirer({ ...inputs([], []), privateKey: undefined });
    assert.equal(p.state, "no-key");
    assert.equal(p.requestNew, true);
    assert.deepEqual(p.keep, []);
  });

  test("nothing sent yet: a CSR is requested; a sent one is pending until the provider answers", async () => {
    assert.deepEqual(decideRequirer(inputs([], [])), {
      state: "requested",
      keep: [],
      requestNew: true,
      problems: [],
    });
    const csr = await csrFor(DESIRED);
    const p = decideRequirer(inputs([csr], []));
    assert.equal(p.state, "requested");
    assert.equal(p.requestNew, false);
    assert.deepEqual(p.keep, [csr]);
    assert.equal(p.assigned, undefined);
  });

  test("an issued certificate is served with its CA, chain and our key", async () => {
    const csr = await csrFor(DESIRED);
    const cert = await issue(csr);
    const p = decideRequirer(inputs([csr], [cert]));
    assert.equal(p.state, "issued");
    assert.equal(p.requestNew, false);
    assert.deepEqual(p.keep, [csr]);
    assert.equal(p.assigned?.certificate, cert.certificate);
    assert.equal(p.assigned?.ca, ca.certificate);
    assert.deepEqual(p.assigned?.chain, [cert.certificate, ca.certificate]);
    assert.equal(p.assigned?.privateKey, key);
    assert.equal(p.assigned?.current, true);
    assert.deepEqual(p.assigned?.renewAt, new Date(T0.getTime() + 9 * DAY));
  });

  test("a provider that sent no chain: the chain is the certificate alone", async () => {
    const csr = await csrFor(DESIRED);
    const cert = { ...(await issue(csr)), chain: [] };
    assert.deepEqual(decideRequirer(inputs([csr], [cert])).assigned?.chain, [cert.certificate]);
  });

  test("a certificate that is not ours, a CA instead of a leaf, or garbage is never served", async () => {
    const csr = await csrFor(DESIRED);
    const good = await issue(csr);
    const foreign = { ...good, certificate: (await issue(await csrFor(DESIRED, otherKey))).certificate };
    const asCa = await issue(csr, { isCa: true });
    const garbage = { ...good, certificate: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----" };
    for (const [bad, re] of [
      [foreign, /does not match our private key/],
      [asCa, /sent a CA/],
      [garbage, /not PEM X\.509/],
    ] as const) {
      const p = decideRequirer(inputs([csr], [bad]));
      assert.equal(p.assigned, undefined);
      assert.match(p.problems.join("\n"), re);
    }
  });

  test("CSRs made with another key (the key was replaced) are dropped and a new one is requested", async () => {
    const stale = await csrFor(DESIRED, otherKey);
    const p = decideRequirer(inputs([stale], [await issue(stale)]));
    assert.equal(p.state, "requested");
    assert.deepEqual(p.keep, []);
    assert.equal(p.requestNew, true);
  });

  test("revoked: not served, its CSR dropped, a new one requested at once", async () => {
    const csr = await csrFor(DESIRED);
    const p = decideRequirer(inputs([csr], [await issue(csr, { revoked: true })]));
    assert.equal(p.state, "revoked");
    assert.equal(p.assigned, undefined);
    assert.deepEqual(p.keep, []);
    assert.equal(p.requestNew, true);
  });

  test("expired: not served, a new CSR requested", async () => {
    const csr = await csrFor(DESIRED);
    const p = decideRequirer(inputs([csr], [await issue(csr)], new Date(T0.getTime() + 11 * DAY)));
    assert.equal(p.state, "expired");
    assert.equal(p.assigned, undefined);
    assert.equal(p.requestNew, true);
  });

  test("renewal makes before it breaks: old certificate served until the new one is issued", async () => {
    const old = await csrFor(DESIRED);
    const oldCert = await issue(old);
    const late = new Date(T0.getTime() + 9.5 * DAY);
    const due = decideRequirer(inputs([old], [oldCert], late));
    assert.equal(due.state, "replacing");
    assert.equal(due.assigned?.certificate, oldCert.certificate);
    assert.equal(due.requestNew, true);
    assert.deepEqual(due.keep, [old]);

    const fresh = await csrFor(DESIRED);
    const waiting = decideRequirer(inputs([old, fresh], [oldCert], late));
    assert.equal(waiting.state, "replacing");
    assert.equal(waiting.requestNew, false, "one replacement in flight is enough");
    assert.deepEqual(waiting.keep, [old, fresh]);

    const freshCert = await issue(fresh, { now: late });
    const done = decideRequirer(inputs([old, fresh], [oldCert, freshCert], late));
    assert.equal(done.state, "issued");
    assert.equal(done.assigned?.certificate, freshCert.certificate);
    assert.deepEqual(done.keep, [fresh], "the old CSR is withdrawn once the new certificate is there");
  });

  test("new names (e.g. an ingress host): the old certificate is served, marked not current, until the new one arrives", async () => {
    const old = await csrFor(DESIRED);
    const oldCert = await issue(old);
    const desired = { ...DESIRED, sansDns: [FQDN, "prometheus.example.com"], sansIp: ["10.0.0.5"] };
    const p = decideRequirer({ ...inputs([old], [oldCert]), desired });
    assert.equal(p.state, "replacing");
    assert.equal(p.assigned?.certificate, oldCert.certificate);
    assert.equal(p.assigned?.current, false);
    assert.equal(p.requestNew, true);
  });

  test("attribute comparison is the library's: SAN order does not matter, the unique id does", async () => {
    const csr = await csrFor({ ...DESIRED, sansDns: ["b.example", "a.example"] });
    const cert = await issue(csr);
    const reordered = { ...DESIRED, sansDns: ["a.example", "b.example"] };
    assert.equal(decideRequirer({ ...inputs([csr], [cert]), desired: reordered }).state, "issued");
    assert.equal(
      decideRequirer({ ...inputs([csr], [cert]), desired: { ...reordered, uniqueId: false } }).state,
      "replacing",
    );
  });
});

describe("with the Python library's own output", () => {
  const py = JSON.parse(
    readFileSync(
      join(import.meta.dirname, "../../../../testdata/tls-certificates/python-requirer-provider.json"),
      "utf8",
    ),
  ) as {
    fqdn: string;
    commonName: string;
    privateKey: string;
    requirerUnitBag: Record<string, string>;
    providerAppBag: Record<string, string>;
  };

  test("a Python CSR reads as the attributes the Python charm asks for", () => {
    const own = parseCsrsBag(py.requirerUnitBag);
    assert.ok(own.ok);
    const info = parseCsr(own.value[0]!.csr);
    assert.deepEqual(
      {
        commonName: info?.commonName,
        sansDns: info?.sansDns,
        sansIp: info?.sansIp,
        uniqueId: info?.uniqueId,
      },
      { commonName: "prometheus", sansDns: [py.fqdn], sansIp: [], uniqueId: true },
    );
  });

  test("after a swap, our requirer serves the certificate the Python charm was issued, with its key", () => {
    const own = parseCsrsBag(py.requirerUnitBag);
    const certs = parseCertificatesBag(py.providerAppBag);
    assert.ok(own.ok && certs.ok);
    const issued = parseCertificate(certs.value[0]!.certificate);
    assert.ok(issued);
    const p = decideRequirer({
      desired: { commonName: py.commonName, sansDns: [py.fqdn], sansIp: [], isCa: false, uniqueId: true },
      privateKey: py.privateKey,
      ownCsrs: own.value.map((entry) => ({ entry, info: parseCsr(entry.csr) })),
      certificates: certs.value,
      now: new Date(issued.notBefore.getTime() + DAY),
    });
    assert.equal(p.state, "issued");
    assert.equal(p.assigned?.certificate, certs.value[0]!.certificate);
    assert.deepEqual(p.keep, own.value, "the Python CSR is kept as it is: no needless re-request");
  });
});

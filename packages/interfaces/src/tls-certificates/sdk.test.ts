import assert from "node:assert/strict";
import { test } from "node:test";
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import type { RelationLike } from "../common/sdk.js";
import { generateCaCertificate, parseCsr, signCsr } from "./csr.js";
import { answerRequests, collectRequests, revokeAll } from "./provider.js";
import { privateKeySecretLabel, type TlsModelLike, TlsCertificatesRequirer } from "./sdk.js";
import { testOnlyKey } from "./test-keys.test-support.js";
import { parseCsrsBag, TLS_LIBID } from "./wire.js";

const DAY = 86_400_000;
const FQDN = "prometheus-0.prometheus-endpoints.cos.svc.cluster.local";
const DESIRED = { commonName: "prometheus", sansDns: [FQDN], sansIp: [], isCa: false, uniqueId: true };

/** Both ends of one `certificates` relation, bags shared as Juju would show them after each hook. */
function world() {
  const secrets = new Map<string, Record<string, string>>();
  const requirerUnitBag: Record<string, string> = {};
  const providerAppBag: Record<string, string> = {};
  const requirerModel: TlsModelLike = {
    unit: {
      name: "prometheus/0",
      addSecret(content, fields) {
        if (secrets.has(fields.label)) throw new Error("duplicate label");
        secrets.set(fields.label, { ...content });
      },
    },
    getSecret({ label }) {
      return {
        getContent() {
          const s = secrets.get(label);
          if (!s)
            throw Object.assign(new Error(`secret with label "${label}" not found`), {
              name: "SecretNotFoundError",
            });
          return { ...s };
        },
        setContent(content) {
          if (!secrets.has(label))
            throw Object.assign(new Error("not found"), { name: "SecretNotFoundError" });
          secrets.set(label, { ...content });
        },
      };
    },
    relations(endpoint): RelationLike[] {
      if (endpoint !== "certificates") return [];
      return [
        {
          id: 4,
          snapshot: (): RelationSnapshot => ({
            id: 4,
            endpoint,
            remoteApp: "ca",
            remoteAppData: { ...providerAppBag },
            remoteUnitsData: { "ca/0": {} },
            localUnitData: { ...requirerUnitBag },
          }),
          localAppData: { update: () => assert.fail("unit mode never writes the app bag") },
          localUnitData: {
            update: (data: Databag) => {
              for (const [k, v] of Object.entries(data)) {
                if (v === "") delete requirerUnitBag[k];
                else requirerUnitBag[k] = v;
              }
            },
          },
        },
      ];
    },
  };
  const providerView = (): RelationSnapshot => ({
    id: 4,
    endpoint: "certificates",
    remoteApp: "prometheus",
    remoteAppData: {},
    remoteUnitsData: { "prometheus/0": { ...requirerUnitBag } },
    localAppData: { ...providerAppBag },
  });
  return { secrets, requirerUnitBag, providerAppBag, requirerModel, providerView };
}

test("first hooks: the key goes into a unit secret with the Python library's label, a CSR into our unit bag", async () => {
  const w = world();
  const r = new TlsCertificatesRequirer(w.requirerModel);
  const first = await r.read(DESIRED);
  assert.equal(first.kind, "related");
  assert.equal(first.kind === "related" && first.decision.state, "no-key");
  await r.publish(first);
  const label = `${TLS_LIBID}-private-key-0-certificates`;
  assert.equal(privateKeySecretLabel("prometheus/0", "certificates"), label);
  const key = w.secrets.get(label)?.["private-key"];
  assert.match(key ?? "", /^-----BEGIN RSA PRIVATE KEY-----/);
  const csrs = parseCsrsBag(w.requirerUnitBag);
  assert.ok(csrs.ok && csrs.value.length === 1);
  const info = parseCsr(csrs.value[0]!.csr);
  assert.equal(info?.commonName, "prometheus");
  assert.deepEqual(info?.sansDns, [FQDN]);

  // A later hook with no answer yet changes nothing.
  const again = await r.read(DESIRED);
  assert.equal(again.kind === "related" && again.decision.state, "requested");
  await r.publish(again);
  assert.deepEqual(parseCsrsBag(w.requirerUnitBag), csrs);
});

test("a provider answers; the requirer serves it; rotating the CA revokes, and a new certificate follows", async () => {
  const w = world();
  // The unit's key is already in its secret (making one is the first test's), as after a first hook.
  w.secrets.set(privateKeySecretLabel("prometheus/0", "certificates"), { "private-key": testOnlyKey(1) });
  const r = new TlsCertificatesRequirer(w.requirerModel, { now: () => new Date(Date.now() + 1000) });
  await r.publish(await r.read(DESIRED));

  const caKey = testOnlyKey(3);
  let caCert = await generateCaCertificate({ commonName: "ca-1", keyPem: caKey, validityMs: 30 * DAY });
  const answer = async () => {
    const view = w.providerView();
    const reqs = collectRequests([view]);
    assert.deepEqual(reqs.rejected, []);
    const out = await answerRequests(view, reqs.accepted, {
      caCertificate: caCert,
      now: new Date(),
      sign: (req) =>
        signCsr({ csrPem: req.csr, ca: { certificate: caCert, privateKey: caKey }, validityMs: 10 * DAY }),
    });
    Object.assign(w.providerAppBag, out.bag);
    return out;
  };
  assert.equal((await answer()).issued, 1);
  const served = await r.read(DESIRED);
  assert.ok(served.kind === "related" && served.decision.state === "issued");
  const firstCert = served.decision.assigned?.certificate;
  assert.equal((await answer()).issued, 0, "an answered, valid CSR is not signed twice");

  // The CA changes: the provider revokes everything first (one hook), then answers anew.
  const revoked = revokeAll(w.providerView());
  assert.ok(revoked);
  Object.assign(w.providerAppBag, revoked);
  const afterRevoke = await r.read(DESIRED);
  assert.ok(afterRevoke.kind === "related");
  assert.equal(afterRevoke.decision.state, "revoked");
  assert.equal(afterRevoke.decision.assigned, undefined);
  await r.publish(afterRevoke);
  caCert = await generateCaCertificate({ commonName: "ca-2", keyPem: caKey, validityMs: 30 * DAY });
  assert.equal((await answer()).issued, 1);
  const renewed = await r.read(DESIRED);
  assert.ok(renewed.kind === "related" && renewed.decision.state === "issued");
  assert.notEqual(renewed.decision.assigned?.certificate, firstCert);
  assert.equal(renewed.decision.assigned?.ca, caCert);
});

test("provider side: CSRs from every unit and the app bag; a malformed bag is rejected alone; withdrawn CSRs lose their certificate", async () => {
  const caKey = testOnlyKey(3);
  const caCert = await generateCaCertificate({ commonName: "ca", keyPem: caKey, validityMs: 30 * DAY });
  const { generateCsr } = await import("./csr.js");
  const k = testOnlyKey(1);
  const a = await generateCsr(DESIRED, k);
  const b = await generateCsr({ ...DESIRED, commonName: "app-level" }, k);
  const rel: RelationSnapshot = {
    id: 9,
    endpoint: "certificates",
    remoteApp: "prometheus",
    remoteAppData: {
      certificate_signing_requests: JSON.stringify([{ certificate_signing_request: b, ca: false }]),
    },
    remoteUnitsData: {
      "prometheus/0": {
        certificate_signing_requests: JSON.stringify([{ certificate_signing_request: a, ca: false }]),
      },
      "prometheus/1": { certificate_signing_requests: "not json" },
    },
    localAppData: {},
  };
  const reqs = collectRequests([rel]);
  assert.deepEqual(
    reqs.accepted.map((q) => [q.unit, q.csr === a ? "a" : q.csr === b ? "b" : "?"]),
    [
      ["prometheus/0", "a"],
      [undefined, "b"],
    ],
  );
  assert.deepEqual(
    reqs.rejected.map((x) => [x.relationId, x.unit]),
    [[9, "prometheus/1"]],
  );
  const sign = (req: { csr: string }) =>
    signCsr({ csrPem: req.csr, ca: { certificate: caCert, privateKey: caKey }, validityMs: DAY });
  const first = await answerRequests(rel, reqs.accepted, { caCertificate: caCert, now: new Date(), sign });
  assert.equal(first.issued, 2);
  const onlyA = reqs.accepted.filter((q) => q.csr === a);
  const second = await answerRequests({ ...rel, localAppData: first.bag }, onlyA, {
    caCertificate: caCert,
    now: new Date(),
    sign,
  });
  assert.equal(second.issued, 0);
  const list = JSON.parse(second.bag.certificates ?? "[]") as { certificate_signing_request: string }[];
  assert.deepEqual(
    list.map((c) => c.certificate_signing_request),
    [a],
  );
  const bad = await answerRequests(rel, [{ relationId: 9, unit: "x/0", csr: "garbage", isCa: false }], {
    caCertificate: caCert,
    now: new Date(),
    sign,
  });
  assert.equal(bad.issued, 0);
  assert.match(bad.failures.join(), /^x\/0: /);
});

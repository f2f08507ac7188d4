import assert from "node:assert/strict";
import { test } from "node:test";
import type { TlsRead } from "@charmkit/interfaces/tls-certificates";
import { certificateRequest, tlsFindings } from "./tls.js";

const FQDN = "prometheus-0.prometheus-endpoints.cos.svc.cluster.local";

test("the request is the Python charm's (CN = app, DNS SAN = FQDN) plus the ingress host", () => {
  assert.deepEqual(certificateRequest("prometheus", FQDN), {
    commonName: "prometheus",
    sansDns: [FQDN],
    sansIp: [],
    isCa: false,
    uniqueId: true,
  });
  assert.deepEqual(certificateRequest("prometheus", FQDN, "http://10.0.0.5/cos-prometheus-0").sansIp, [
    "10.0.0.5",
  ]);
  assert.deepEqual(certificateRequest("prometheus", FQDN, "https://Prom.Example.com/x").sansDns, [
    "prom.example.com",
    FQDN,
  ]);
  assert.equal(certificateRequest("p".repeat(80), FQDN).commonName.length, 64);
});

function read(state: string, extra: Partial<Extract<TlsRead, { kind: "related" }>> = {}): TlsRead {
  return {
    kind: "related",
    relationId: 3,
    remoteApp: "ca",
    desired: certificateRequest("prometheus", FQDN),
    privateKey: "KEY",
    decision: { state: state as never, keep: [], requestNew: false, problems: [] },
    ...extra,
  };
}

test("what each requirer state means: served, or plain HTTP with a waiting status that says why", () => {
  assert.deepEqual(tlsFindings({ kind: "no-relation" }), { rejected: [] });
  const assigned = {
    certificate: "C",
    ca: "CA",
    chain: ["C"],
    privateKey: "KEY",
    notAfter: new Date(),
    renewAt: new Date(),
    current: true,
  };
  for (const s of ["issued", "replacing"]) {
    const f = tlsFindings(
      read(s, { decision: { state: s as never, assigned, keep: [], requestNew: false, problems: [] } }),
    );
    assert.deepEqual(f.served, { cert: "C", key: "KEY", ca: "CA" });
    assert.equal(f.status, undefined);
  }
  assert.match(tlsFindings(read("requested")).status?.message ?? "", /Waiting for a certificate from ca/);
  assert.match(tlsFindings(read("no-key")).status?.message ?? "", /serving plain HTTP until it is issued/);
  assert.match(tlsFindings(read("revoked")).status?.message ?? "", /was revoked; a new one is requested/);
  assert.match(tlsFindings(read("expired")).status?.message ?? "", /expired/);
  assert.equal(tlsFindings(read("revoked")).served, undefined);
});

test("garbage from the provider is a rejection of that relation, named", () => {
  const f = tlsFindings(
    read("requested", {
      providerError: "'certificates' is not valid JSON",
      decision: {
        state: "requested",
        keep: [],
        requestNew: false,
        problems: ["the provider's certificate does not match our private key; ignored"],
      },
    }),
  );
  assert.deepEqual(
    f.rejected.map((r) => [r.relation, r.remoteApp, r.reason.slice(0, 20)]),
    [
      ["certificates:3", "ca", "'certificates' is no"],
      ["certificates:3", "ca", "the provider's certi"],
    ],
  );
});

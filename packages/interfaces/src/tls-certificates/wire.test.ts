import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildCertificatesBag, buildCsrsBag, parseCertificatesBag, parseCsrsBag } from "./wire.js";

/** Made with the Python library itself: scripts/crosscheck/tls_certificates.py gen. */
const PY = JSON.parse(
  readFileSync(
    join(import.meta.dirname, "../../../../testdata/tls-certificates/python-requirer-provider.json"),
    "utf8",
  ),
) as {
  requirerUnitBag: Record<string, string>;
  providerAppBag: Record<string, string>;
  providerAppBagRevoked: Record<string, string>;
};

test("our CSR bag is byte for byte what the Python library dumps for the same request", () => {
  const parsed = parseCsrsBag(PY.requirerUnitBag);
  assert.ok(parsed.ok);
  assert.equal(parsed.value.length, 1);
  assert.equal(parsed.value[0]?.isCa, false);
  assert.deepEqual(buildCsrsBag(parsed.value), PY.requirerUnitBag);
});

test("our certificates bag is byte for byte the Python library's, revoked or not", () => {
  for (const bag of [PY.providerAppBag, PY.providerAppBagRevoked]) {
    const parsed = parseCertificatesBag(bag);
    assert.ok(parsed.ok);
    assert.deepEqual(buildCertificatesBag(parsed.value), bag);
  }
  const revoked = parseCertificatesBag(PY.providerAppBagRevoked);
  assert.ok(revoked.ok && revoked.value[0]?.revoked === true);
  const live = parseCertificatesBag(PY.providerAppBag);
  assert.ok(live.ok && live.value[0]?.revoked === false && live.value[0].chain.length === 2);
});

test("missing keys are empty lists; `ca: null` and a missing chain are accepted as the library does", () => {
  assert.deepEqual(parseCsrsBag({}), { ok: true, value: [] });
  assert.deepEqual(parseCertificatesBag({}), { ok: true, value: [] });
  const csrs = parseCsrsBag({
    certificate_signing_requests: '[{"certificate_signing_request": "X", "ca": null}]',
  });
  assert.deepEqual(csrs, { ok: true, value: [{ csr: "X", isCa: false }] });
  const certs = parseCertificatesBag({
    certificates: '[{"ca": "C", "certificate_signing_request": "R", "certificate": "T"}]',
  });
  assert.deepEqual(certs, {
    ok: true,
    value: [{ ca: "C", csr: "R", certificate: "T", chain: [], revoked: false }],
  });
});

test("malformed bags are rejected with the key and the item named, never thrown", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ certificate_signing_requests: "{" }, /'certificate_signing_requests' is not valid JSON/],
    [{ certificate_signing_requests: '{"a": 1}' }, /must be a JSON list/],
    [
      { certificate_signing_requests: '[{"ca": false}]' },
      /\[0\] needs a string 'certificate_signing_request'/,
    ],
    [
      { certificate_signing_requests: '[{"certificate_signing_request": "X", "ca": "yes"}]' },
      /\[0\]\.ca must be a boolean/,
    ],
  ];
  for (const [bag, re] of cases) {
    const r = parseCsrsBag(bag);
    assert.ok(!r.ok && re.test(r.error), JSON.stringify(r));
  }
  const certCases: [string, RegExp][] = [
    ["[1]", /'certificates'\[0\] must be an object/],
    ['[{"ca": "C", "certificate": "T"}]', /needs a string 'certificate_signing_request'/],
    [
      '[{"ca": "C", "certificate_signing_request": "R", "certificate": "T", "chain": [1]}]',
      /chain must be a list of strings/,
    ],
    [
      '[{"ca": "C", "certificate_signing_request": "R", "certificate": "T", "revoked": "no"}]',
      /revoked must be a boolean/,
    ],
  ];
  for (const [raw, re] of certCases) {
    const r = parseCertificatesBag({ certificates: raw });
    assert.ok(!r.ok && re.test(r.error), JSON.stringify(r));
  }
});

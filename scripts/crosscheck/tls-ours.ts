/**
 * The TypeScript half of the tls-certificates cross-check (see tls_certificates.py beside it):
 * writes what our library puts on the wire, as requirer (a key and a CSR bag) and as provider (a
 * certificate answering the Python CSR of the `gen` output), for the Python library to check.
 *
 * Usage: node --import tsx scripts/crosscheck/tls-ours.ts PYTHON_FIXTURE OUT_JSON
 */
import { readFileSync, writeFileSync } from "node:fs";
import {
  buildCertificatesBag,
  buildCsrsBag,
  generatePrivateKeyPem,
  loadX509Tools,
  parseCsrsBag,
} from "@charmkit/interfaces/tls-certificates";

const [fixturePath, outPath] = process.argv.slice(2);
if (!fixturePath || !outPath) {
  console.error("usage: tls-ours.ts PYTHON_FIXTURE OUT_JSON");
  process.exit(2);
}
const py = JSON.parse(readFileSync(fixturePath, "utf8")) as {
  fqdn: string;
  commonName: string;
  requirerUnitBag: Record<string, string>;
};
const x509 = await loadX509Tools();
const privateKey = generatePrivateKeyPem();
const attrs = {
  commonName: py.commonName,
  sansDns: [py.fqdn],
  sansIp: ["10.1.2.3"],
  isCa: false,
  uniqueId: true,
};
const csr = await x509.generateCsr(attrs, privateKey);

const pythonCsrs = parseCsrsBag(py.requirerUnitBag);
if (!pythonCsrs.ok || !pythonCsrs.value[0]) throw new Error("the fixture has no Python CSR");
const pythonCsr = pythonCsrs.value[0].csr;
const caKey = generatePrivateKeyPem();
const day = 86_400_000;
const caCert = await x509.generateCaCertificate({
  commonName: "charmkit-tester-ca",
  keyPem: caKey,
  validityMs: 3650 * day,
});
const certificate = await x509.signCsr({
  csrPem: pythonCsr,
  ca: { certificate: caCert, privateKey: caKey },
  validityMs: 365 * day,
});

writeFileSync(
  outPath,
  `${JSON.stringify(
    {
      commonName: attrs.commonName,
      sansDns: attrs.sansDns,
      sansIp: attrs.sansIp,
      privateKey,
      requirerUnitBag: buildCsrsBag([{ csr, isCa: false }]),
      pythonCsr,
      providerAppBag: buildCertificatesBag([
        { ca: caCert, csr: pythonCsr, certificate, chain: [certificate, caCert], revoked: false },
      ]),
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${outPath}`);

/**
 * Certificate signing requests and a small CA, with `@peculiar/x509` over Node's WebCrypto.
 *
 * The requirer builds and reads CSRs the way the Python library does (common name, DNS and IP
 * SANs, a random `x500UniqueIdentifier` in the subject); the provider side signs them with the
 * extensions the Python library's `Certificate.generate` adds, so certificates from our tester look
 * like those of Canonical's self-signed-certificates charm. Loaded only where certificates are
 * handled: charms without a `certificates` relation never pay for it.
 */
import "reflect-metadata";
import { createPrivateKey, createPublicKey, randomBytes, randomUUID, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { CsrAttributes, CsrInfo } from "./attributes.js";

x509.cryptoProvider.set(webcrypto as never);

const RSA_SHA256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;
const OID_COMMON_NAME = "2.5.4.3";
const OID_UNIQUE_IDENTIFIER = "2.5.4.45";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";

async function keyPair(keyPem: string): Promise<webcrypto.CryptoKeyPair> {
  const key = createPrivateKey(keyPem);
  const pkcs8 = key.export({ type: "pkcs8", format: "der" });
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const subtle = webcrypto.subtle;
  const privateKey = await subtle.importKey("pkcs8", pkcs8, RSA_SHA256, false, ["sign"]);
  const publicKey = await subtle.importKey("spki", spki, RSA_SHA256, true, ["verify"]);
  return { privateKey, publicKey };
}

function sanExtension(sansDns: readonly string[], sansIp: readonly string[]): x509.Extension | undefined {
  const names = [
    ...sansIp.map((value) => ({ type: "ip" as const, value })),
    ...sansDns.map((value) => ({ type: "dns" as const, value })),
  ];
  return names.length > 0 ? new x509.SubjectAlternativeNameExtension(names, false) : undefined;
}

/** Signs a new CSR for `attrs` with `keyPem` (RSA, SHA-256). Returns the PEM without a trailing newline. */
export async function generateCsr(attrs: CsrAttributes, keyPem: string): Promise<string> {
  const name: Record<string, string[]>[] = [];
  if (attrs.commonName) name.push({ [OID_COMMON_NAME]: [attrs.commonName] });
  if (attrs.uniqueId) name.push({ [OID_UNIQUE_IDENTIFIER]: [randomUUID()] });
  const san = sanExtension(attrs.sansDns, attrs.sansIp);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys: await keyPair(keyPem),
    signingAlgorithm: RSA_SHA256,
    extensions: san ? [san] : [],
  });
  return csr.toString("pem").trim();
}

/** Reads a PEM CSR; `undefined` when it is not one. `isCa` comes from the bag, not the CSR. */
export function parseCsr(pem: string, isCa = false): CsrInfo | undefined {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch {
    return undefined;
  }
  const san = csr.getExtension(OID_SUBJECT_ALT_NAME) as x509.SubjectAlternativeNameExtension | null;
  const items = san?.names.items ?? [];
  return {
    pem: pem.trim(),
    commonName: csr.subjectName.getField(OID_COMMON_NAME)[0] ?? "",
    sansDns: items.filter((n) => n.type === "dns").map((n) => n.value),
    sansIp: items.filter((n) => n.type === "ip").map((n) => n.value),
    isCa,
    uniqueId: csr.subjectName.getField(OID_UNIQUE_IDENTIFIER).length > 0,
    publicKeyDer: Buffer.from(csr.publicKey.rawData),
  };
}

/** A CA: its certificate and key, both PEM. */
export interface CertificateAuthority {
  readonly certificate: string;
  readonly privateKey: string;
}

function serialNumber(): string {
  // Positive, 16 bytes, like cryptography's random_serial_number.
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString("hex");
}

/**
 * A self-signed CA certificate for `keyPem`, with the extensions of the library's
 * `generate_self_signed_ca` (subject key id, critical CA basic constraints, key cert sign).
 */
export async function generateCaCertificate(opts: {
  commonName: string;
  keyPem: string;
  validityMs: number;
  now?: Date;
}): Promise<string> {
  const keys = await keyPair(opts.keyPem);
  const now = opts.now ?? new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ [OID_COMMON_NAME]: [opts.commonName] }],
    notBefore: now,
    notAfter: new Date(now.getTime() + opts.validityMs),
    keys,
    signingAlgorithm: RSA_SHA256,
    extensions: [
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature |
          x509.KeyUsageFlags.keyEncipherment |
          x509.KeyUsageFlags.keyCertSign,
        true,
      ),
    ],
  });
  return cert.toString("pem").trim();
}

/**
 * Issues a certificate for `csrPem`, signed by `ca`: the CSR's subject and SANs, the CA's key id as
 * authority key id, critical basic constraints, as the library's `Certificate.generate` does.
 */
export async function signCsr(opts: {
  csrPem: string;
  ca: CertificateAuthority;
  validityMs: number;
  isCa?: boolean;
  now?: Date;
}): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(opts.csrPem);
  if (!(await csr.verify())) throw new Error("the CSR's signature does not verify");
  const caCert = new x509.X509Certificate(opts.ca.certificate);
  const caKeys = await keyPair(opts.ca.privateKey);
  const now = opts.now ?? new Date();
  const extensions: x509.Extension[] = [
    await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
    new x509.BasicConstraintsExtension(opts.isCa === true, undefined, true),
  ];
  const san = csr.getExtension(OID_SUBJECT_ALT_NAME) as x509.SubjectAlternativeNameExtension | null;
  if (san) extensions.push(new x509.SubjectAlternativeNameExtension(san.names.toJSON(), false));
  if (opts.isCa) {
    extensions.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: csr.subjectName,
    issuer: caCert.subjectName,
    notBefore: now,
    notAfter: new Date(now.getTime() + opts.validityMs),
    publicKey: csr.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: RSA_SHA256,
    extensions,
  });
  return cert.toString("pem").trim();
}

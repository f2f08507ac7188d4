/**
 * Key and certificate facts with Node's own crypto: RSA key generation in the library's PEM form,
 * and what a requirer needs to know of an issued certificate (validity, CA flag, names, whether it
 * belongs to our key). No third-party code, so reading certificates costs nothing extra in a hook;
 * building and reading CSRs lives in csr.ts.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from "node:crypto";

/**
 * A new 2048-bit RSA key as PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"), the `TraditionalOpenSSL` form the
 * Python library stores, without the trailing newline.
 */
export function generatePrivateKeyPem(bits = 2048): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: bits, publicExponent: 0x10001 });
  return privateKey.export({ type: "pkcs1", format: "pem" }).toString().trim();
}

/** The DER SubjectPublicKeyInfo of a private key, for comparing with a CSR's or certificate's key. */
export function publicKeyDerOfPrivateKey(keyPem: string): Buffer {
  return createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
}

/** An RSA key of at least 2048 bits, as the library's `PrivateKey.is_valid` requires. */
export function isUsablePrivateKey(keyPem: string): boolean {
  try {
    const k = createPrivateKey(keyPem);
    return k.asymmetricKeyType === "rsa" && (k.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
  } catch {
    return false;
  }
}

/** What a certificate says about itself. */
export interface CertificateInfo {
  readonly pem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  readonly subject: string;
  readonly sansDns: readonly string[];
  readonly sansIp: readonly string[];
  /** DER SubjectPublicKeyInfo. */
  readonly publicKeyDer: Buffer;
}

function altNames(text: string | undefined, kind: "DNS" | "IP Address"): string[] {
  if (!text) return [];
  return text
    .split(/,\s*/)
    .filter((part) => part.startsWith(`${kind}:`))
    .map((part) => part.slice(kind.length + 1));
}

/** Parses a PEM certificate; `undefined` when it is not one. */
export function parseCertificate(pem: string): CertificateInfo | undefined {
  let c: X509Certificate;
  try {
    c = new X509Certificate(pem);
  } catch {
    return undefined;
  }
  return {
    pem: pem.trim(),
    notBefore: new Date(c.validFrom),
    notAfter: new Date(c.validTo),
    isCa: c.ca,
    subject: c.subject,
    sansDns: altNames(c.subjectAltName, "DNS"),
    sansIp: altNames(c.subjectAltName, "IP Address"),
    publicKeyDer: c.publicKey.export({ type: "spki", format: "der" }),
  };
}

/** True when `cert` carries the public half of `keyPem`. */
export function certificateMatchesKey(cert: CertificateInfo, keyPem: string): boolean {
  try {
    return cert.publicKeyDer.equals(publicKeyDerOfPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/**
 * The moment a certificate should be renewed: `fraction` of its validity after it started, as the
 * library's `calculate_relative_datetime` sets the renewal secret's expiry (0.9 by default).
 */
export function renewalTime(cert: Pick<CertificateInfo, "notBefore" | "notAfter">, fraction: number): Date {
  const start = cert.notBefore.getTime();
  return new Date(start + (cert.notAfter.getTime() - start) * fraction);
}

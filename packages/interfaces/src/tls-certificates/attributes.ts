/**
 * What a certificate is requested for, and the library's rule for when two requests are the same.
 * Kept apart from csr.ts so that comparing requests needs no X.509 code.
 */
import { isIP } from "node:net";

/** What a certificate is requested for; compared as the library's `CertificateRequestAttributes`. */
export interface CsrAttributes {
  readonly commonName: string;
  readonly sansDns: readonly string[];
  readonly sansIp: readonly string[];
  readonly isCa: boolean;
  /** A random `x500UniqueIdentifier` in the subject; the library always adds one for requests. */
  readonly uniqueId: boolean;
}

/** What a CSR says about itself (csr.ts reads it). */
export interface CsrInfo extends CsrAttributes {
  readonly pem: string;
  /** DER SubjectPublicKeyInfo. */
  readonly publicKeyDer: Buffer;
}

/** Splits names into the DNS and IP SANs they belong in (an ingress host may be an IP). */
export function splitSans(names: Iterable<string>): { sansDns: string[]; sansIp: string[] } {
  const dns = new Set<string>();
  const ip = new Set<string>();
  for (const n of names) {
    if (n === "") continue;
    if (isIP(n)) ip.add(n);
    else dns.add(n.toLowerCase());
  }
  return { sansDns: [...dns].sort(), sansIp: [...ip].sort() };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  return x.size === new Set(b).size && b.every((v) => x.has(v));
}

/** The library's attribute equality: the same names and flags, SAN order and case of DNS aside. */
export function sameAttributes(a: CsrAttributes, b: CsrAttributes): boolean {
  return (
    a.commonName === b.commonName &&
    sameSet(
      a.sansDns.map((s) => s.toLowerCase()),
      b.sansDns.map((s) => s.toLowerCase()),
    ) &&
    sameSet(a.sansIp, b.sansIp) &&
    a.isCa === b.isCa &&
    a.uniqueId === b.uniqueId
  );
}

/**
 * The lazy entry to the X.509 half of tls-certificates (csr.ts over `@peculiar/x509`), shared by
 * the index and the SDK wrapper.
 */
import type { generateCaCertificate, generateCsr, parseCsr, signCsr } from "./csr.js";

/** The X.509 functions of csr.ts, as {@link loadX509Tools} resolves them. */
export interface X509Tools {
  readonly generateCsr: typeof generateCsr;
  readonly parseCsr: typeof parseCsr;
  readonly generateCaCertificate: typeof generateCaCertificate;
  readonly signCsr: typeof signCsr;
}

/**
 * Loads the CSR and CA functions of csr.ts (`generateCsr`, `parseCsr`, `generateCaCertificate`,
 * `signCsr`). They pull in `@peculiar/x509`, so a charm pays for them only when it uses them: the
 * import names the package's own `./tls-certificates/x509` export (not `./csr.js`), which a charm
 * bundle keeps in a file of its own, read only when this runs.
 */
export function loadX509Tools(): Promise<X509Tools> {
  return import("@charmkit/interfaces/tls-certificates/x509");
}

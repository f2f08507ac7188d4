/**
 * The lazy entry to the X.509 half of tls-certificates (csr.ts over `@peculiar/x509`), shared by
 * the index and the SDK wrapper.
 */

/**
 * Loads the CSR and CA functions of csr.ts (`generateCsr`, `parseCsr`, `generateCaCertificate`,
 * `signCsr`). They pull in `@peculiar/x509`, so a charm pays for them only when it uses them: the
 * import names the package's own `./tls-certificates/x509` export (not `./csr.js`), which a charm
 * bundle keeps in a file of its own, read only when this runs.
 */
export function loadX509Tools(): Promise<typeof import("./csr.js")> {
  return import("@charmkit/interfaces/tls-certificates/x509");
}

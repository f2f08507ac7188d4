/**
 * `tls-certificates` interface library, both sides, wire-compatible with Canonical's
 * `charms.tls_certificates_interface.v4.tls_certificates` (LIBPATCH 30; interface v1 in
 * charm-relation-interfaces).
 *
 * - wire.ts: the `certificate_signing_requests` and `certificates` databags;
 * - pki.ts: keys and certificate facts with Node's crypto;
 * - attributes.ts, requirer.ts: what a requirer serves, keeps and asks for (pure);
 * - sdk.ts: the requirer over the SDK's Model, its key in a Juju secret;
 * - provider.ts: answering CSRs (for a certificate provider);
 * - csr.ts: building and reading CSRs and a small CA with `@peculiar/x509`, reached through
 *   {@link loadX509Tools} so that only code handling certificates loads it.
 */
export * from "./attributes.js";
export { loadX509Tools, type X509Tools } from "./load.js";
export * from "./pki.js";
export * from "./provider.js";
export * from "./requirer.js";
export * from "./sdk.js";
export * from "./wire.js";

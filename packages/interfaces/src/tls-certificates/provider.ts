/**
 * The provider side of `tls-certificates` (what Canonical's self-signed-certificates charm does with
 * `TLSCertificatesProvidesV4`): read every requirer unit's (and app's) CSRs, answer each with a
 * certificate signed by our CA, withdraw certificates whose CSR is gone, and revoke them all when the
 * CA changes. Only the leader writes the app bag.
 */
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import { compareUnitNames, type ParseResult, type Rejection, reject } from "../common/result.js";
import { parseCertificate } from "./pki.js";
import {
  buildCertificatesBag,
  type CertificateEntry,
  parseCertificatesBag,
  parseCsrsBag,
  samePem,
} from "./wire.js";

/** One CSR a requirer sent. */
export interface IncomingRequest {
  readonly relationId: number;
  /** The unit whose bag held it; `undefined` for the requirer's app bag (app mode). */
  readonly unit: string | undefined;
  readonly csr: string;
  readonly isCa: boolean;
}

/** Every CSR in every requirer bag; a malformed bag is rejected on its own. */
export function collectRequests(relations: readonly RelationSnapshot[]): ParseResult<IncomingRequest> {
  const accepted: IncomingRequest[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    const bags: [string | undefined, Databag][] = Object.keys(rel.remoteUnitsData)
      .sort(compareUnitNames)
      .map((u) => [u, rel.remoteUnitsData[u] ?? {}]);
    bags.push([undefined, rel.remoteAppData]);
    for (const [unit, bag] of bags) {
      const parsed = parseCsrsBag(bag);
      if (!parsed.ok) {
        rejected.push(reject(rel.id, parsed.error, unit));
        continue;
      }
      for (const e of parsed.value) accepted.push({ relationId: rel.id, unit, csr: e.csr, isCa: e.isCa });
    }
  }
  return { accepted, rejected };
}

/** Signs one CSR; throws when the CSR is not acceptable. */
export type CsrSigner = (req: IncomingRequest) => Promise<string>;

/** Options of {@link answerRequests}. */
export interface AnswerOptions {
  /** The CA certificate (PEM) new certificates are signed by. */
  readonly caCertificate: string;
  readonly sign: CsrSigner;
  readonly now: Date;
}

/**
 * The `certificates` bag of one relation: existing certificates are kept while their CSR is still
 * requested, they are not revoked, they come from the current CA and are still valid; every other
 * requested CSR gets a new certificate. A CSR that cannot be signed is reported, not fatal.
 */
export async function answerRequests(
  rel: RelationSnapshot,
  requests: readonly IncomingRequest[],
  opts: AnswerOptions,
): Promise<{ bag: Databag; issued: number; failures: string[] }> {
  const existing = parseCertificatesBag(rel.localAppData ?? {});
  const current = existing.ok ? existing.value : [];
  const out: CertificateEntry[] = [];
  const failures: string[] = [];
  let issued = 0;
  for (const req of requests.filter((r) => r.relationId === rel.id)) {
    if (out.some((c) => samePem(c.csr, req.csr))) continue;
    const have = current.find((c) => samePem(c.csr, req.csr));
    const info = have ? parseCertificate(have.certificate) : undefined;
    if (have && info && !have.revoked && samePem(have.ca, opts.caCertificate) && opts.now < info.notAfter) {
      out.push(have);
      continue;
    }
    try {
      const certificate = await opts.sign(req);
      out.push({
        ca: opts.caCertificate,
        csr: req.csr,
        certificate,
        chain: [certificate, opts.caCertificate],
        revoked: false,
      });
      issued += 1;
    } catch (e) {
      failures.push(`${req.unit ?? "app"}: ${(e as Error).message}`);
    }
  }
  return { bag: buildCertificatesBag(out), issued, failures };
}

/** The bag with every certificate marked revoked (the library's `revoke_all_certificates`). */
export function revokeAll(rel: RelationSnapshot): Databag | undefined {
  const existing = parseCertificatesBag(rel.localAppData ?? {});
  if (!existing.ok || existing.value.length === 0) return undefined;
  return buildCertificatesBag(existing.value.map((c) => ({ ...c, revoked: true })));
}

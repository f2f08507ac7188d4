/**
 * Server TLS from the `certificates` relation: what to ask for, and what the requirer's situation
 * means for the unit. The certificate is requested as the Python charm does (common name = the
 * application, DNS SAN = the unit's FQDN), plus the ingress host, so that the certificate also
 * holds for the name clients reach the unit by through ingress.
 */
import { type CsrAttributes, splitSans, type TlsRead } from "@charmkit/interfaces/tls-certificates";
import { splitUrl } from "@charmkit/interfaces/common";
import type { RejectedRelation, UnitStatus } from "./status.js";

/** The relation Prometheus gets its server certificate from. */
export const CERTIFICATES_ENDPOINT = "certificates";

/** What the charm asks for: CN = application (≤ 64 characters, the SANs carry the names). */
export function certificateRequest(
  app: string,
  fqdn: string,
  ingressUrl?: string | undefined,
): CsrAttributes {
  const names = [fqdn];
  const host = ingressUrl ? splitUrl(ingressUrl)?.hostname : undefined;
  if (host) names.push(host);
  return { commonName: app.slice(0, 64), ...splitSans(names), isCa: false, uniqueId: true };
}

/** The certificate Prometheus serves. */
export interface ServedCertificate {
  readonly cert: string;
  readonly key: string;
  /** The CA that signed it, installed in the workload's trust store. */
  readonly ca: string;
}

/** What the TLS situation means for the rest of the reconcile. */
export interface TlsFindings {
  readonly served?: ServedCertificate | undefined;
  /** A status while no certificate can be served although one is expected. */
  readonly status?: UnitStatus | undefined;
  readonly rejected: readonly RejectedRelation[];
}

/** Turns what the requirer read into what to serve and what to tell the operator. */
export function tlsFindings(read: TlsRead): TlsFindings {
  if (read.kind === "no-relation") return { rejected: [] };
  const who = `${read.remoteApp ?? "the provider"} (certificates)`;
  const rejected: RejectedRelation[] = [];
  const relation = `${CERTIFICATES_ENDPOINT}:${read.relationId}`;
  if (read.providerError) rejected.push({ relation, remoteApp: read.remoteApp, reason: read.providerError });
  for (const p of read.decision.problems) rejected.push({ relation, remoteApp: read.remoteApp, reason: p });
  const a = read.decision.assigned;
  const served = a ? { cert: a.certificate, key: a.privateKey, ca: a.ca } : undefined;
  switch (read.decision.state) {
    case "issued":
    case "replacing":
      return { served, rejected };
    case "revoked":
      return {
        rejected,
        status: {
          name: "waiting",
          message: `The certificate from ${who} was revoked; a new one is requested, serving plain HTTP meanwhile`,
        },
      };
    case "expired":
      return {
        rejected,
        status: {
          name: "waiting",
          message: `The certificate from ${who} expired; a new one is requested, serving plain HTTP meanwhile`,
        },
      };
    default:
      return {
        rejected,
        status: {
          name: "waiting",
          message: `Waiting for a certificate from ${who}; serving plain HTTP until it is issued`,
        },
      };
  }
}

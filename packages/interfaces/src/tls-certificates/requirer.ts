/**
 * The requirer's decisions, as a pure function of what one hook can read: the private key (kept in
 * a Juju secret), our CSRs (our unit bag) and the provider's certificates (its app bag).
 *
 * It follows the Python library (LIBPATCH 30, unit mode) on the wire and improves two behaviours:
 * - Make before break. A renewal (certificate past `renewalFraction` of its life) or a change of
 *   the requested names adds a new CSR and keeps serving the current certificate until the new one
 *   is issued; the Python library removes the old CSR first (its provider then withdraws the
 *   certificate) and would serve plain HTTP in between.
 * - A revoked or expired certificate is never served; a fresh CSR is sent at once. The Python
 *   library keeps serving a revoked certificate (`get_assigned_certificate` does not look at
 *   `revoked`).
 */
import { type CsrAttributes, type CsrInfo, sameAttributes } from "./attributes.js";
import {
  type CertificateInfo,
  certificateMatchesKey,
  parseCertificate,
  publicKeyDerOfPrivateKey,
  renewalTime,
} from "./pki.js";
import { type CertificateEntry, type CsrEntry, samePem } from "./wire.js";

/** The library's default: renew after 90% of a certificate's validity. */
export const DEFAULT_RENEWAL_FRACTION = 0.9;

/** What {@link decideRequirer} needs from one hook. */
export interface RequirerInputs {
  readonly desired: CsrAttributes;
  /** The private key (PEM), or `undefined` when none exists yet. */
  readonly privateKey: string | undefined;
  /** Our CSRs, parsed (`undefined` for one that is not a CSR), in bag order. */
  readonly ownCsrs: readonly { readonly entry: CsrEntry; readonly info: CsrInfo | undefined }[];
  /** The provider's certificates, or why its bag could not be read. */
  readonly certificates: readonly CertificateEntry[];
  readonly now: Date;
  readonly renewalFraction?: number | undefined;
}

/** The certificate to serve, with its key. */
export interface AssignedCertificate {
  readonly certificate: string;
  readonly ca: string;
  /** Leaf first; `[certificate]` when the provider sent no chain. */
  readonly chain: readonly string[];
  readonly privateKey: string;
  readonly notAfter: Date;
  readonly renewAt: Date;
  /** Issued for the names asked now (false while a replacement for changed names is pending). */
  readonly current: boolean;
}

/** Where the requirer stands, for status messages. */
export type RequirerState =
  /** No key yet: the publish step creates it and a CSR. */
  | "no-key"
  /** A CSR is out and nothing can be served yet. */
  | "requested"
  /** A certificate for the requested names is served. */
  | "issued"
  /** A certificate is served while its replacement (renewal or new names) is requested. */
  | "replacing"
  /** The only certificate was revoked or has expired; a new one is requested, none is served. */
  | "revoked"
  | "expired";

/** What {@link decideRequirer} decided, and the state the requirer is in. */
export interface RequirerDecision {
  readonly state: RequirerState;
  readonly assigned?: AssignedCertificate | undefined;
  /** The CSRs our bag must hold after this hook (before any new one). */
  readonly keep: readonly CsrEntry[];
  /** A new CSR for the desired names must be generated and added. */
  readonly requestNew: boolean;
  /** Provider data that was ignored, with the reason (a wrong key, a CA where a leaf was asked...). */
  readonly problems: readonly string[];
}

interface Candidate {
  readonly entry: CsrEntry;
  readonly matchesDesired: boolean;
  readonly cert?: { readonly entry: CertificateEntry; readonly info: CertificateInfo } | undefined;
  readonly verdict: "pending" | "valid" | "due" | "revoked" | "expired" | "invalid";
}

function judge(
  csr: { entry: CsrEntry; info: CsrInfo },
  certs: readonly CertificateEntry[],
  key: string,
  now: Date,
  fraction: number,
  problems: string[],
): Pick<Candidate, "cert" | "verdict"> {
  const entry = certs.find((c) => samePem(c.csr, csr.entry.csr));
  if (!entry) return { verdict: "pending" };
  const info = parseCertificate(entry.certificate);
  if (!info) {
    problems.push("the provider sent a certificate that is not PEM X.509; ignored");
    return { verdict: "invalid" };
  }
  if (info.isCa !== csr.entry.isCa) {
    problems.push(
      csr.entry.isCa
        ? "a CA certificate was requested but the provider sent a leaf; ignored"
        : "a leaf certificate was requested but the provider sent a CA; ignored",
    );
    return { verdict: "invalid" };
  }
  if (!certificateMatchesKey(info, key)) {
    problems.push("the provider's certificate does not match our private key; ignored");
    return { verdict: "invalid" };
  }
  const cert = { entry, info };
  if (entry.revoked) return { cert, verdict: "revoked" };
  if (now >= info.notAfter || now < info.notBefore) return { cert, verdict: "expired" };
  if (now >= renewalTime(info, fraction)) return { cert, verdict: "due" };
  return { cert, verdict: "valid" };
}

function assignedFrom(c: Candidate, key: string, fraction: number): AssignedCertificate | undefined {
  if (!c.cert) return undefined;
  const { entry, info } = c.cert;
  return {
    certificate: entry.certificate.trim(),
    ca: entry.ca.trim(),
    chain: entry.chain.length > 0 ? entry.chain.map((p) => p.trim()) : [entry.certificate.trim()],
    privateKey: key,
    notAfter: info.notAfter,
    renewAt: renewalTime(info, fraction),
    current: c.matchesDesired,
  };
}

function latest(cands: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of cands) {
    if (!best || (c.cert?.info.notAfter ?? 0) > (best.cert?.info.notAfter ?? 0)) best = c;
  }
  return best;
}

/** Decides what to serve, what to keep in our bag and whether to ask for a new certificate. */
export function decideRequirer(input: RequirerInputs): RequirerDecision {
  const fraction = input.renewalFraction ?? DEFAULT_RENEWAL_FRACTION;
  const key = input.privateKey;
  if (key === undefined) return { state: "no-key", keep: [], requestNew: true, problems: [] };
  const problems: string[] = [];
  const ourKey = publicKeyDerOfPrivateKey(key);

  const candidates: Candidate[] = [];
  for (const own of input.ownCsrs) {
    // A CSR that cannot be read, or was made with another key (the key was replaced), is dropped,
    // as the Python library's cleanup does.
    const info = own.info;
    if (info === undefined || !info.publicKeyDer.equals(ourKey)) continue;
    const matchesDesired = sameAttributes({ ...info, isCa: own.entry.isCa }, input.desired);
    const j = judge({ entry: own.entry, info }, input.certificates, key, input.now, fraction, problems);
    candidates.push({ entry: own.entry, matchesDesired, ...j });
  }

  const desired = candidates.filter((c) => c.matchesDesired);
  const settled = latest(desired.filter((c) => c.verdict === "valid"));
  if (settled) {
    return {
      state: "issued",
      assigned: assignedFrom(settled, key, fraction),
      keep: [settled.entry],
      requestNew: false,
      problems,
    };
  }

  // Nothing current and valid: serve the best usable certificate while a replacement is out.
  const usable = (c: Candidate) => c.verdict === "valid" || c.verdict === "due";
  const serving = latest(desired.filter(usable)) ?? latest(candidates.filter(usable));
  const pending = desired.filter((c) => c.verdict === "pending");
  const keep = candidates.filter((c) => c === serving || pending.includes(c)).map((c) => c.entry);
  const requestNew = pending.length === 0;
  if (serving) {
    return { state: "replacing", assigned: assignedFrom(serving, key, fraction), keep, requestNew, problems };
  }
  const dead =
    candidates.find((c) => c.verdict === "revoked") ?? candidates.find((c) => c.verdict === "expired");
  const state: RequirerState = dead?.verdict === "revoked" ? "revoked" : dead ? "expired" : "requested";
  return { state, keep, requestNew, problems };
}

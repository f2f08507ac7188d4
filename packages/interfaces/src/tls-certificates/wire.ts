/**
 * The databags of `tls-certificates` as Canonical's `tls_certificates_interface.v4` library (LIBPATCH
 * 30) writes them: the requirer's `certificate_signing_requests` (unit bag in unit mode, app bag in
 * app mode) and the provider's app key `certificates`. Pure parsing and building, no crypto: a bag
 * that is not the library's JSON is rejected with the key named, never thrown.
 */
import type { Databag } from "@charmkit/ops";
import { pyJsonDumps } from "../common/pyjson.js";
import { isRecord, parseJsonValue } from "../common/result.js";

/** The library's Charmhub id; its secret labels start with it, so a swap keeps the Python charm's key. */
export const TLS_LIBID = "afd8c2bccf834997afce12c2706d2ede";

/** Requirer bag key. */
export const CSRS_KEY = "certificate_signing_requests";
/** Provider app bag key. */
export const CERTIFICATES_KEY = "certificates";

/** One certificate signing request as the requirer publishes it. */
export interface CsrEntry {
  /** PEM, without a trailing newline (the library strips it). */
  readonly csr: string;
  readonly isCa: boolean;
}

/** One certificate as the provider publishes it. */
export interface CertificateEntry {
  /** The CA that signed it (PEM). */
  readonly ca: string;
  /** The CSR it answers (PEM, as the requirer sent it). */
  readonly csr: string;
  readonly certificate: string;
  /** Leaf first, then intermediates and root; empty when the provider sent none. */
  readonly chain: readonly string[];
  /** Set by the provider when it revoked the certificate (e.g. after its CA changed). */
  readonly revoked: boolean;
}

/** A parsed bag, or why it could not be used. */
export type WireResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/** `certificate_signing_requests` JSON, as pydantic dumps `_RequirerData` (`ca` always present). */
export function buildCsrsBag(entries: readonly CsrEntry[]): Databag {
  return {
    [CSRS_KEY]: pyJsonDumps(entries.map((e) => ({ certificate_signing_request: e.csr.trim(), ca: e.isCa }))),
  };
}

/**
 * The requests in a requirer bag. A missing key is an empty list (the library's default); a value
 * that is not a JSON list of `{certificate_signing_request: string, ca?: bool|null}` is an error.
 */
export function parseCsrsBag(bag: Databag): WireResult<CsrEntry[]> {
  const raw = bag[CSRS_KEY];
  if (raw === undefined || raw === "") return { ok: true, value: [] };
  const parsed = parseJsonValue(CSRS_KEY, raw);
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value)) return { ok: false, error: `'${CSRS_KEY}' must be a JSON list` };
  const out: CsrEntry[] = [];
  for (const [i, item] of parsed.value.entries()) {
    if (!isRecord(item) || typeof item.certificate_signing_request !== "string") {
      return { ok: false, error: `'${CSRS_KEY}'[${i}] needs a string 'certificate_signing_request'` };
    }
    if (item.ca !== undefined && item.ca !== null && typeof item.ca !== "boolean") {
      return { ok: false, error: `'${CSRS_KEY}'[${i}].ca must be a boolean` };
    }
    out.push({ csr: item.certificate_signing_request, isCa: item.ca === true });
  }
  return { ok: true, value: out };
}

/**
 * `certificates` JSON, as pydantic dumps `_ProviderApplicationData` with `exclude_defaults`: keys in
 * the model's order, `revoked` only when true.
 */
export function buildCertificatesBag(entries: readonly CertificateEntry[]): Databag {
  const list = entries.map((e) => {
    const item: Record<string, string | boolean | string[]> = {
      ca: e.ca,
      certificate_signing_request: e.csr,
      certificate: e.certificate,
      chain: [...e.chain],
    };
    if (e.revoked) item.revoked = true;
    return item;
  });
  return { [CERTIFICATES_KEY]: pyJsonDumps(list) };
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : undefined;
}

/** The certificates in a provider app bag; a missing key is an empty list. */
export function parseCertificatesBag(bag: Databag): WireResult<CertificateEntry[]> {
  const raw = bag[CERTIFICATES_KEY];
  if (raw === undefined || raw === "") return { ok: true, value: [] };
  const parsed = parseJsonValue(CERTIFICATES_KEY, raw);
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value)) return { ok: false, error: `'${CERTIFICATES_KEY}' must be a JSON list` };
  const out: CertificateEntry[] = [];
  for (const [i, item] of parsed.value.entries()) {
    const where = `'${CERTIFICATES_KEY}'[${i}]`;
    if (!isRecord(item)) return { ok: false, error: `${where} must be an object` };
    for (const k of ["ca", "certificate_signing_request", "certificate"]) {
      if (typeof item[k] !== "string") return { ok: false, error: `${where} needs a string '${k}'` };
    }
    const chain = item.chain === undefined || item.chain === null ? [] : stringList(item.chain);
    if (chain === undefined) return { ok: false, error: `${where}.chain must be a list of strings` };
    if (item.revoked !== undefined && item.revoked !== null && typeof item.revoked !== "boolean") {
      return { ok: false, error: `${where}.revoked must be a boolean` };
    }
    out.push({
      ca: item.ca as string,
      csr: item.certificate_signing_request as string,
      certificate: item.certificate as string,
      chain,
      revoked: item.revoked === true,
    });
  }
  return { ok: true, value: out };
}

/** PEM texts compare equal whatever their surrounding whitespace (the library strips CSRs). */
export function samePem(a: string, b: string): boolean {
  return a.trim() === b.trim();
}

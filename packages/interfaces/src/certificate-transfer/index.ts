/**
 * `certificate_transfer` interface library, both sides, wire-compatible with Canonical's
 * `charms.certificate_transfer_interface.v1.certificate_transfer` (LIBPATCH 15), which speaks v1 and
 * falls back to v0.
 *
 * - Requirer (Prometheus' `receive-ca-cert`): the leader writes app key `version` = `1` as a hint;
 *   certificates are read from the provider's app key `certificates` (v1, a JSON list), or, when that
 *   is empty, from a provider unit's v0 keys `ca`/`certificate`/`chain`.
 * - Provider: writes v1 (`certificates`, `version` in its app bag, leader only) when the requirer
 *   said `version` 1, else v0 in every unit's bag, as the Python provider does.
 */
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import { pyJsonDumps } from "../common/pyjson.js";
import {
  compareUnitNames,
  type ParseResult,
  parseJsonValue,
  type Rejection,
  reject,
} from "../common/result.js";
import type { ModelLike } from "../common/sdk.js";

/** Prometheus' endpoint name. */
export const RECEIVE_CA_CERT_ENDPOINT = "receive-ca-cert";

/** The requirer's app bag: the version hint (pydantic dumps `1` as JSON). */
export function buildRequirerAppData(): Databag {
  return { version: "1" };
}

/** The certificates one provider sent. */
export interface TransferredCertificates {
  readonly relationId: number;
  readonly app: string | undefined;
  /** Sorted PEM texts (the library keeps a set). */
  readonly certificates: readonly string[];
  readonly version: 0 | 1;
}

function pemLike(v: string): boolean {
  return v.includes("-----BEGIN");
}

/** A v0 value: JSON-encoded by the v1 library's pydantic dump, plain text by the old v0 library. */
function v0String(raw: string): string {
  const p = parseJsonValue("v0", raw);
  return p.ok && typeof p.value === "string" ? p.value : raw;
}

function readV0(rel: RelationSnapshot): string[] | { error: string; unit: string } | undefined {
  const unit = Object.keys(rel.remoteUnitsData).sort(compareUnitNames)[0];
  if (unit === undefined) return undefined;
  const bag = rel.remoteUnitsData[unit] ?? {};
  if (bag.chain !== undefined && bag.chain !== "") {
    const p = parseJsonValue("chain", bag.chain);
    if (!p.ok) return { error: p.error, unit };
    if (!Array.isArray(p.value) || !p.value.every((x) => typeof x === "string"))
      return { error: "'chain' must be a JSON list of PEM strings", unit };
    return p.value as string[];
  }
  // The library's v0 model needs both `ca` and `certificate`; a bag with neither has sent nothing.
  if (!bag.ca || !bag.certificate) return undefined;
  return [v0String(bag.ca)];
}

/**
 * Requirer side: the certificates of every relation, v1 first and v0 as the library's fallback.
 * Relations that sent nothing yet are skipped; malformed data rejects that relation only; entries
 * that are not PEM are rejected.
 */
export function parseTransferredCertificates(
  relations: readonly RelationSnapshot[],
): ParseResult<TransferredCertificates> {
  const accepted: TransferredCertificates[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    let certs: string[] = [];
    let version: 0 | 1 = 1;
    const raw = rel.remoteAppData.certificates;
    if (raw !== undefined && raw !== "") {
      const p = parseJsonValue("certificates", raw);
      if (!p.ok) {
        rejected.push(reject(rel.id, p.error));
        continue;
      }
      if (!Array.isArray(p.value) || !p.value.every((x) => typeof x === "string")) {
        rejected.push(reject(rel.id, "'certificates' must be a JSON list of PEM strings"));
        continue;
      }
      certs = p.value as string[];
    }
    if (certs.length === 0) {
      const v0 = readV0(rel);
      if (v0 !== undefined && !Array.isArray(v0)) {
        rejected.push(reject(rel.id, v0.error, v0.unit));
        continue;
      }
      if (v0 === undefined) continue;
      certs = v0;
      version = 0;
    }
    const notPem = certs.filter((c) => !pemLike(c));
    if (notPem.length > 0) {
      rejected.push(
        reject(
          rel.id,
          `${notPem.length} entr${notPem.length === 1 ? "y is" : "ies are"} not PEM certificates`,
        ),
      );
      certs = certs.filter(pemLike);
    }
    if (certs.length === 0) continue;
    accepted.push({
      relationId: rel.id,
      app: rel.remoteApp,
      certificates: [...new Set(certs.map((c) => c.trim()))].sort(),
      version,
    });
  }
  return { accepted, rejected };
}

/** Every certificate of every relation, de-duplicated and sorted (the library's `get_all_certificates`). */
export function allCertificates(entries: readonly TransferredCertificates[]): string[] {
  return [...new Set(entries.flatMap((e) => e.certificates))].sort();
}

/** What a provider writes on one relation, depending on the version its requirer asked for. */
export interface ProviderBags {
  /** v1: the provider's app bag (leader only). */
  readonly app?: Databag | undefined;
  /** v0: each provider unit's bag. */
  readonly unit?: Databag | undefined;
}

/**
 * The provider's bags for `certificates` given the requirer's app bag: v1 when it says `version` 1
 * (`{certificates, version}` in the app bag), else v0 in the unit bag, each value JSON-encoded as
 * the library's pydantic model dumps it (`ca` and `certificate` are the first certificate).
 */
export function buildProviderBags(requirerAppData: Databag, certificates: readonly string[]): ProviderBags {
  const certs = [...new Set(certificates.map((c) => c.trim()))].sort();
  if (requirerAppData.version === "1") {
    return { app: { certificates: pyJsonDumps(certs), version: "1" } };
  }
  const first = certs[0];
  if (first === undefined) return { unit: {} };
  return {
    unit: {
      ca: pyJsonDumps(first),
      certificate: pyJsonDumps(first),
      chain: pyJsonDumps(certs),
      version: "0",
    },
  };
}

/** SDK binding, requirer: the leader states version 1 on every relation (the library does it on -created). */
export function requestVersion1(model: ModelLike, endpoint = RECEIVE_CA_CERT_ENDPOINT): void {
  if (!model.unit.isLeader()) return;
  for (const rel of model.relations(endpoint)) rel.localAppData.update(buildRequirerAppData());
}

/** SDK binding, requirer: what every provider sent. */
export function readTransferredCertificates(
  model: ModelLike,
  endpoint = RECEIVE_CA_CERT_ENDPOINT,
): ParseResult<TransferredCertificates> {
  return parseTransferredCertificates(model.relations(endpoint).map((r) => r.snapshot()));
}

/** SDK binding, provider: sends `certificates` on every relation of `endpoint`, in the version each requirer reads. */
export function publishCertificates(
  model: ModelLike,
  endpoint: string,
  certificates: readonly string[],
): void {
  for (const rel of model.relations(endpoint)) {
    const bags = buildProviderBags(rel.snapshot().remoteAppData, certificates);
    if (bags.app && model.unit.isLeader()) rel.localAppData.update(bags.app);
    if (bags.unit && Object.keys(bags.unit).length > 0) rel.localUnitData.update(bags.unit);
  }
}

/**
 * The result shape every interface parser returns: what was usable, and what was not and why.
 *
 * Parsers never throw on remote data; one bad relation or unit ends up in `rejected` and the rest
 * keeps working. Charms turn `rejected` into status messages and logs.
 */

/** One piece of remote data that could not be used. */
export interface Rejection {
  /** Juju relation id the data came from. */
  readonly relationId: number;
  /** Remote unit name when the problem is in a unit bag; absent for app-bag problems. */
  readonly unit?: string;
  /** Human-readable reason, naming the databag key at fault. */
  readonly reason: string;
}

/** Accepted items and rejections from parsing a set of relations. */
export interface ParseResult<T> {
  readonly accepted: T[];
  readonly rejected: Rejection[];
}

/** Builds a rejection, leaving `unit` out when it is not known. */
export function reject(relationId: number, reason: string, unit?: string): Rejection {
  return unit === undefined ? { relationId, reason } : { relationId, unit, reason };
}

/** The outcome of parsing one JSON-encoded databag value. */
export type JsonParse = { ok: true; value: unknown } | { ok: false; error: string };

/** Parses a JSON databag value without throwing; the error names the key. */
export function parseJsonValue(key: string, raw: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (e) {
    return { ok: false, error: `'${key}' is not valid JSON: ${(e as Error).message}` };
  }
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Compares Juju unit names by application, then numerically by unit number (`app/2` < `app/10`). */
export function compareUnitNames(a: string, b: string): number {
  const [appA = "", numA = ""] = a.split("/");
  const [appB = "", numB = ""] = b.split("/");
  if (appA !== appB) return appA < appB ? -1 : 1;
  const na = Number(numA);
  const nb = Number(numB);
  if (Number.isInteger(na) && Number.isInteger(nb) && na !== nb) return na - nb;
  return numA < numB ? -1 : numA > numB ? 1 : 0;
}

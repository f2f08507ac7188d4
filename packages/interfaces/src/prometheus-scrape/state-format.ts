/**
 * The state-file formats the `prometheus-scrape` command reads (the fixtures' consumer and
 * provider formats): the error type and the checks shared by `render` and `provide`.
 */

import type { Databag } from "@charmkit/ops";
import { isRecord } from "../common/result.js";

/** Thrown for a state file that is not in the expected format; the message names the field. */
export class StateFormatError extends Error {
  override readonly name = "StateFormatError";
}

export function str(v: unknown, field: string): string {
  if (typeof v !== "string") throw new StateFormatError(`'${field}' must be a string`);
  return v;
}

export function optStr(v: unknown, field: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, field);
}

/** True for an object whose values are all strings (a well-formed databag). */
export function isStringBag(v: unknown): v is Databag {
  if (!isRecord(v)) return false;
  for (const k in v) if (typeof v[k] !== "string") return false;
  return true;
}

/** Checks a databag of the state, naming `field` in the error. Parsed for this run, so not copied. */
export function bag(v: unknown, field: string): Databag {
  if (v === undefined || v === null) return {};
  if (isStringBag(v)) return v;
  if (!isRecord(v)) throw new StateFormatError(`'${field}' must be an object of strings`);
  for (const k in v) str(v[k], `${field}.${k}`);
  return v as Databag;
}

/**
 * The state's relations. A state always has a `relations` list (empty for a model without any): a
 * JSON file without one is another kind of file (say an expected-output fixture), refused rather
 * than read as an empty model.
 */
export function relationsOf(state: Record<string, unknown>): Record<string, unknown>[] {
  const rels = state.relations;
  if (rels === undefined)
    throw new StateFormatError(
      `not a state: it has no 'relations' list (keys: ${Object.keys(state).join(", ") || "none"})`,
    );
  if (!Array.isArray(rels) || !rels.every(isRecord))
    throw new StateFormatError("'relations' must be a list of objects");
  return rels;
}

export function relationId(rel: Record<string, unknown>, i: number): number {
  if (!Number.isInteger(rel.id)) throw new StateFormatError(`'relations[${i}].id' must be an integer`);
  return rel.id as number;
}

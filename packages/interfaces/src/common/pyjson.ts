/**
 * Python `json.dumps`-compatible encoding for the interface libraries.
 *
 * Relation data written by the Python charm libraries is `json.dumps` output: `", "` and `": "`
 * separators, insertion key order, `ensure_ascii=True`. Matching it byte for byte keeps our writes
 * identical to the Python charm's, so a swap-in causes no `relation-changed` storm. The encoder
 * itself lives in the prometheus-scrape library (its dedupe hash depends on it); this module
 * re-exports it under a value type, so there is exactly one implementation.
 */
import { PyJsonDumpsError, pyJsonDumps as encode } from "../prometheus-scrape/jobs.js";

/** A value `pyJsonDumps` can encode. `undefined` object members are skipped, like `JSON.stringify`. */
export type PyJsonValue =
  | null
  | boolean
  | number
  | string
  | readonly PyJsonValue[]
  | { readonly [key: string]: PyJsonValue | undefined };

/** Thrown for values Python's encoder would also refuse (non-finite numbers). */
export const PyJsonError = PyJsonDumpsError;

/**
 * Encodes `value` exactly as Python's `json.dumps(value)` would.
 *
 * @example pyJsonDumps({ url: "http://x:9090" }) // '{"url": "http://x:9090"}'
 */
export function pyJsonDumps(value: PyJsonValue): string {
  return encode(value);
}

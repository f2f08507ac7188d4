/**
 * A JSON encoder that produces the same text as Python's `json.dumps(obj)` with default arguments.
 *
 * Relation data written by the Python charm libraries is `json.dumps` output: `", "` and `": "`
 * separators, insertion key order, and `ensure_ascii=True` (every non-ASCII code unit escaped as
 * `\uXXXX`). Matching it byte for byte keeps our writes identical to the Python charm's, so a
 * swap-in does not cause a `relation-changed` storm and fixtures compare exactly.
 */

/** A value `pyJsonDumps` can encode. `undefined` object members are skipped, like `JSON.stringify`. */
export type PyJsonValue =
  | null
  | boolean
  | number
  | string
  | readonly PyJsonValue[]
  | { readonly [key: string]: PyJsonValue | undefined };

/** Thrown for values Python's encoder would also refuse (non-finite numbers need `allow_nan`, which we do not emulate). */
export class PyJsonError extends Error {
  override readonly name = "PyJsonError";
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

function encodeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    const esc = ESCAPES[ch];
    if (esc !== undefined) out += esc;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

function encodeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new PyJsonError(`cannot encode non-finite number ${n}`);
  // Python prints integral floats as `1.0`, but values that reach us from JSON or TypeScript code
  // are integers in the Python libraries' own data (ports, counts), so integral numbers print bare.
  if (Number.isInteger(n)) return String(n);
  // Python's float repr and JS's shortest round-trip form agree on the digits; Python pads the
  // exponent to two digits. (They also differ on where exponent notation starts, 1e-5 versus 1e-7;
  // such values do not occur in relation data.)
  const s = String(n);
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s);
  return m ? `${m[1]}e${m[2]}${m[3]!.padStart(2, "0")}` : s;
}

/**
 * Encodes `value` exactly as Python's `json.dumps(value)` would.
 *
 * @example pyJsonDumps({ url: "http://x:9090" }) // '{"url": "http://x:9090"}'
 */
export function pyJsonDumps(value: PyJsonValue): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return encodeNumber(value);
    case "string":
      return encodeString(value);
  }
  if (Array.isArray(value)) {
    return `[${(value as readonly PyJsonValue[]).map((v) => pyJsonDumps(v)).join(", ")}]`;
  }
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as { readonly [key: string]: PyJsonValue | undefined })) {
    if (v === undefined) continue;
    parts.push(`${encodeString(k)}: ${pyJsonDumps(v)}`);
  }
  return `{${parts.join(", ")}}`;
}

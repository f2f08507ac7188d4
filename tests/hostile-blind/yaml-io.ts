/**
 * YAML in and out for the runner, kept independent of the code under test:
 * - `yamlSafeJson` writes any JSON value as JSON that Go's yaml.v2 reads back unchanged (JSON is
 *   YAML; every non-ASCII character is escaped, astral ones as \U........, since yaml.v2 refuses
 *   surrogate escapes and treats raw U+0085/U+2028 as line breaks);
 * - `readYamlLikeV2` reads what the charm wrote the way yaml.v2 fills Prometheus' string fields:
 *   every scalar as its text (`yes` stays "yes"), plain null scalars as null, `<<` merges.
 */
import { isScalar, parseDocument, visit } from "yaml";

// In JSON.stringify's output: an escaped backslash (kept as it is, so that the text after it is
// not read as an escape), a \u escape of a lone surrogate, or a character to escape.
const TO_ESCAPE = /\\\\|\\u(d[89a-f][0-9a-f]{2})|[\u007f-\u{10ffff}]/gu;

/**
 * `value` as JSON text that yaml.v2 reads as the same value. Lone surrogates, which UTF-8 cannot
 * carry, become U+FFFD.
 */
export function yamlSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(TO_ESCAPE, (m: string, surrogate: string | undefined) => {
    if (m === "\\\\") return m;
    if (surrogate !== undefined) return "\\ufffd";
    const cp = m.codePointAt(0) as number;
    return cp > 0xffff ? `\\U${cp.toString(16).padStart(8, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
  });
}

const PLAIN_NULL = /^(~|null|Null|NULL|)$/;

/** Parses YAML text the way yaml.v2 fills string fields; throws on a YAML error. */
export function readYamlLikeV2(text: string): unknown {
  // Duplicate keys are left to promtool (the yaml library's own check is quadratic in map size).
  const doc = parseDocument(text, {
    schema: "failsafe",
    merge: true,
    uniqueKeys: false,
    prettyErrors: false,
  });
  if (doc.errors.length) throw new Error(`YAML error: ${doc.errors[0]?.message}`);
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && node.type === "PLAIN" && PLAIN_NULL.test(String(node.source ?? node.value)))
        node.value = null;
    },
  });
  return doc.toJS({ maxAliasCount: 1000 });
}

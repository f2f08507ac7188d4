/**
 * YAML in and out for the runner, kept independent of the code under test:
 * - `yamlSafeJson` writes any JSON value as JSON that Go's yaml.v2 reads back unchanged (JSON is
 *   YAML; every non-ASCII character is escaped, astral ones as \U........, since yaml.v2 refuses
 *   surrogate escapes and treats raw U+0085/U+2028 as line breaks);
 * - `readYamlLikeV2` reads what the charm wrote the way yaml.v2 fills Prometheus' string fields:
 *   every scalar as its text (`yes` stays "yes"), plain null scalars as null, `<<` merges.
 */
import { isScalar, parseDocument, visit } from "yaml";

function escapeCodePoint(cp: number): string {
  if (cp > 0xffff) return `\\U${cp.toString(16).padStart(8, "0")}`;
  return `\\u${cp.toString(16).padStart(4, "0")}`;
}

/**
 * `value` as JSON text that yaml.v2 reads as the same value. Lone surrogates, which UTF-8 cannot
 * carry, become U+FFFD.
 */
export function yamlSafeJson(value: unknown): string {
  const text = JSON.stringify(value);
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      // An escape JSON.stringify wrote: \uXXXX only for controls and lone surrogates.
      const n = text[i + 1];
      if (n === "u") {
        const hex = text.slice(i + 2, i + 6);
        const v = Number.parseInt(hex, 16);
        out += v >= 0xd800 && v <= 0xdfff ? "\\ufffd" : `\\u${hex}`;
        i += 6;
      } else {
        out += `\\${n}`;
        i += 2;
      }
      continue;
    }
    if (c < 0x7f) {
      out += text[i];
      i++;
      continue;
    }
    const cp = text.codePointAt(i) as number;
    out += escapeCodePoint(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return out;
}

const PLAIN_NULL = /^(~|null|Null|NULL|)$/;

/** Parses YAML text the way yaml.v2 fills string fields; throws on a YAML error. */
export function readYamlLikeV2(text: string): unknown {
  const doc = parseDocument(text, { schema: "failsafe", merge: true, prettyErrors: false });
  if (doc.errors.length) throw new Error(`YAML error: ${doc.errors[0]?.message}`);
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && node.type === "PLAIN" && PLAIN_NULL.test(String(node.source ?? node.value)))
        node.value = null;
    },
  });
  return doc.toJS({ maxAliasCount: 1000 });
}

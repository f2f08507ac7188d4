/**
 * Reads `relation-set --file` and `state-set --file` data the way Juju does: gopkg.in/yaml.v2
 * unmarshalling into a `map[string]string`. That means yaml.v2's reader rules (control characters
 * U+007F-U+0084 and U+0086-U+009F and other C0 controls are refused anywhere in the input, NEL is
 * a line break), scalars kept as their text (`0x10`, `yes`, `1.50` stay as written), plain nulls
 * (`~`, `null`, empty) becoming "" (which relation-set takes as a deletion), `<<` merge keys,
 * duplicate keys allowed (the last wins), and nested maps or lists refused with yaml.v2's
 * "cannot unmarshal" errors. The parsing itself is the `yaml` package's, in YAML 1.1 mode.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";

/** A settings file that yaml.v2 would refuse; the message is what Juju prints after `ERROR `. */
export class SettingsYamlError extends Error {
  override name = "SettingsYamlError";
}

const NULLS = new Set(["", "~", "null", "Null", "NULL"]);

/** yaml.v2's reader: which code points may appear in a YAML stream at all. */
function allowed(c: number): boolean {
  return (
    c === 0x09 ||
    c === 0x0a ||
    c === 0x0d ||
    (c >= 0x20 && c <= 0x7e) ||
    c === 0x85 ||
    (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}

function shortValue(v: string): string {
  return v.length > 10 ? `\`${v.slice(0, 7)}...\`` : `\`${v}\``;
}

/**
 * Parses settings data as Juju's relation-set/state-set do.
 * @returns key to value ("" for nulls); an empty document gives `{}`
 * @throws SettingsYamlError with yaml.v2's message
 */
export function parseSettingsYaml(data: Uint8Array | string): Record<string, string> {
  let text: string;
  if (typeof data === "string") text = data;
  else {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(data);
    } catch {
      throw new SettingsYamlError("yaml: invalid leading UTF-8 octet");
    }
  }
  if (text.startsWith("\ufeff")) text = text.slice(1);
  for (const ch of text) {
    if (!allowed(ch.codePointAt(0)!)) throw new SettingsYamlError("yaml: control characters are not allowed");
  }
  // yaml.v2 reads NEL as a line break everywhere (read_line turns it into "\n").
  text = text.replace(/\u0085/g, "\n");
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    version: "1.1",
    schema: "failsafe",
    merge: true,
    uniqueKeys: false,
    lineCounter: lines,
  });
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (doc === undefined) return {};
  const err = doc.errors[0];
  if (err) throw new SettingsYamlError(`yaml: ${err.message.split("\n")[0]}`);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.type === "PLAIN" && NULLS.has(String(root.value ?? "")))) {
    return {};
  }
  const lineOf = (n: Node): number => lines.linePos(n.range?.[0] ?? 0).line;
  const problems: string[] = [];
  const resolveAlias = (n: unknown): unknown => (isAlias(n) ? n.resolve(doc) : n);
  const scalarText = (n: unknown): string | undefined => {
    const x = resolveAlias(n);
    if (x === null || x === undefined) return "";
    if (!isScalar(x)) {
      problems.push(
        `line ${lineOf(x as Node)}: cannot unmarshal ${isSeq(x) ? "!!seq" : "!!map"} into string`,
      );
      return undefined;
    }
    const raw = x.value === null || x.value === undefined ? "" : String(x.value);
    if (x.type === "PLAIN" && NULLS.has(raw) && x.tag === undefined) return "";
    if (x.tag === "tag:yaml.org,2002:binary")
      return Buffer.from(raw.replace(/\s+/g, ""), "base64").toString();
    return raw;
  };
  const out: Record<string, string> = {};
  const fill = (map: unknown, explicit: boolean): void => {
    const m = resolveAlias(map);
    if (!isMap(m)) {
      const what = isSeq(m)
        ? "!!seq"
        : `!!str ${shortValue(String((m as { value?: unknown })?.value ?? ""))}`;
      problems.push(`line ${lineOf(m as Node)}: cannot unmarshal ${what} into map[string]string`);
      return;
    }
    const merges: unknown[] = [];
    for (const pair of m.items) {
      const k = pair.key as unknown;
      const isMerge =
        typeof k === "symbol" || (isScalar(k) && (k.value === "<<" || typeof k.value === "symbol"));
      if (isMerge) {
        const v = resolveAlias(pair.value);
        if (isSeq(v)) merges.push(...v.items);
        else merges.push(v);
        continue;
      }
      const key = scalarText(k);
      const value = scalarText(pair.value);
      if (key === undefined || value === undefined) continue;
      if (explicit || !(key in out)) out[key] = value;
    }
    // Merged maps never override keys the map sets itself.
    const own = { ...out };
    for (const src of merges) fill(src, false);
    Object.assign(out, own);
  };
  fill(root, true);
  if (problems.length > 0) throw new SettingsYamlError(`yaml: unmarshal errors:\n  ${problems.join("\n  ")}`);
  return out;
}

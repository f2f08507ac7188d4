/**
 * YAML text of the big parts of the configuration (each scrape job, each rule file) remembered by
 * a digest of the value it was made from, and kept between hooks in the charm's cache directory:
 * a hook re-serialises only the jobs and rule files whose content changed. Serialising is most of
 * a large model's render (the yaml library writes 5.7 MiB of prometheus.yml for 2,000 apps in
 * seconds); a digest of the value's JSON costs a few per cent of that.
 *
 * Exactness: the text is a pure function of the value, and the key identifies the value. JSON
 * alone does not (it writes Infinity, NaN and undefined array items as null and -0 as 0, which the
 * YAML writer tells apart), so numbers that are not plain finite non-negative-zero values and
 * undefined array items are tagged in the key. A lost or foreign file only costs serialising
 * again.
 */
import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";

/** The file in the charm's cache directory. */
export const YAML_MEMO_FILE = ".yaml-memo.json";
// 2: the YAML writer escapes what Go's YAML readers refuse (issue 11); texts of the earlier writer
// must not be reused after an upgrade.
const FORMAT = 2;

const memo = new Map<string, string>();
/** Keys used since the last save: only those are saved, so the file follows the model. */
const used = new Set<string>();
let added = false;

// A key JSON cannot tell from another value gets a tag JSON text never holds unescaped.
function replacer(this: unknown, _key: string, v: unknown): unknown {
  if (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0)))
    return `\u0000n:${Object.is(v, -0) ? "-0" : String(v)}`;
  if (v === undefined && Array.isArray(this)) return "\u0000u";
  return v;
}

function keyOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value, replacer)).digest("base64");
}

/** `dump(value)`, from the memo when this value was dumped before (in this hook or an earlier one). */
export function memoDump(value: unknown, dump: (value: unknown) => string): string {
  const key = keyOf(value);
  used.add(key);
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const text = dump(value);
  memo.set(key, text);
  added = true;
  return text;
}

/** Loads the memo a previous hook kept; a missing or unreadable file leaves it empty. */
export function loadYamlMemo(path: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return;
  }
  if (typeof doc !== "object" || doc === null || (doc as { format?: unknown }).format !== FORMAT) return;
  const entries = (doc as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) return;
  for (const e of entries) {
    if (Array.isArray(e) && typeof e[0] === "string" && typeof e[1] === "string") memo.set(e[0], e[1]);
  }
}

/**
 * Writes the entries used since the last save (when any was added or one went unused), and
 * forgets the others. Failure to write only costs serialising again.
 */
export function saveYamlMemo(path: string): void {
  const stale = memo.size !== used.size;
  if (!added && !stale) {
    used.clear();
    return;
  }
  for (const k of [...memo.keys()]) if (!used.has(k)) memo.delete(k);
  const text = JSON.stringify({ format: FORMAT, entries: [...memo] });
  used.clear();
  added = false;
  try {
    writeFileSync(`${path}.tmp`, text, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  } catch {
    // Only a cache.
  }
}

/** Empties the memo (tests). */
export function resetYamlMemo(): void {
  memo.clear();
  used.clear();
  added = false;
}

/** Test support: the charm's bundled alert rule files (../alert_rules), parsed, by file name. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const DIR = join(import.meta.dirname, "..", "alert_rules");

/** Every bundled rule file's single rule, keyed by file name, in file-name order. */
export function loadRules(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const f of readdirSync(DIR).sort()) out[f] = parse(readFileSync(join(DIR, f), "utf8"));
  return out;
}

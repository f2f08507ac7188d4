/**
 * The PromQL parse cache kept in a file between processes (each Juju hook is a new process), next
 * to the charm's other unit-local state. Reading and writing never fail the caller: a missing,
 * unreadable or corrupt file only means expressions are parsed again.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { dumpParseCache, loadParseCache, parseCacheChanged } from "./promql.js";

/** Loads the cache file at `path` if there is one; returns how many expressions it added. */
export function loadParseCacheFile(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return 0;
  }
  return loadParseCache(text);
}

/**
 * Writes the cache to `path` (mode 0600, replaced atomically) when expressions were parsed since it
 * was loaded or last written. Returns whether it wrote.
 */
export function saveParseCacheFile(path: string, limit?: number): boolean {
  if (!parseCacheChanged()) return false;
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, dumpParseCache(limit), { mode: 0o600 });
    renameSync(tmp, path);
    return true;
  } catch {
    return false;
  }
}

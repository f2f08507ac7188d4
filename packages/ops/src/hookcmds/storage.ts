/** Storage hook tools: storage-list, storage-get, storage-add. */

import type { StorageInfo } from "../backend.js";
import { HookOutputError } from "../errors.js";
import { asObject, asStringList, type Runner } from "./run.js";

/** `storage-list --format=json <name>`. */
export function storageList(run: Runner, name: string): string[] {
  return asStringList("storage-list", run.json("storage-list", ["--format=json", name]));
}

/** `storage-get --format=json -s <id>`. */
export function storageGet(run: Runner, id: string): StorageInfo {
  const o = asObject("storage-get", run.json("storage-get", ["--format=json", "-s", id]));
  if (typeof o.location !== "string") {
    throw new HookOutputError("storage-get", JSON.stringify(o), "missing location");
  }
  return { kind: typeof o.kind === "string" ? o.kind : "", location: o.location };
}

/** `storage-add name=count ...` (sorted by name). */
export function storageAdd(run: Runner, counts: Readonly<Record<string, number>>): void {
  const args = Object.keys(counts)
    .sort()
    .map((k) => `${k}=${counts[k]}`);
  if (args.length > 0) run.text("storage-add", args);
}

/**
 * Secret hook tools. Secret content never goes on argv: each value is written to a 0600 temp
 * file passed as `key#file=<path>`, and the files are removed right after the call.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SecretAddArgs, SecretFields, SecretInfo, SecretLookup, SecretSetArgs } from "../backend.js";
import { HookOutputError } from "../errors.js";
import { asObject, asStringList, asStringMap, type Runner } from "./run.js";

const CONTENT_KEY_RE = /^[a-z](?:-?[a-z0-9]){2,}$/;

function fieldArgs(f: SecretFields): string[] {
  const args: string[] = [];
  if (f.label !== undefined) args.push("--label", f.label);
  if (f.description !== undefined) args.push("--description", f.description);
  if (f.expire !== undefined) {
    args.push("--expire", f.expire instanceof Date ? f.expire.toISOString() : f.expire);
  }
  if (f.rotate !== undefined) args.push("--rotate", f.rotate);
  return args;
}

function withContentFiles<T>(
  content: Readonly<Record<string, string>> | undefined,
  fn: (contentArgs: string[]) => T,
): T {
  const keys = Object.keys(content ?? {}).sort();
  if (!content || keys.length === 0) return fn([]);
  for (const k of keys) {
    if (!CONTENT_KEY_RE.test(k)) {
      throw new RangeError(
        `secret content key "${k}" must be lowercase letters, digits and "-", at least 3 chars`,
      );
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "charmkit-secret-"));
  try {
    const args = keys.map((k) => {
      const p = join(dir, k);
      writeFileSync(p, content[k] ?? "", { mode: 0o600 });
      return `${k}#file=${p}`;
    });
    return fn(args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `secret-add [fields] [--owner o] k#file=... ` → the new secret's URI. */
export function secretAdd(run: Runner, a: SecretAddArgs): string {
  return withContentFiles(a.content, (contentArgs) => {
    const args = fieldArgs(a);
    if (a.owner !== undefined) args.push("--owner", a.owner);
    const out = run.text("secret-add", [...args, ...contentArgs]).trim();
    if (!out) throw new HookOutputError("secret-add", out, "no secret id printed");
    return out;
  });
}

function lookupArgs(cmd: string, l: SecretLookup): string[] {
  const args: string[] = [];
  if (l.id !== undefined) args.push(l.id);
  if (l.label !== undefined) args.push("--label", l.label);
  if (args.length === 0) throw new RangeError(`${cmd}: a secret id or a label is required`);
  return args;
}

/** `secret-get --format=json <id> [--label L] [--refresh|--peek]`. */
export function secretGet(
  run: Runner,
  l: SecretLookup,
  opts: { refresh?: boolean; peek?: boolean } = {},
): Record<string, string> {
  const args = ["--format=json", ...lookupArgs("secret-get", l)];
  if (opts.refresh) args.push("--refresh");
  else if (opts.peek) args.push("--peek");
  return asStringMap("secret-get", run.json("secret-get", args));
}

/** `secret-info-get --format=json <id>` or `--label L` (one of them, id preferred). */
export function secretInfoGet(run: Runner, l: SecretLookup): SecretInfo {
  const args = ["--format=json"];
  if (l.id !== undefined) args.push(l.id);
  else if (l.label !== undefined) args.push("--label", l.label);
  else throw new RangeError("secret-info-get: a secret id or a label is required");
  const o = asObject("secret-info-get", run.json("secret-info-get", args));
  const [id, raw] = Object.entries(o)[0] ?? [];
  if (id === undefined) throw new HookOutputError("secret-info-get", JSON.stringify(o), "empty result");
  const info = asObject("secret-info-get", raw);
  const str = (k: string) => (typeof info[k] === "string" ? (info[k] as string) : undefined);
  return {
    id,
    revision: typeof info.revision === "number" ? info.revision : 0,
    label: str("label"),
    description: str("description"),
    expiry: str("expiry"),
    rotation: str("rotation"),
    rotates: str("rotates"),
  };
}

/** `secret-set [fields] [--owner o] <id> [k#file=...]`. */
export function secretSet(run: Runner, id: string, a: SecretSetArgs): void {
  withContentFiles(a.content, (contentArgs) => {
    const args = fieldArgs(a);
    if (a.owner !== undefined) args.push("--owner", a.owner);
    run.text("secret-set", [...args, id, ...contentArgs]);
  });
}

/** `secret-grant --relation <id> [--unit u] <secret>`. */
export function secretGrant(run: Runner, id: string, relationId: number, unit?: string): void {
  const args = ["--relation", String(relationId)];
  if (unit !== undefined) args.push("--unit", unit);
  run.text("secret-grant", [...args, id]);
}

/** `secret-revoke --relation <id> [--unit u] <secret>`. */
export function secretRevoke(run: Runner, id: string, relationId: number, unit?: string): void {
  const args = ["--relation", String(relationId)];
  if (unit !== undefined) args.push("--unit", unit);
  run.text("secret-revoke", [...args, id]);
}

/** `secret-remove <id> [--revision N]`. */
export function secretRemove(run: Runner, id: string, revision?: number): void {
  run.text("secret-remove", revision === undefined ? [id] : [id, "--revision", String(revision)]);
}

/** `secret-ids --format=json`. */
export function secretIds(run: Runner): string[] {
  return asStringList("secret-ids", run.json("secret-ids", ["--format=json"]));
}

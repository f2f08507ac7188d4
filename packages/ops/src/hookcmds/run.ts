/**
 * Running one hook tool: spawn it synchronously with the inherited environment, feed stdin,
 * parse JSON stdout, and map a non-zero exit to the typed error hierarchy as ops'
 * `_ModelBackend` does: `relation not found` from a relation-/network- tool is
 * RelationNotFoundError, `not found` from a secret- tool SecretNotFoundError, anything else
 * HookCommandError.
 */

import { spawnSync } from "node:child_process";
import {
  HookCommandError,
  HookOutputError,
  PermissionDeniedError,
  RelationNotFoundError,
  SecretNotFoundError,
} from "../errors.js";

/** Result of one process run, the subset of `spawnSync`'s result the SDK needs. */
export interface SpawnResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: Error | undefined;
}

/** A synchronous process runner; injectable so tests can record argv and stdin. */
export type SpawnFn = (cmd: string, args: readonly string[], input: string | undefined) => SpawnResult;

/**
 * The production runner: `spawnSync` without a shell, inheriting the environment. What the OS
 * cannot carry comes back as a failed run, not an exception: Node throws a TypeError for an
 * argument holding a NUL byte (execve's strings end at NUL), and execve fails with E2BIG for an
 * argument longer than 128 KiB or an argv beyond the system's limit.
 */
export const defaultSpawn: SpawnFn = (cmd, args, input) => {
  try {
    const r = spawnSync(cmd, args as string[], {
      input,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
  } catch (err) {
    return {
      status: null,
      stdout: "",
      stderr: "",
      error: err instanceof Error ? err : new Error(String(err)),
    };
  }
};

const PERMISSION_MARKERS = [
  "permission denied",
  "access denied",
  "not the leader",
  "cannot write relation settings",
];

/** Map a failed run to the most specific error class. */
export function mapError(
  cmd: string,
  args: readonly string[],
  exitCode: number | null,
  stderr: string,
  cause?: unknown,
): HookCommandError {
  const lower = stderr.toLowerCase();
  const opts = cause === undefined ? undefined : { cause };
  if ((cmd.startsWith("relation-") || cmd.startsWith("network-")) && lower.includes("relation not found")) {
    return new RelationNotFoundError(cmd, args, exitCode, stderr, opts);
  }
  if (cmd.startsWith("secret-") && lower.includes("not found")) {
    return new SecretNotFoundError(cmd, args, exitCode, stderr, opts);
  }
  if (PERMISSION_MARKERS.some((m) => lower.includes(m))) {
    return new PermissionDeniedError(cmd, args, exitCode, stderr, opts);
  }
  return new HookCommandError(cmd, args, exitCode, stderr, opts);
}

/** Runs hook tools through a `SpawnFn`, returning raw stdout or parsed JSON. */
export class Runner {
  constructor(private readonly spawn: SpawnFn = defaultSpawn) {}

  /** Run and return stdout; throws a `HookCommandError` subclass on failure. */
  text(cmd: string, args: readonly string[], input?: string): string {
    const r = this.spawn(cmd, args, input);
    if (r.error) throw mapError(cmd, args, r.status, r.stderr || r.error.message, r.error);
    if (r.status !== 0) throw mapError(cmd, args, r.status, r.stderr);
    return r.stdout;
  }

  /** Run a `--format=json` tool and parse its stdout; empty output parses as `null`. */
  json(cmd: string, args: readonly string[], input?: string): unknown {
    const out = this.text(cmd, args, input);
    if (out.trim() === "") return null;
    try {
      return JSON.parse(out);
    } catch (err) {
      throw new HookOutputError(cmd, out, "not JSON", { cause: err });
    }
  }
}

/** Check a parsed value is a plain object, else raise `HookOutputError`. */
export function asObject(cmd: string, v: unknown): Record<string, unknown> {
  if (v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new HookOutputError(cmd, JSON.stringify(v), "expected an object");
  }
  return v as Record<string, unknown>;
}

/** Check a parsed value is an object of strings (a databag or secret content). */
export function asStringMap(cmd: string, v: unknown): Record<string, string> {
  const o = asObject(cmd, v);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) {
    if (typeof val !== "string") {
      throw new HookOutputError(cmd, JSON.stringify(v), `value of "${k}" is not a string`);
    }
    out[k] = val;
  }
  return out;
}

/** Check a parsed value is an array of strings; `null` counts as empty. */
export function asStringList(cmd: string, v: unknown): string[] {
  if (v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new HookOutputError(cmd, JSON.stringify(v), "expected a list of strings");
  }
  return v as string[];
}

/**
 * Characters a JSON text must escape so that Juju reads the value back unchanged: `relation-set`
 * and `state-set` parse `--file` with gopkg.in/yaml.v2 (juju/juju worker/uniter/runner/jujuc
 * relation-set.go `readSettings`), and YAML 1.1 refuses raw DEL, C1 controls and U+FFFE/U+FFFF
 * ("control characters are not allowed"), and folds raw NEL, LS and PS inside a quoted scalar as
 * line breaks. As `\uXXXX` escapes they decode to the same characters. BOM is escaped too: YAML
 * readers strip it. ops does the same with Python's `json.dumps`, which escapes every non-ASCII
 * character; astral characters stay raw here, since yaml.v2 refuses surrogate escapes.
 */
const YAML_UNSAFE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

/** A lone UTF-16 surrogate: not a Unicode character, so not representable in Juju's UTF-8 data. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * JSON text of a string map that yaml.v2 parses back to the same strings.
 *
 * @throws HookCommandError (before running `cmd`) for a key or value that is not valid Unicode.
 */
export function yamlSafeJson(cmd: string, data: Readonly<Record<string, string>>): string {
  for (const [k, v] of Object.entries(data)) {
    if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) {
      throw new HookCommandError(cmd, [], null, `value of "${k}" is not valid Unicode (a lone surrogate)`);
    }
  }
  return JSON.stringify(data).replace(
    YAML_UNSAFE,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`,
  );
}

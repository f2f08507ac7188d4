/** Action hook tools: action-get, action-set, action-log, action-fail. */

import { HookCommandError } from "../errors.js";
import { asObject, type Runner } from "./run.js";

/**
 * One dotted segment of an action-set key, as Juju checks it: juju/juju
 * worker/uniter/runner/jujuc/action-set.go splits the key on "." and matches every segment
 * against internal/charm/actions.go `actionNameRule`.
 */
export const ACTION_KEY_SEGMENT = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Segments action-set refuses anywhere in a key (`reservedKeys` in action-set.go). */
export const RESERVED_ACTION_KEYS: ReadonlySet<string> = new Set([
  "stdout",
  "stdout-encoding",
  "stderr",
  "stderr-encoding",
]);

/** Why Juju's action-set would refuse `key`, or undefined when it accepts it. */
export function actionKeyProblem(key: string): string | undefined {
  for (const segment of key.split(".")) {
    if (!ACTION_KEY_SEGMENT.test(segment)) {
      return `key "${key}": segment "${segment}" must start and end with a lowercase letter or digit and hold only those and "-"`;
    }
    if (RESERVED_ACTION_KEYS.has(segment)) return `key "${key}": "${segment}" is reserved by Juju`;
  }
  return undefined;
}

/** `action-get --format=json`. */
export function actionGet(run: Runner): Record<string, unknown> {
  return asObject("action-get", run.json("action-get", ["--format=json"]));
}

/**
 * `action-set k=v ...`; keys must already be flat. Sorted for stable argv. A key Juju would refuse
 * throws before the tool runs, so no result of the call is half-set.
 */
export function actionSet(run: Runner, results: Readonly<Record<string, string>>): void {
  const keys = Object.keys(results).sort();
  if (keys.length === 0) return;
  for (const k of keys) {
    const problem = actionKeyProblem(k);
    if (problem !== undefined) throw new HookCommandError("action-set", [], null, problem);
  }
  run.text(
    "action-set",
    keys.map((k) => `${k}=${results[k]}`),
  );
}

/** `action-log -- <message>`. */
export function actionLog(run: Runner, message: string): void {
  run.text("action-log", ["--", message]);
}

/** `action-fail [-- <message>]`. */
export function actionFail(run: Runner, message?: string): void {
  run.text("action-fail", message === undefined ? [] : ["--", message]);
}

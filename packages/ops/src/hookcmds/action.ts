/** Action hook tools: action-get, action-set, action-log, action-fail. */

import { asObject, type Runner } from "./run.js";

/** Keys Juju accepts in action-set. */
export const ACTION_KEY_RE = /^[a-z0-9](([a-z0-9-.]+)?[a-z0-9])?$/;

/** `action-get --format=json`. */
export function actionGet(run: Runner): Record<string, unknown> {
  return asObject("action-get", run.json("action-get", ["--format=json"]));
}

/** `action-set k=v ...`; keys must already be flat and valid. Sorted for stable argv. */
export function actionSet(run: Runner, results: Readonly<Record<string, string>>): void {
  const keys = Object.keys(results).sort();
  if (keys.length === 0) return;
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

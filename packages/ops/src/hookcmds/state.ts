/** Controller-side unit state and goal-state hook tools. */

import type { GoalState } from "../backend.js";
import { asObject, asStringMap, type Runner, yamlSafeJson } from "./run.js";

/** `state-get --format=json` (Juju 4 prints `null` when empty). */
export function stateGet(run: Runner): Record<string, string> {
  return asStringMap("state-get", run.json("state-get", ["--format=json"]));
}

/** `state-set --file -` with the map on stdin, encoded so Juju's YAML parser reads it back intact. */
export function stateSet(run: Runner, data: Readonly<Record<string, string>>): void {
  run.text("state-set", ["--file", "-"], yamlSafeJson("state-set", data));
}

/** `state-delete -- <key>`: after `--`, a key starting with `-` is not read as a flag. */
export function stateDelete(run: Runner, key: string): void {
  run.text("state-delete", ["--", key]);
}

/** `goal-state --format=json`. */
export function goalState(run: Runner): GoalState {
  const o = asObject("goal-state", run.json("goal-state", ["--format=json"]));
  return {
    units: asObject("goal-state", o.units ?? null) as GoalState["units"],
    relations: asObject("goal-state", o.relations ?? null) as GoalState["relations"],
  };
}

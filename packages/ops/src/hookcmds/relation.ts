/** Relation hook tools: relation-ids, relation-list, relation-get, relation-set, relation-model-get. */

import { HookOutputError } from "../errors.js";
import { asObject, asStringList, asStringMap, type Runner, yamlSafeJson } from "./run.js";

/** `relation-ids <endpoint> --format=json` → ascending integer ids. */
export function relationIds(run: Runner, endpoint: string): number[] {
  const raw = asStringList("relation-ids", run.json("relation-ids", [endpoint, "--format=json"]));
  return raw
    .map((s) => {
      const n = Number(s.slice(s.lastIndexOf(":") + 1));
      if (!Number.isInteger(n)) throw new HookOutputError("relation-ids", s, "malformed relation id");
      return n;
    })
    .sort((a, b) => a - b);
}

/** `relation-list --format=json -r ep:id` → remote unit names. */
export function relationList(run: Runner, id: number, endpoint: string): string[] {
  return asStringList(
    "relation-list",
    run.json("relation-list", ["--format=json", "-r", `${endpoint}:${id}`]),
  );
}

/** `relation-list --format=json --app -r ep:id` → remote app name. */
export function relationRemoteApp(run: Runner, id: number, endpoint: string): string | undefined {
  const v = run.json("relation-list", ["--format=json", "--app", "-r", `${endpoint}:${id}`]);
  if (v === null || v === "") return undefined;
  if (typeof v !== "string")
    throw new HookOutputError("relation-list", JSON.stringify(v), "expected a string");
  return v;
}

/** `relation-get --format=json -r ep:id [--app] - <unitOrApp>` → the whole bag. */
export function relationGet(
  run: Runner,
  id: number,
  endpoint: string,
  unitOrApp: string,
  isApp: boolean,
): Record<string, string> {
  const args = ["--format=json", "-r", `${endpoint}:${id}`];
  if (isApp) args.push("--app");
  args.push("-", unitOrApp);
  return asStringMap("relation-get", run.json("relation-get", args));
}

/** `relation-set -r ep:id [--app] --file -` with the map on stdin, encoded for Juju's YAML parser. */
export function relationSet(
  run: Runner,
  id: number,
  endpoint: string,
  data: Readonly<Record<string, string>>,
  isApp: boolean,
): void {
  const args = ["-r", `${endpoint}:${id}`];
  if (isApp) args.push("--app");
  args.push("--file", "-");
  run.text("relation-set", args, yamlSafeJson("relation-set", data));
}

/** `relation-model-get --format=json -r ep:id`. */
export function relationModelGet(run: Runner, id: number, endpoint: string): { uuid: string } {
  const o = asObject(
    "relation-model-get",
    run.json("relation-model-get", ["--format=json", "-r", `${endpoint}:${id}`]),
  );
  if (typeof o.uuid !== "string") {
    throw new HookOutputError("relation-model-get", JSON.stringify(o), "missing uuid");
  }
  return { uuid: o.uuid };
}

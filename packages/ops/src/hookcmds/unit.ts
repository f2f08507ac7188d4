/** Config, leadership, status, version and logging hook tools. */

import type {
  AppStatusInfo,
  ConfigValue,
  LogLevel,
  SettableStatusName,
  StatusInfo,
  StatusName,
} from "../backend.js";
import { HookOutputError } from "../errors.js";
import { asObject, type Runner } from "./run.js";

/** Juju caps one juju-log message; longer ones are split (as ops does). */
export const MAX_LOG_CHARS = 131071;

/** `config-get --format=json`. */
export function configGet(run: Runner): Record<string, ConfigValue> {
  const o = asObject("config-get", run.json("config-get", ["--format=json"]));
  const out: Record<string, ConfigValue> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === null) continue;
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
      throw new HookOutputError("config-get", JSON.stringify(o), `option "${k}" is not a scalar`);
    }
    out[k] = v;
  }
  return out;
}

/** `is-leader --format=json`. */
export function isLeader(run: Runner): boolean {
  const v = run.json("is-leader", ["--format=json"]);
  if (typeof v !== "boolean") throw new HookOutputError("is-leader", JSON.stringify(v), "expected a boolean");
  return v;
}

const STATUS_NAMES = new Set<string>(["active", "blocked", "maintenance", "waiting", "error", "unknown"]);

function parseStatus(cmd: string, v: unknown): StatusInfo {
  const o = asObject(cmd, v);
  const status = typeof o.status === "string" ? o.status : "";
  if (!STATUS_NAMES.has(status)) throw new HookOutputError(cmd, JSON.stringify(v), "unknown status");
  const data = o["status-data"];
  return {
    status: status as StatusName,
    message: typeof o.message === "string" ? o.message : "",
    data: data && typeof data === "object" ? (data as Record<string, unknown>) : {},
  };
}

/**
 * `status-get --include-data --format=json --application=false|true`. With `--application`, Juju
 * prints `{"application-status": {status, message, status-data, units: {<unit>: {...}}}}`: the
 * units sit inside `application-status` (juju/juju worker/uniter/runner/jujuc/status-get.go).
 */
export function statusGet(run: Runner, app: boolean): StatusInfo | AppStatusInfo {
  const v = run.json("status-get", ["--include-data", "--format=json", `--application=${app}`]);
  if (!app) return parseStatus("status-get", v);
  const appStatus = asObject("status-get", asObject("status-get", v)["application-status"] ?? null);
  const units: Record<string, StatusInfo> = {};
  for (const [name, u] of Object.entries(asObject("status-get", appStatus.units ?? null))) {
    units[name] = parseStatus("status-get", u);
  }
  return { app: parseStatus("status-get", appStatus), units };
}

/** `status-set --application=<True|False> <status> -- <message>`. */
export function statusSet(run: Runner, status: SettableStatusName, message: string, app: boolean): void {
  run.text("status-set", [`--application=${app ? "True" : "False"}`, status, "--", message]);
}

/** `application-version-set -- <version>`. */
export function applicationVersionSet(run: Runner, version: string): void {
  run.text("application-version-set", ["--", version]);
}

/** `juju-log --log-level <LEVEL> -- <message>`, split into chunks Juju accepts. */
export function jujuLog(run: Runner, level: LogLevel, message: string): void {
  for (let i = 0; i === 0 || i < message.length; i += MAX_LOG_CHARS) {
    run.text("juju-log", ["--log-level", level, "--", message.slice(i, i + MAX_LOG_CHARS)]);
  }
}

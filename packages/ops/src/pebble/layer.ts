/**
 * Pebble layers and plans: types in the wire (YAML/JSON) shape, strict validation with errors that
 * name the offending field, YAML parse/serialise, and Pebble's combine semantics. Shared by the
 * client, the in-memory Pebble of the testing harness and the local runtime's Pebble server, so
 * all three merge layers identically.
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { LayerError } from "./errors.js";

/** How a layer entry combines with the same-named entry below it. */
export type Override = "merge" | "replace";
/** What Pebble does when a service exits or a check fails. */
export type ServiceAction = "restart" | "shutdown" | "failure-shutdown" | "success-shutdown" | "ignore";

/** A service entry of a layer (Pebble's layer specification), keys exactly as in the YAML. */
export interface Service {
  override?: Override;
  summary?: string;
  description?: string;
  startup?: "enabled" | "disabled";
  command?: string;
  after?: string[];
  before?: string[];
  requires?: string[];
  environment?: Record<string, string>;
  user?: string;
  "user-id"?: number;
  group?: string;
  "group-id"?: number;
  "working-dir"?: string;
  "on-success"?: ServiceAction;
  "on-failure"?: ServiceAction;
  "on-check-failure"?: Record<string, ServiceAction>;
  "backoff-delay"?: string;
  "backoff-factor"?: number;
  "backoff-limit"?: string;
  "kill-delay"?: string;
}

/** An HTTP check. */
export interface HttpCheck {
  url?: string;
  headers?: Record<string, string>;
}
/** A TCP check. */
export interface TcpCheck {
  port?: number;
  host?: string;
}
/** A command check. */
export interface ExecCheck {
  command?: string;
  "service-context"?: string;
  environment?: Record<string, string>;
  user?: string;
  "user-id"?: number;
  group?: string;
  "group-id"?: number;
  "working-dir"?: string;
}

/** A health check entry. */
export interface Check {
  override?: Override;
  level?: "alive" | "ready";
  startup?: "enabled" | "disabled";
  period?: string;
  timeout?: string;
  threshold?: number;
  http?: HttpCheck;
  tcp?: TcpCheck;
  exec?: ExecCheck;
}

/** A log forwarding target entry. */
export interface LogTarget {
  override?: Override;
  type?: "loki" | "opentelemetry" | "syslog";
  location?: string;
  services?: string[];
  labels?: Record<string, string>;
}

/** One layer, or the combined plan (which has the same shape). */
export interface Layer {
  summary?: string;
  description?: string;
  services?: Record<string, Service>;
  checks?: Record<string, Check>;
  "log-targets"?: Record<string, LogTarget>;
}

/** The combined plan Pebble reports from `GET /v1/plan`. */
export type Plan = Layer;

/** A layer with the label it was added under, in the order Pebble keeps them. */
export interface LabeledLayer {
  readonly label: string;
  readonly layer: Layer;
}

// ---------------------------------------------------------------------------------------------
// Validation: strict, like Pebble's `yaml.UnmarshalStrict`; unknown keys are errors.

type Kind = "string" | "int" | "number" | "strings" | "stringmap" | "override" | "startup" | "action";
type Shape = Readonly<Record<string, Kind | { readonly nested: Shape }>>;

const ACTIONS = new Set(["restart", "shutdown", "failure-shutdown", "success-shutdown", "ignore"]);
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^0$/;

const SERVICE_SHAPE: Shape = {
  override: "override",
  summary: "string",
  description: "string",
  startup: "startup",
  command: "string",
  after: "strings",
  before: "strings",
  requires: "strings",
  environment: "stringmap",
  user: "string",
  "user-id": "int",
  group: "string",
  "group-id": "int",
  "working-dir": "string",
  "on-success": "action",
  "on-failure": "action",
  "on-check-failure": "action",
  "backoff-delay": "string",
  "backoff-factor": "number",
  "backoff-limit": "string",
  "kill-delay": "string",
};

const CHECK_SHAPE: Shape = {
  override: "override",
  level: "string",
  startup: "startup",
  period: "string",
  timeout: "string",
  threshold: "int",
  http: { nested: { url: "string", headers: "stringmap" } },
  tcp: { nested: { port: "int", host: "string" } },
  exec: {
    nested: {
      command: "string",
      "service-context": "string",
      environment: "stringmap",
      user: "string",
      "user-id": "int",
      group: "string",
      "group-id": "int",
      "working-dir": "string",
    },
  },
};

const LOG_TARGET_SHAPE: Shape = {
  override: "override",
  type: "string",
  location: "string",
  services: "strings",
  labels: "stringmap",
};

const DURATION_FIELDS = new Set(["backoff-delay", "backoff-limit", "kill-delay", "period", "timeout"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkValue(field: string, key: string, kind: Kind, v: unknown): unknown {
  const fail = (what: string): never => {
    throw new LayerError(field, `must be ${what}, got ${JSON.stringify(v)}`);
  };
  switch (kind) {
    case "string":
      if (typeof v !== "string") fail("a string");
      if (DURATION_FIELDS.has(key) && !DURATION.test(v as string)) fail("a duration such as 500ms or 30s");
      return v;
    case "int":
      if (typeof v !== "number" || !Number.isInteger(v)) fail("an integer");
      return v;
    case "number":
      if (typeof v !== "number" || !Number.isFinite(v)) fail("a number");
      return v;
    case "strings":
      if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) fail("a list of strings");
      return [...(v as string[])];
    case "stringmap": {
      if (!isObject(v)) fail("a map of strings");
      const out: Record<string, string> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        // Pebble's YAML decoding turns scalar env values into strings; do the same for numbers/bools.
        if (typeof x === "string") out[k] = x;
        else if (typeof x === "number" || typeof x === "boolean") out[k] = String(x);
        else throw new LayerError(`${field}.${k}`, `must be a string, got ${JSON.stringify(x)}`);
      }
      return out;
    }
    case "override":
      if (v !== "merge" && v !== "replace") fail('"merge" or "replace"');
      return v;
    case "startup":
      if (v !== "enabled" && v !== "disabled") fail('"enabled" or "disabled"');
      return v;
    case "action":
      // `on-check-failure` is a map of check name to action; the others are a single action.
      if (key === "on-check-failure") {
        if (!isObject(v)) fail("a map of check name to action");
        const out: Record<string, string> = {};
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
          if (typeof x !== "string" || !ACTIONS.has(x)) {
            throw new LayerError(`${field}.${k}`, `must be one of ${[...ACTIONS].join(", ")}`);
          }
          out[k] = x;
        }
        return out;
      }
      if (typeof v !== "string" || !ACTIONS.has(v)) fail(`one of ${[...ACTIONS].join(", ")}`);
      return v;
  }
}

/**
 * Strict for layers the charm sends (Pebble decodes them strictly); lenient for the plan Pebble
 * sends back, which may carry fields and values newer than this client (a service's `workload`,
 * a top-level `workloads` section, a new `on-failure` action...): those are kept as they came.
 */
type Mode = "strict" | "lenient";

function checkShape(
  field: string,
  shape: Shape,
  raw: unknown,
  mode: Mode = "strict",
): Record<string, unknown> {
  if (!isObject(raw)) throw new LayerError(field, "must be a map");
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const kind = shape[k];
    const f = `${field}.${k}`;
    if (v === null || v === undefined) continue;
    if (kind === undefined) {
      if (mode === "strict") throw new LayerError(f, "unknown field");
      out[k] = v;
      continue;
    }
    try {
      out[k] = typeof kind === "object" ? checkShape(f, kind.nested, v, mode) : checkValue(f, k, kind, v);
    } catch (e) {
      if (mode === "strict" || !(e instanceof LayerError)) throw e;
      out[k] = v;
    }
  }
  return out;
}

const NAME = /^[A-Za-z0-9_.@:+-]+$/;

function checkSection<T>(
  section: string,
  shape: Shape,
  raw: unknown,
  requireOverride: boolean,
  mode: Mode = "strict",
): Record<string, T> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw new LayerError(section, "must be a map of name to entry");
  const out: Record<string, T> = {};
  for (const name of Object.keys(raw).sort()) {
    const field = `${section}.${name}`;
    // Pebble's plan.go (Layer.Validate) restricts no log target name; Python's LogForwarder names
    // targets after Loki units ("loki/0").
    if (section !== "log-targets" && !NAME.test(name)) throw new LayerError(field, "invalid name");
    if (section === "services" && name === "pebble") throw new LayerError(field, "reserved service name");
    const entry = raw[name];
    if (entry === null || entry === undefined) throw new LayerError(field, "entry cannot be null");
    const value = checkShape(field, shape, entry, mode);
    if (mode === "lenient") {
      out[name] = value as T;
      continue;
    }
    if (requireOverride && value.override === undefined) {
      throw new LayerError(`${field}.override`, 'must be set to "merge" or "replace"');
    }
    if (
      section === "checks" &&
      value.level !== undefined &&
      value.level !== "alive" &&
      value.level !== "ready"
    ) {
      throw new LayerError(`${field}.level`, 'must be "alive" or "ready"');
    }
    if (section === "log-targets" && value.type !== undefined) {
      if (!["loki", "opentelemetry", "syslog"].includes(value.type as string)) {
        throw new LayerError(`${field}.type`, 'must be "loki", "opentelemetry" or "syslog"');
      }
    }
    out[name] = value as T;
  }
  return out;
}

/**
 * Validates a layer given as plain data (for example parsed YAML or JSON) and returns a clean
 * copy with sections sorted by name. Every entry must say `override`, as Pebble requires.
 *
 * @throws LayerError naming the field, e.g. `services.web.startup: must be "enabled" or "disabled"`.
 */
export function validateLayer(raw: unknown): Layer {
  return validate(raw, true);
}

const SECTIONS = ["summary", "description", "services", "checks", "log-targets"];

function validate(raw: unknown, requireOverride: boolean, mode: Mode = "strict"): Layer {
  if (raw === null || raw === undefined) return {};
  if (!isObject(raw)) throw new LayerError("", "a layer must be a map");
  const out: Layer = {};
  for (const k of Object.keys(raw)) {
    if (SECTIONS.includes(k)) continue;
    if (mode === "strict") throw new LayerError(k, "unknown field");
    // Sections this client does not know (Pebble extensions such as `workloads`) pass through.
    (out as Record<string, unknown>)[k] = raw[k];
  }
  if (raw.summary !== undefined && raw.summary !== null) {
    if (typeof raw.summary !== "string") throw new LayerError("summary", "must be a string");
    out.summary = raw.summary;
  }
  if (raw.description !== undefined && raw.description !== null) {
    if (typeof raw.description !== "string") throw new LayerError("description", "must be a string");
    out.description = raw.description;
  }
  const services = checkSection<Service>("services", SERVICE_SHAPE, raw.services, requireOverride, mode);
  if (services) out.services = services;
  const checks = checkSection<Check>("checks", CHECK_SHAPE, raw.checks, requireOverride, mode);
  if (checks) out.checks = checks;
  const targets = checkSection<LogTarget>(
    "log-targets",
    LOG_TARGET_SHAPE,
    raw["log-targets"],
    requireOverride,
    mode,
  );
  if (targets) out["log-targets"] = targets;
  return out;
}

/**
 * Parses layer YAML (the `layer` text of `POST /v1/layers`) and validates it.
 *
 * @throws LayerError on YAML syntax errors (field `""`) or invalid content.
 */
export function parseLayer(text: string): Layer {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new LayerError("", `cannot parse layer YAML: ${(e as Error).message}`, { cause: e });
  }
  return validateLayer(raw);
}

/**
 * Parses the plan YAML that `GET /v1/plan?format=yaml` returns. Entries need no `override`, and
 * fields or sections this client does not know are kept as they came: Pebble's plan grows (its
 * `Plan.Sections` holds extension sections such as `workloads`, internals/plan/plan.go), and a
 * newer Pebble must not break `getPlan()`.
 */
export function parsePlan(text: string): Plan {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new LayerError("", `cannot parse plan YAML: ${(e as Error).message}`, { cause: e });
  }
  return validate(raw, false, "lenient");
}

/** Serialises a layer or plan as YAML with map keys sorted, so equal plans give equal text. */
export function layerToYaml(layer: Layer): string {
  const clean = stripEmpty(layer) as Layer;
  if (Object.keys(clean).length === 0) return "{}\n";
  return stringifyYaml(clean, { sortMapEntries: true, lineWidth: 0 });
}

/** Alias of {@link layerToYaml} for plans. */
export const planToYaml: (plan: Plan) => string = layerToYaml;

// ---------------------------------------------------------------------------------------------
// Combining.

const APPENDED = new Set(["after", "before", "requires", "services"]);

function mergeEntry<T extends object>(base: T, over: T): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (v === undefined) continue;
    const old = out[k];
    if (APPENDED.has(k) && Array.isArray(v)) {
      out[k] = [...(Array.isArray(old) ? old : []), ...v];
    } else if (isObject(v)) {
      // Maps (environment, on-check-failure, labels, headers) and check sub-objects merge key by key.
      out[k] = isObject(old) ? mergeEntry(old, v) : deepCopy(v);
    } else {
      out[k] = Array.isArray(v) ? [...v] : v;
    }
  }
  return out as T;
}

function combineSection<T extends { override?: Override }>(
  section: string,
  label: string,
  base: Record<string, T> | undefined,
  over: Record<string, T> | undefined,
): Record<string, T> | undefined {
  if (!over) return base && deepCopy(base);
  const out: Record<string, T> = base ? deepCopy(base) : {};
  for (const name of Object.keys(over)) {
    const entry = over[name] as T;
    const old = out[name];
    if (entry.override === "replace" || old === undefined) {
      if (entry.override !== "replace" && entry.override !== "merge") {
        throw new LayerError(`${section}.${name}.override`, `layer "${label}" must define "override"`);
      }
      out[name] = deepCopy(entry);
    } else if (entry.override === "merge") {
      out[name] = mergeEntry(old, entry);
    } else {
      throw new LayerError(`${section}.${name}.override`, `layer "${label}" must define "override"`);
    }
  }
  return sortKeys(out);
}

/**
 * Combines `over` on top of `base` with Pebble's rules: per entry, `override: replace` swaps the
 * whole entry, `merge` replaces scalars, appends `after`/`before`/`requires` (and log-target
 * `services`) and merges maps key by key. Neither input is modified.
 *
 * @param label names the overlay in error messages.
 */
export function combineLayers(base: Layer, over: Layer, label = ""): Layer {
  const out: Layer = {};
  const summary = over.summary || base.summary;
  if (summary) out.summary = summary;
  const description = over.description || base.description;
  if (description) out.description = description;
  const services = combineSection("services", label, base.services, over.services);
  if (services && Object.keys(services).length) out.services = services;
  const checks = combineSection("checks", label, base.checks, over.checks);
  if (checks && Object.keys(checks).length) out.checks = checks;
  const targets = combineSection("log-targets", label, base["log-targets"], over["log-targets"]);
  if (targets && Object.keys(targets).length) out["log-targets"] = targets;
  return out;
}

/**
 * Adds a layer to an ordered layer list the way `POST /v1/layers` does: with `combine`, a layer
 * whose label already exists is combined into it in place (otherwise appended); without, an
 * existing label is an error. Returns a new list; the input is not modified.
 *
 * @throws LayerError when the label is empty or already exists without `combine`.
 */
export function addLayer(
  layers: readonly LabeledLayer[],
  label: string,
  layer: Layer,
  combine: boolean,
): LabeledLayer[] {
  if (!label) throw new LayerError("label", "label must be set");
  // Pebble keeps labels starting with "pebble-" for its own layers (internals/plan/plan.go).
  if (label.startsWith("pebble-"))
    throw new LayerError("label", 'cannot use reserved label prefix "pebble-"');
  const checked = validateLayer(layer);
  const idx = layers.findIndex((l) => l.label === label);
  if (idx < 0) {
    // Combining the new layer with nothing checks its overrides the same way Pebble does.
    combineLayers({}, checked, label);
    return [...layers, { label, layer: checked }];
  }
  if (!combine) throw new LayerError("label", `layer "${label}" already exists`);
  const merged = combineLayers((layers[idx] as LabeledLayer).layer, checked, label);
  return layers.map((l, i) => (i === idx ? { label, layer: merged } : l));
}

/** Folds ordered layers into the combined plan (no validation of the result; see {@link validatePlan}). */
export function combinePlan(layers: readonly LabeledLayer[]): Plan {
  let plan: Layer = {};
  for (const { label, layer } of layers) plan = combineLayers(plan, layer, label);
  return plan;
}

/**
 * Checks what Pebble requires of a combined plan: every service has a command, dependencies
 * name existing services, every check has exactly one of http/tcp/exec.
 *
 * @throws LayerError naming the service or check.
 */
export function validatePlan(plan: Plan): void {
  const services = plan.services ?? {};
  for (const [name, svc] of Object.entries(services)) {
    if (!svc.command?.trim()) throw new LayerError(`services.${name}.command`, "plan must define a command");
    for (const dep of [...(svc.after ?? []), ...(svc.before ?? []), ...(svc.requires ?? [])]) {
      if (!(dep in services)) {
        throw new LayerError(`services.${name}`, `dependency "${dep}" is not a service in the plan`);
      }
    }
  }
  for (const [name, check] of Object.entries(plan.checks ?? {})) {
    const kinds = (["http", "tcp", "exec"] as const).filter((k) => check[k] !== undefined);
    if (kinds.length !== 1) {
      throw new LayerError(`checks.${name}`, 'must specify exactly one of "http", "tcp" or "exec"');
    }
    if (check.http && !check.http.url) throw new LayerError(`checks.${name}.http.url`, "must be set");
    if (check.tcp && !check.tcp.port) throw new LayerError(`checks.${name}.tcp.port`, "must be set");
    if (check.exec && !check.exec.command) throw new LayerError(`checks.${name}.exec.command`, "must be set");
  }
  for (const [name, target] of Object.entries(plan["log-targets"] ?? {})) {
    if (!target.type) throw new LayerError(`log-targets.${name}.type`, "must be set");
    if (!target.location) throw new LayerError(`log-targets.${name}.location`, "must be set");
  }
}

// ---------------------------------------------------------------------------------------------
// Equality.

/**
 * True when two services would run the same way: empty lists and maps equal missing ones, and
 * `override` (a layering instruction, not part of the running service) is ignored.
 */
export function servicesEqual(a: Service | undefined, b: Service | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const { override: _a, ...ra } = a;
  const { override: _b, ...rb } = b;
  return canonical(ra) === canonical(rb);
}

/** True when two plans are the same once empty entries are dropped and keys sorted. */
export function plansEqual(a: Plan, b: Plan): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  return JSON.stringify(sortKeys(stripEmpty(v)));
}

function stripEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripEmpty);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const s = stripEmpty(x);
    if (s === undefined || s === null) continue;
    if (Array.isArray(s) && s.length === 0) continue;
    if (isObject(s) && Object.keys(s).length === 0) continue;
    out[k] = s;
  }
  return out;
}

function sortKeys<T>(v: T): T {
  if (Array.isArray(v)) return v.map(sortKeys) as T;
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
  return out as T;
}

function deepCopy<T>(v: T): T {
  return structuredClone(v);
}

/**
 * The parts of a Pebble layer that the SDK's layer model does not cover but Pebble's daemon
 * accepts and keeps in its plan: the `workloads` section (internals/workloads/workloads.go, a
 * registered plan section extension) and a service's `workload` field (internals/plan/plan.go
 * Service). The server takes them out of the layer before the SDK validates the rest, combines
 * them with Pebble's override rules, and puts them back when it prints the plan. It does not act
 * on them (services do not take a workload's environment or user).
 */
import { LayerError } from "@charmkit/ops/pebble";

/** One `workloads` entry, as internals/workloads Workload. */
export interface Workload {
  override?: "merge" | "replace";
  environment?: Record<string, string>;
  "user-id"?: number;
  user?: string;
  "group-id"?: number;
  group?: string;
}

/** What a layer carries besides the SDK's model. */
export interface LayerExtensions {
  workloads: Record<string, Workload>;
  /** Service name to its `workload` field and the entry's override. */
  serviceWorkloads: Record<string, { workload?: string; override?: unknown }>;
}

/** The combined extensions of a plan. */
export interface PlanExtensions {
  workloads: Record<string, Workload>;
  serviceWorkloads: Record<string, string>;
}

const WORKLOAD_KEYS = new Set(["override", "environment", "user-id", "user", "group-id", "group"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Removes the extension parts from a parsed layer (modifying `raw`) and returns them.
 * @throws LayerError on a malformed `workloads` section or `workload` field
 */
export function takeExtensions(raw: unknown): LayerExtensions {
  const ext: LayerExtensions = { workloads: {}, serviceWorkloads: {} };
  if (!isObject(raw)) return ext;
  const section = raw.workloads;
  delete raw.workloads;
  if (section !== undefined && section !== null) {
    if (!isObject(section)) throw new LayerError("workloads", 'cannot parse the "workloads" section');
    for (const [name, w] of Object.entries(section)) {
      if (!isObject(w))
        throw new LayerError(`workloads.${name}`, `workload "${name}": cannot have a null value`);
      for (const k of Object.keys(w)) {
        if (!WORKLOAD_KEYS.has(k)) throw new LayerError(`workloads.${name}.${k}`, "unknown field");
      }
      ext.workloads[name] = structuredClone(w) as Workload;
    }
  }
  if (isObject(raw.services)) {
    for (const [name, svc] of Object.entries(raw.services)) {
      if (!isObject(svc)) continue;
      const workload = svc.workload;
      delete svc.workload;
      if (workload !== undefined && workload !== null && typeof workload !== "string") {
        throw new LayerError(`services.${name}.workload`, "must be a string");
      }
      // Every entry is recorded: a `replace` entry without `workload` clears an earlier one.
      ext.serviceWorkloads[name] = { ...(workload ? { workload } : {}), override: svc.override };
    }
  }
  return ext;
}

/**
 * Combines the extensions of layers in order, as Pebble does: workloads by their own override
 * (merge: environment key by key, the rest replaced when set), service workloads following the
 * service entry's override.
 * @throws LayerError when a workload has no valid override
 */
export function combineExtensions(
  layers: readonly LayerExtensions[],
  serviceNames: readonly string[],
): PlanExtensions {
  const workloads: Record<string, Workload> = {};
  const serviceWorkloads: Record<string, string> = {};
  for (const layer of layers) {
    for (const [name, w] of Object.entries(layer.workloads)) {
      if (w.override !== "merge" && w.override !== "replace") {
        throw new LayerError(
          `workloads.${name}.override`,
          w.override === undefined
            ? `workload "${name}": must define an "override" policy`
            : `workload "${name}": has an invalid "override" policy: "${String(w.override)}"`,
        );
      }
      const cur = workloads[name];
      if (w.override === "replace" || !cur) {
        workloads[name] = structuredClone(w);
        continue;
      }
      const next: Workload = { ...cur, ...w };
      if (w.environment || cur.environment) next.environment = { ...cur.environment, ...w.environment };
      workloads[name] = next;
    }
    for (const [name, s] of Object.entries(layer.serviceWorkloads)) {
      if (s.override === "replace") delete serviceWorkloads[name];
      if (s.workload) serviceWorkloads[name] = s.workload;
    }
  }
  for (const name of Object.keys(serviceWorkloads))
    if (!serviceNames.includes(name)) delete serviceWorkloads[name];
  return { workloads, serviceWorkloads };
}

/** The plan object with the extensions put back, for printing. */
export function withExtensions<T extends { services?: Record<string, object> }>(
  plan: T,
  ext: PlanExtensions,
): T {
  const out = structuredClone(plan) as T & { workloads?: Record<string, Workload> };
  for (const [name, workload] of Object.entries(ext.serviceWorkloads)) {
    const svc = out.services?.[name] as Record<string, unknown> | undefined;
    if (svc) svc.workload = workload;
  }
  if (Object.keys(ext.workloads).length) out.workloads = ext.workloads;
  return out;
}

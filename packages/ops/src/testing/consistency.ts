/**
 * The consistency checker: before a run, compare State and event with the charm's metadata and
 * refuse combinations real Juju could never produce, naming each problem.
 */
import type { CharmMeta } from "../metadata.js";
import type { TestEvent } from "./events.js";
import type { State } from "./state.js";

/** The State/event/metadata combination is impossible; `problems` lists every reason. */
export class InconsistentScenarioError extends Error {
  override name = "InconsistentScenarioError";
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`inconsistent scenario:\n- ${problems.join("\n- ")}`);
    this.problems = problems;
  }
}

const JSON_TYPES: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  integer: (v) => typeof v === "number" && Number.isInteger(v),
  number: (v) => typeof v === "number",
  boolean: (v) => typeof v === "boolean",
  array: (v) => Array.isArray(v),
  object: (v) => typeof v === "object" && v !== null && !Array.isArray(v),
};

/** Returns every problem found (empty when consistent). */
export function findInconsistencies(meta: CharmMeta, s: State, event: TestEvent): string[] {
  const out: string[] = [];
  const ids = new Set<number>();
  for (const r of s.relations) {
    const m = meta.relations[r.endpoint];
    if (!m) out.push(`relation ${r.id}: endpoint "${r.endpoint}" is not declared in the charm's metadata`);
    else if ((m.role === "peers") !== (r.kind === "peer")) {
      out.push(
        `relation ${r.id}: endpoint "${r.endpoint}" is a ${m.role} endpoint; use ${m.role === "peers" ? "peerRelation()" : "relation()"}`,
      );
    }
    if (ids.has(r.id)) out.push(`relation id ${r.id} is used twice`);
    ids.add(r.id);
    for (const [what, bag] of Object.entries(bags(r))) {
      for (const [k, v] of Object.entries(bag)) {
        if (typeof v !== "string")
          out.push(`relation ${r.id}: ${what}["${k}"] must be a string, got ${typeof v}`);
      }
    }
  }
  for (const c of s.containers) {
    if (!meta.containers[c.name]) out.push(`container "${c.name}" is not declared in the charm's containers`);
    const prefixes = new Set<string>();
    for (const e of c.execs) {
      const k = JSON.stringify(e.command);
      if (prefixes.has(k)) out.push(`container "${c.name}": duplicate exec mock for ${k}`);
      prefixes.add(k);
    }
  }
  for (const st of s.storages) {
    if (!meta.storage[st.name]) out.push(`storage "${st.name}" is not declared in the charm's storage`);
  }
  for (const [key, v] of Object.entries(s.config)) {
    const opt = meta.config[key];
    if (!opt) {
      out.push(`config option "${key}" is not declared in the charm's config`);
      continue;
    }
    const ok =
      opt.type === "int"
        ? typeof v === "number" && Number.isInteger(v)
        : opt.type === "float"
          ? typeof v === "number"
          : opt.type === "boolean"
            ? typeof v === "boolean"
            : opt.type === "secret"
              ? typeof v === "string" && v.startsWith("secret:")
              : typeof v === "string";
    if (!ok)
      out.push(`config option "${key}" is declared as ${opt.type} but the State has ${JSON.stringify(v)}`);
  }
  for (const binding of Object.keys(s.networks)) {
    if (!meta.relations[binding]) out.push(`network "${binding}" is not a binding of the charm`);
  }
  out.push(...eventProblems(meta, s, event));
  return out;
}

function bags(r: State["relations"][number]): Record<string, Readonly<Record<string, unknown>>> {
  const out: Record<string, Readonly<Record<string, unknown>>> = {
    localAppData: r.localAppData,
    localUnitData: r.localUnitData,
  };
  if (r.kind === "regular") {
    out.remoteAppData = r.remoteAppData;
    for (const [n, b] of Object.entries(r.remoteUnitsData)) out[`remoteUnitsData[${n}]`] = b;
  } else {
    for (const [n, b] of Object.entries(r.peersData)) out[`peersData[${n}]`] = b;
  }
  return out;
}

function eventProblems(meta: CharmMeta, s: State, e: TestEvent): string[] {
  const out: string[] = [];
  const d = e.data;
  if ("relationId" in d) {
    const r = s.relations.find((x) => x.id === d.relationId);
    if (!r) out.push(`event ${e.hookName}: relation ${d.relationId} is not in the State`);
    else if (r.endpoint !== d.endpoint)
      out.push(`event ${e.hookName}: relation ${d.relationId} is on "${r.endpoint}", not "${d.endpoint}"`);
    if ((d.kind === "relation-joined" || d.kind === "relation-departed") && !d.remoteUnit) {
      out.push(`event ${e.hookName}: needs a remote unit`);
    }
  }
  if ("container" in d) {
    const c = s.containers.find((x) => x.name === d.container);
    if (!c) out.push(`event ${e.hookName}: container "${d.container}" is not in the State`);
    else if (!c.canConnect) out.push(`event ${e.hookName}: container "${d.container}" has canConnect false`);
    if (c && d.kind === "pebble-custom-notice" && !c.notices.some((n) => n.id === d.noticeId)) {
      out.push(`event ${e.hookName}: notice ${d.noticeId} is not in container "${d.container}"`);
    }
    if (c && (d.kind === "pebble-check-failed" || d.kind === "pebble-check-recovered")) {
      if (!c.checks.some((x) => x.name === d.checkName))
        out.push(`event ${e.hookName}: check "${d.checkName}" is not in container "${d.container}"`);
    }
  }
  if ("storageName" in d && !s.storages.some((x) => x.name === d.storageName && x.index === d.storageIndex)) {
    out.push(`event ${e.hookName}: storage ${d.storageId} is not in the State`);
  }
  if ("secretId" in d && !s.secrets.some((x) => x.id === d.secretId)) {
    out.push(`event ${e.hookName}: secret ${d.secretId} is not in the State`);
  }
  if (d.kind === "action") {
    const a = meta.actions[d.action];
    if (!a) out.push(`action "${d.action}" is not declared in the charm's actions`);
    else {
      const params = e.actionParams ?? {};
      for (const req of a.required)
        if (!(req in params)) out.push(`action "${d.action}": missing required param "${req}"`);
      for (const [k, v] of Object.entries(params)) {
        const p = a.params[k];
        if (!p) {
          if (!a.additionalProperties) out.push(`action "${d.action}": unknown param "${k}"`);
          continue;
        }
        const check = typeof p.type === "string" ? JSON_TYPES[p.type] : undefined;
        if (check && !check(v))
          out.push(`action "${d.action}": param "${k}" must be ${p.type}, got ${JSON.stringify(v)}`);
      }
    }
  }
  return out;
}

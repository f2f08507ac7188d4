/**
 * The JSON form of a harness State (documented in STATE-FORMAT.md), event specs given as strings,
 * and `runCharmJson`, the self-contained entry behind `charmkit run CHARM_DIR EVENT --state FILE`:
 * load the charm from its directory, run one event on a JSON state, return the output as JSON.
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { CharmClass } from "../charm.js";
import type { CharmMeta } from "../metadata.js";
import { ActionFailed, Context } from "./context.js";
import { type EventFactory, eventFactory, type TestEvent } from "./events.js";
import { container, peerRelation, relation, type State, secret, state, storage } from "./state.js";

/** A State as JSON (same field names; every field optional; see STATE-FORMAT.md). */
export type StateJson = Record<string, unknown>;

/** Thrown for malformed JSON states or event specs; `field` names the offending place. */
export class StateFormatError extends Error {
  override name = "StateFormatError";
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

function obj(field: string, v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new StateFormatError(field, "must be an object");
  return v as Record<string, unknown>;
}

function arr(field: string, v: unknown): Record<string, unknown>[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new StateFormatError(field, "must be an array");
  return v.map((x, i) => obj(`${field}[${i}]`, x));
}

/** Builds a State from its JSON form, applying the factories' defaults. */
export function stateFromJson(input: string | StateJson): State {
  let raw: unknown = input;
  if (typeof input === "string") {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      throw new StateFormatError("state", `not valid JSON: ${(e as Error).message}`);
    }
  }
  const j = obj("state", raw);
  const relations = arr("relations", j.relations).map((r, i) => {
    if (typeof r.endpoint !== "string")
      throw new StateFormatError(`relations[${i}].endpoint`, "must be a string");
    if (typeof r.id !== "number") throw new StateFormatError(`relations[${i}].id`, "must be a number");
    return r.kind === "peer" ? peerRelation(r as never) : relation(r as never);
  });
  const containers = arr("containers", j.containers).map((c, i) => {
    if (typeof c.name !== "string") throw new StateFormatError(`containers[${i}].name`, "must be a string");
    return container(c as never);
  });
  const storages = arr("storages", j.storages).map((s, i) => {
    if (typeof s.name !== "string") throw new StateFormatError(`storages[${i}].name`, "must be a string");
    return storage(s as never);
  });
  const secrets = arr("secrets", j.secrets).map((s, i) => {
    if (typeof s.id !== "string") throw new StateFormatError(`secrets[${i}].id`, "must be a string");
    return secret({ trackedContent: {}, ...(s as object) } as never);
  });
  const known = new Set([
    "config",
    "leader",
    "model",
    "relations",
    "containers",
    "networks",
    "storages",
    "secrets",
    "openedPorts",
    "storedStates",
    "deferred",
    "unitStatus",
    "appStatus",
    "workloadVersion",
    "controllerState",
    "plannedUnits",
  ]);
  for (const k of Object.keys(j)) if (!known.has(k)) throw new StateFormatError(k, "unknown State field");
  const rest = { ...j } as Partial<State>;
  return state({ ...rest, relations, containers, storages, secrets });
}

/** The JSON form of a State (plain data; every databag and file content included). */
export function stateToJson(s: State): StateJson {
  return structuredClone(s) as unknown as StateJson;
}

const LIFECYCLE: Record<string, keyof EventFactory> = {
  install: "install",
  start: "start",
  stop: "stop",
  remove: "remove",
  "update-status": "updateStatus",
  "config-changed": "configChanged",
  "upgrade-charm": "upgradeCharm",
  "leader-elected": "leaderElected",
  "leader-settings-changed": "leaderSettingsChanged",
};

/**
 * Parses an event spec: a hook name (`update-status`), a relation hook with optional
 * `:relationId[:remoteUnit[:departingUnit]]` (`metrics-endpoint-relation-changed:3:zinc/0`), a
 * storage hook with `:index`, `<c>-pebble-custom-notice:<noticeId>`,
 * `<c>-pebble-check-failed:<check>`, `secret-changed:<secretId>` (`secret-remove:<id>:<rev>`),
 * or `action:<name>`.
 *
 * @throws StateFormatError naming the spec when it matches nothing in the metadata/State.
 */
export function parseEventSpec(
  spec: string,
  meta: CharmMeta,
  s: State,
  appName: string,
  params: Readonly<Record<string, unknown>> = {},
): TestEvent {
  const on = eventFactory(() => appName);
  const bad = (why: string) => new StateFormatError(`event "${spec}"`, why);
  if (spec.startsWith("action:")) return on.action(spec.slice(7), params);
  const [hook = "", ...args] = spec.split(":");
  const lifecycle = LIFECYCLE[hook];
  if (lifecycle) return (on[lifecycle] as () => TestEvent)();
  if (hook.startsWith("secret-")) {
    const rest = spec.slice(hook.length + 1);
    const withRev = hook === "secret-remove" || hook === "secret-expired";
    const cut = withRev ? rest.lastIndexOf(":") : -1;
    const id = cut > 0 ? rest.slice(0, cut) : rest;
    const sec = s.secrets.find((x) => x.id === id || x.label === id);
    if (!sec) throw bad(`secret "${id}" is not in the State`);
    const rev = Number(cut > 0 ? rest.slice(cut + 1) : sec.revision);
    if (hook === "secret-changed") return on.secretChanged(sec);
    if (hook === "secret-rotate") return on.secretRotate(sec);
    if (hook === "secret-expired") return on.secretExpired(sec, rev);
    if (hook === "secret-remove") return on.secretRemove(sec, rev);
  }
  for (const ep of Object.keys(meta.relations)) {
    for (const kind of ["created", "joined", "changed", "departed", "broken"] as const) {
      if (hook !== `${ep}-relation-${kind}`) continue;
      const rels = s.relations.filter((r) => r.endpoint === ep);
      const rel = args[0]
        ? rels.find((r) => r.id === Number(args[0]))
        : rels.length === 1
          ? rels[0]
          : undefined;
      if (!rel)
        throw bad(
          args[0]
            ? `relation ${args[0]} on "${ep}" is not in the State`
            : `give the relation id (${rels.length} relations on "${ep}")`,
        );
      const unitNum = args[1] ? Number(args[1].split("/")[1]) : undefined;
      if (args[1] && !Number.isInteger(unitNum)) throw bad(`remote unit "${args[1]}" must look like app/N`);
      const o = unitNum === undefined ? {} : { remoteUnit: unitNum };
      if (kind === "created") return on.relationCreated(rel);
      if (kind === "joined") return on.relationJoined(rel, o);
      if (kind === "changed") return on.relationChanged(rel, o);
      if (kind === "departed")
        return on.relationDeparted(rel, { ...o, ...(args[2] ? { departingUnit: args[2] } : {}) });
      return on.relationBroken(rel);
    }
  }
  for (const st of Object.keys(meta.storage)) {
    for (const kind of ["attached", "detaching"] as const) {
      if (hook !== `${st}-storage-${kind}`) continue;
      const index = Number(args[0] ?? 0);
      const inst = s.storages.find((x) => x.name === st && x.index === index);
      if (!inst) throw bad(`storage ${st}/${index} is not in the State`);
      return kind === "attached" ? on.storageAttached(inst) : on.storageDetaching(inst);
    }
  }
  for (const cn of Object.keys(meta.containers)) {
    const c = s.containers.find((x) => x.name === cn);
    if (!hook.startsWith(`${cn}-pebble-`)) continue;
    if (!c) throw bad(`container "${cn}" is not in the State`);
    if (hook === `${cn}-pebble-ready`) return on.pebbleReady(c);
    if (hook === `${cn}-pebble-custom-notice`) {
      const n = c.notices.find((x) => x.id === args[0]);
      if (!n) throw bad(`notice "${args[0] ?? ""}" is not in container "${cn}"`);
      return on.pebbleCustomNotice(c, n);
    }
    if (hook === `${cn}-pebble-check-failed`) return on.pebbleCheckFailed(c, args[0] ?? "");
    if (hook === `${cn}-pebble-check-recovered`) return on.pebbleCheckRecovered(c, args[0] ?? "");
  }
  throw bad("no such hook for this charm");
}

/** Inputs of {@link runCharmJson}. */
export interface RunCharmJsonOptions {
  /** The charm directory: `charmcraft.yaml` (or metadata.yaml...) and `src/charm.ts`. */
  readonly charmDir: string;
  /** An event spec, see {@link parseEventSpec}. */
  readonly event: string;
  /** The input State as JSON text or an already-parsed object. */
  readonly stateJson: string | StateJson;
  /** Action parameters (for `action:<name>`). */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly appName?: string;
  readonly unitId?: number;
}

/** What {@link runCharmJson} returns: the output State and the run's side-effect records. */
export interface RunCharmJsonResult {
  readonly state: StateJson;
  /** Set when an action called `fail()` (the state is still the output state). */
  readonly actionFailed?: string;
  readonly records: {
    readonly unitStatusHistory: unknown[];
    readonly appStatusHistory: unknown[];
    readonly jujuLog: unknown[];
    readonly workloadVersionHistory: string[];
    readonly execHistory: Record<string, unknown[]>;
    readonly actionResults?: Record<string, unknown>;
    readonly actionLogs: string[];
    readonly emittedEvents: unknown[];
  };
}

async function importCharm(charmDir: string): Promise<CharmClass> {
  const file = join(resolve(charmDir), "src", "charm.ts");
  const url = pathToFileURL(file).href;
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ERR_UNKNOWN_FILE_EXTENSION") throw e;
    // Plain node cannot load .ts; use tsx's loader for this one import.
    const { tsImport } = await import("tsx/esm/api");
    mod = (await tsImport(url, import.meta.url)) as { default?: unknown };
  }
  if (typeof mod.default !== "function") {
    throw new TypeError(`${file} must default-export the charm class`);
  }
  return mod.default as CharmClass;
}

/**
 * Runs one event of the charm in `charmDir` on a JSON state and returns the output as JSON.
 *
 * @throws StateFormatError for a malformed state or event spec, InconsistentScenarioError,
 *   UncaughtCharmError when the charm throws.
 */
export async function runCharmJson(opts: RunCharmJsonOptions): Promise<RunCharmJsonResult> {
  const charmClass = await importCharm(opts.charmDir);
  const ctx = new Context(charmClass, {
    charmDir: resolve(opts.charmDir),
    appName: opts.appName,
    unitId: opts.unitId,
  });
  const meta = await ctx.metadata();
  const input = stateFromJson(opts.stateJson);
  const event = parseEventSpec(opts.event, meta, input, ctx.appName, opts.params);
  let out: State;
  let actionFailed: string | undefined;
  try {
    out = await ctx.run(event, input);
  } catch (e) {
    if (!(e instanceof ActionFailed)) throw e;
    out = e.state;
    actionFailed = e.message;
  }
  return {
    state: stateToJson(out),
    ...(actionFailed !== undefined ? { actionFailed } : {}),
    records: structuredClone({
      unitStatusHistory: ctx.unitStatusHistory,
      appStatusHistory: ctx.appStatusHistory,
      jujuLog: ctx.jujuLog,
      workloadVersionHistory: ctx.workloadVersionHistory,
      execHistory: ctx.execHistory,
      ...(ctx.actionResults ? { actionResults: ctx.actionResults } : {}),
      actionLogs: ctx.actionLogs,
      emittedEvents: ctx.emittedEvents,
    }) as RunCharmJsonResult["records"],
  };
}

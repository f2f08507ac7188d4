/**
 * JujuContext: the JUJU_* environment of one dispatch, parsed once and frozen. This is the only
 * module of the SDK that reads environment variables; everything else receives the context.
 * Required-variable rules follow ops' `JujuContext.from_environ`, so a malformed environment fails
 * loudly with a `ContextError` naming the variable.
 */

import { ContextError } from "./errors.js";

export { ContextError };

/**
 * Where a Kubernetes charm container sees each workload's Pebble socket:
 * `<dir>/<container>/pebble.socket` (ops/model.py `Container`). Not configurable: Juju mounts them there.
 */
export const DEFAULT_PEBBLE_SOCKET_DIR = "/charm/containers";

/** The parsed, frozen environment of one dispatch. */
export interface JujuContext {
  /** `hooks/<hook>` or `actions/<action>`. */
  readonly dispatchPath: string;
  /** `JUJU_HOOK_NAME`; empty for actions. */
  readonly hookName: string;
  readonly unitName: string;
  /** The part of the unit name before `/`. */
  readonly appName: string;
  readonly modelName: string;
  readonly modelUuid: string;
  /** `JUJU_VERSION`, e.g. `3.6.14`; empty only for meter-status-changed. */
  readonly version: string;
  readonly charmDir: string;
  readonly contextId?: string | undefined;
  readonly machineId?: string | undefined;
  readonly principalUnit?: string | undefined;
  readonly availabilityZone?: string | undefined;
  /** `JUJU_DEBUG` is present: also log to stderr. */
  readonly debug: boolean;
  readonly debugAt: readonly string[];

  readonly relationName?: string | undefined;
  /** The integer after `endpoint:` in `JUJU_RELATION_ID`. */
  readonly relationId?: number | undefined;
  readonly remoteApp?: string | undefined;
  /** Empty/undefined for an app-level relation-changed. */
  readonly remoteUnit?: string | undefined;
  readonly departingUnit?: string | undefined;

  /** `JUJU_STORAGE_ID`, e.g. `data/0`. */
  readonly storageId?: string | undefined;
  readonly storageName?: string | undefined;
  readonly storageIndex?: number | undefined;

  readonly workloadName?: string | undefined;
  readonly noticeId?: string | undefined;
  readonly noticeType?: string | undefined;
  readonly noticeKey?: string | undefined;
  readonly pebbleCheckName?: string | undefined;

  readonly secretId?: string | undefined;
  readonly secretLabel?: string | undefined;
  readonly secretRevision?: number | undefined;

  readonly actionName?: string | undefined;
  readonly actionUuid?: string | undefined;
  readonly actionTag?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

const RELATION_SUFFIXES = [
  "-relation-created",
  "-relation-joined",
  "-relation-changed",
  "-relation-departed",
  "-relation-broken",
] as const;

function required(env: Env, name: string, why: string): string {
  const v = env[name];
  if (v === undefined || v === "") {
    throw new ContextError(name, `required ${why} but not set`);
  }
  return v;
}

function present(env: Env, name: string, why: string): string {
  const v = env[name];
  if (v === undefined) throw new ContextError(name, `required ${why} but not set`);
  return v;
}

function opt(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === "" ? undefined : v;
}

function parseInteger(name: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new ContextError(name, `expected a non-negative integer, got "${raw}"`);
  return Number(raw);
}

function parseRelationId(raw: string): number {
  // Juju sends `endpoint:N`; accept a bare integer too, as ops does.
  const idx = raw.lastIndexOf(":");
  const num = idx >= 0 ? raw.slice(idx + 1) : raw;
  if (!/^\d+$/.test(num)) {
    throw new ContextError("JUJU_RELATION_ID", `expected "endpoint:N", got "${raw}"`);
  }
  return Number(num);
}

function hookOf(dispatchPath: string): { kind: "hook" | "action"; name: string } {
  const m = /^(hooks|actions)\/([^/]+)$/.exec(dispatchPath.replace(/^\.\//, ""));
  if (!m?.[2]) {
    throw new ContextError(
      "JUJU_DISPATCH_PATH",
      `expected "hooks/<hook>" or "actions/<action>", got "${dispatchPath}"`,
    );
  }
  return { kind: m[1] === "actions" ? "action" : "hook", name: m[2] };
}

/** Parse a JUJU_* environment. `argv0` is the legacy fallback when JUJU_DISPATCH_PATH is unset. */
function fromEnv(env: Env, argv0?: string): JujuContext {
  let dispatchPath = env.JUJU_DISPATCH_PATH;
  if ((dispatchPath === undefined || dispatchPath === "") && argv0) {
    const parts = argv0.split("/");
    const base = parts.at(-1) ?? "";
    const dir = parts.at(-2) ?? "";
    if ((dir === "hooks" || dir === "actions") && base) dispatchPath = `${dir}/${base}`;
  }
  if (dispatchPath === undefined || dispatchPath === "") {
    throw new ContextError("JUJU_DISPATCH_PATH", "required to name the event but not set");
  }
  const { kind, name } = hookOf(dispatchPath);

  // Juju exports JUJU_HOOK_NAME empty for actions and for `juju exec`, where the operator names the
  // event through JUJU_DISPATCH_PATH (`juju exec -- JUJU_DISPATCH_PATH=hooks/update-status ./dispatch`).
  // As ops (ops/jujucontext.py `_from_dict`, ops/_main.py `_Dispatcher`), the dispatch path names
  // the event; a non-empty JUJU_HOOK_NAME must agree with it.
  let hookName = "";
  if (kind === "hook") {
    const given = env.JUJU_HOOK_NAME ?? "";
    if (given !== "" && given !== name) {
      throw new ContextError(
        "JUJU_HOOK_NAME",
        `"${given}" does not match JUJU_DISPATCH_PATH "${dispatchPath}"`,
      );
    }
    hookName = name;
  }

  const unitName = required(env, "JUJU_UNIT_NAME", "in every hook");
  const slash = unitName.indexOf("/");
  if (slash <= 0 || !/^\d+$/.test(unitName.slice(slash + 1))) {
    throw new ContextError("JUJU_UNIT_NAME", `expected "<app>/<n>", got "${unitName}"`);
  }
  const restricted = hookName === "meter-status-changed" || hookName === "collect-metrics";
  const version = restricted ? (env.JUJU_VERSION ?? "") : required(env, "JUJU_VERSION", "in every hook");
  if (version && !/^\d+\.\d+(\.\d+|-\w+\d*)?/.test(version)) {
    throw new ContextError("JUJU_VERSION", `malformed version "${version}"`);
  }
  const charmDir = opt(env, "JUJU_CHARM_DIR") ?? opt(env, "CHARM_DIR");
  if (!charmDir) throw new ContextError("JUJU_CHARM_DIR", "required in every hook but not set");

  const ctx: {
    -readonly [K in keyof JujuContext]: JujuContext[K];
  } = {
    dispatchPath,
    hookName,
    unitName,
    appName: unitName.slice(0, slash),
    modelName: required(env, "JUJU_MODEL_NAME", "in every hook"),
    modelUuid: required(env, "JUJU_MODEL_UUID", "in every hook"),
    version,
    charmDir,
    contextId: opt(env, "JUJU_CONTEXT_ID"),
    machineId: opt(env, "JUJU_MACHINE_ID"),
    principalUnit: opt(env, "JUJU_PRINCIPAL_UNIT"),
    availabilityZone: opt(env, "JUJU_AVAILABILITY_ZONE"),
    debug: env.JUJU_DEBUG !== undefined,
    debugAt: (env.JUJU_DEBUG_AT ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  };

  if (kind === "action") {
    ctx.actionName = opt(env, "JUJU_ACTION_NAME") ?? name;
    if (ctx.actionName !== name) {
      throw new ContextError(
        "JUJU_ACTION_NAME",
        `"${ctx.actionName}" does not match JUJU_DISPATCH_PATH "${dispatchPath}"`,
      );
    }
    ctx.actionUuid = required(env, "JUJU_ACTION_UUID", "for actions");
    ctx.actionTag = opt(env, "JUJU_ACTION_TAG");
    return Object.freeze(ctx);
  }

  const relSuffix = RELATION_SUFFIXES.find((s) => hookName.endsWith(s));
  if (relSuffix) {
    ctx.relationName = required(env, "JUJU_RELATION", "in relation hooks");
    ctx.relationId = parseRelationId(required(env, "JUJU_RELATION_ID", "in relation hooks"));
    // -broken may come with an empty remote app when Juju has forgotten it.
    ctx.remoteApp =
      relSuffix === "-relation-broken"
        ? opt(env, "JUJU_REMOTE_APP")
        : required(env, "JUJU_REMOTE_APP", "in relation hooks");
    if (relSuffix === "-relation-joined" || relSuffix === "-relation-departed") {
      ctx.remoteUnit = required(env, "JUJU_REMOTE_UNIT", `in ${relSuffix.slice(1)} hooks`);
    } else if (relSuffix === "-relation-changed") {
      // Present but empty when the remote app bag changed.
      present(env, "JUJU_REMOTE_UNIT", "in relation-changed hooks");
      ctx.remoteUnit = opt(env, "JUJU_REMOTE_UNIT");
    }
    if (relSuffix === "-relation-departed") ctx.departingUnit = opt(env, "JUJU_DEPARTING_UNIT");
  } else if (hookName.endsWith("-storage-attached") || hookName.endsWith("-storage-detaching")) {
    const id = required(env, "JUJU_STORAGE_ID", "in storage hooks");
    const m = /^(.+)\/(\d+)$/.exec(id);
    if (!m?.[1] || m[2] === undefined) {
      throw new ContextError("JUJU_STORAGE_ID", `expected "<name>/<n>", got "${id}"`);
    }
    ctx.storageId = id;
    ctx.storageName = m[1];
    ctx.storageIndex = Number(m[2]);
  } else if (/-pebble-(ready|custom-notice|check-failed|check-recovered)$/.test(hookName)) {
    ctx.workloadName = required(env, "JUJU_WORKLOAD_NAME", "in pebble hooks");
    if (hookName.endsWith("-pebble-custom-notice")) {
      ctx.noticeId = required(env, "JUJU_NOTICE_ID", "in pebble-custom-notice hooks");
      ctx.noticeType = required(env, "JUJU_NOTICE_TYPE", "in pebble-custom-notice hooks");
      ctx.noticeKey = required(env, "JUJU_NOTICE_KEY", "in pebble-custom-notice hooks");
    } else if (hookName.includes("-pebble-check-")) {
      ctx.pebbleCheckName = required(env, "JUJU_PEBBLE_CHECK_NAME", "in pebble-check hooks");
    }
  } else if (/^secret-(changed|rotate|expired|remove)$/.test(hookName)) {
    ctx.secretId = required(env, "JUJU_SECRET_ID", "in secret hooks");
    ctx.secretLabel = opt(env, "JUJU_SECRET_LABEL");
    if (hookName === "secret-remove" || hookName === "secret-expired") {
      ctx.secretRevision = parseInteger(
        "JUJU_SECRET_REVISION",
        required(env, "JUJU_SECRET_REVISION", `in ${hookName} hooks`),
      );
    }
  }
  return Object.freeze(ctx);
}

/** Parser namespace: `JujuContext.fromEnv(process.env)`. */
export const JujuContext = { fromEnv } as const;

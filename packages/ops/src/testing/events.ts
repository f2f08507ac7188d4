/**
 * Event constructors of the harness (`ctx.on.*`). Each returns a `TestEvent`: the event record the
 * framework will see plus the `JUJU_*` variables real Juju would set for it, so the charm runs
 * through the same context parsing as in production.
 */
import type { EventData, LifecycleKind, RelationKind } from "../events.js";
import type { DeferredNotice } from "../state.js";
import type { AnyRelation, ContainerState, SecretState, StorageState } from "./state.js";

/** One event to run. */
export interface TestEvent {
  /** The hook name (`db-relation-changed`) or `action:<name>`, for messages. */
  readonly hookName: string;
  readonly data: EventData;
  /** Event-specific JUJU_* variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Parameters of an action (defaults from metadata are added at run time). */
  readonly actionParams?: Readonly<Record<string, unknown>> | undefined;
}

function lifecycle(kind: LifecycleKind): TestEvent {
  return {
    hookName: kind,
    data: { kind },
    env: { JUJU_DISPATCH_PATH: `hooks/${kind}`, JUJU_HOOK_NAME: kind },
  };
}

function relationEvent(
  kind: RelationKind,
  rel: AnyRelation,
  appName: string,
  opts: { remoteUnit?: number | undefined; departingUnit?: string | undefined },
): TestEvent {
  const hook = `${rel.endpoint}-${kind}`;
  const remoteApp = rel.kind === "peer" ? appName : rel.remoteAppName;
  const remoteUnit = opts.remoteUnit === undefined ? undefined : `${remoteApp}/${opts.remoteUnit}`;
  const env: Record<string, string> = {
    JUJU_DISPATCH_PATH: `hooks/${hook}`,
    JUJU_HOOK_NAME: hook,
    JUJU_RELATION: rel.endpoint,
    JUJU_RELATION_ID: `${rel.endpoint}:${rel.id}`,
    JUJU_REMOTE_APP: remoteApp,
  };
  if (kind === "relation-joined" || kind === "relation-changed" || kind === "relation-departed") {
    env.JUJU_REMOTE_UNIT = remoteUnit ?? "";
  }
  if (opts.departingUnit) env.JUJU_DEPARTING_UNIT = opts.departingUnit;
  return {
    hookName: hook,
    data: {
      kind,
      endpoint: rel.endpoint,
      relationId: rel.id,
      remoteApp,
      remoteUnit,
      departingUnit: opts.departingUnit,
    },
    env,
  };
}

function firstRemoteUnit(rel: AnyRelation): number | undefined {
  const keys = Object.keys(rel.kind === "peer" ? rel.peersData : rel.remoteUnitsData).map(Number);
  return keys.length ? Math.min(...keys) : undefined;
}

/** Builds the `ctx.on` object for an app name (peer relations need it for the remote app). */
export function eventFactory(appName: () => string) {
  return {
    install: () => lifecycle("install"),
    start: () => lifecycle("start"),
    stop: () => lifecycle("stop"),
    remove: () => lifecycle("remove"),
    updateStatus: () => lifecycle("update-status"),
    configChanged: () => lifecycle("config-changed"),
    upgradeCharm: () => lifecycle("upgrade-charm"),
    leaderElected: () => lifecycle("leader-elected"),
    leaderSettingsChanged: () => lifecycle("leader-settings-changed"),
    relationCreated: (rel: AnyRelation) => relationEvent("relation-created", rel, appName(), {}),
    /** `remoteUnit` defaults to the relation's lowest remote unit number. */
    relationJoined: (rel: AnyRelation, opts: { remoteUnit?: number } = {}) =>
      relationEvent("relation-joined", rel, appName(), {
        remoteUnit: opts.remoteUnit ?? firstRemoteUnit(rel),
      }),
    /** Without `remoteUnit`, an app-level change (empty JUJU_REMOTE_UNIT). */
    relationChanged: (rel: AnyRelation, opts: { remoteUnit?: number } = {}) =>
      relationEvent("relation-changed", rel, appName(), { remoteUnit: opts.remoteUnit }),
    /** `departingUnit` is a full unit name (may be this unit). */
    relationDeparted: (rel: AnyRelation, opts: { remoteUnit?: number; departingUnit?: string } = {}) => {
      const remoteUnit = opts.remoteUnit ?? firstRemoteUnit(rel);
      const remoteApp = rel.kind === "peer" ? appName() : rel.remoteAppName;
      return relationEvent("relation-departed", rel, appName(), {
        remoteUnit,
        departingUnit:
          opts.departingUnit ?? (remoteUnit === undefined ? undefined : `${remoteApp}/${remoteUnit}`),
      });
    },
    relationBroken: (rel: AnyRelation) => relationEvent("relation-broken", rel, appName(), {}),
    storageAttached: (st: StorageState) => storageEvent("storage-attached", st),
    storageDetaching: (st: StorageState) => storageEvent("storage-detaching", st),
    pebbleReady: (c: ContainerState): TestEvent =>
      pebbleEvent(c, "pebble-ready", { kind: "pebble-ready", container: c.name }),
    pebbleCustomNotice: (c: ContainerState, notice: { id: string; type?: string; key: string }): TestEvent =>
      pebbleEvent(
        c,
        "pebble-custom-notice",
        {
          kind: "pebble-custom-notice",
          container: c.name,
          noticeId: notice.id,
          noticeType: notice.type ?? "custom",
          noticeKey: notice.key,
        },
        { JUJU_NOTICE_ID: notice.id, JUJU_NOTICE_TYPE: notice.type ?? "custom", JUJU_NOTICE_KEY: notice.key },
      ),
    pebbleCheckFailed: (c: ContainerState, checkName: string) =>
      checkEvent(c, "pebble-check-failed", checkName),
    pebbleCheckRecovered: (c: ContainerState, checkName: string) =>
      checkEvent(c, "pebble-check-recovered", checkName),
    secretChanged: (s: SecretState) => secretEvent("secret-changed", s),
    secretRotate: (s: SecretState) => secretEvent("secret-rotate", s),
    secretExpired: (s: SecretState, revision: number) => secretEvent("secret-expired", s, revision),
    secretRemove: (s: SecretState, revision: number) => secretEvent("secret-remove", s, revision),
    action: (name: string, params: Readonly<Record<string, unknown>> = {}, id = "1"): TestEvent => ({
      hookName: `action:${name}`,
      data: { kind: "action", action: name, actionUuid: id },
      env: {
        JUJU_DISPATCH_PATH: `actions/${name}`,
        JUJU_HOOK_NAME: "",
        JUJU_ACTION_NAME: name,
        JUJU_ACTION_UUID: id,
        JUJU_ACTION_TAG: `action-${id}`,
      },
      actionParams: params,
    }),
  };
}

/** The type of `ctx.on`. */
export type EventFactory = ReturnType<typeof eventFactory>;

function storageEvent(kind: "storage-attached" | "storage-detaching", st: StorageState): TestEvent {
  const hook = `${st.name}-${kind}`;
  return {
    hookName: hook,
    data: { kind, storageName: st.name, storageIndex: st.index, storageId: `${st.name}/${st.index}` },
    env: {
      JUJU_DISPATCH_PATH: `hooks/${hook}`,
      JUJU_HOOK_NAME: hook,
      JUJU_STORAGE_ID: `${st.name}/${st.index}`,
    },
  };
}

function pebbleEvent(
  c: ContainerState,
  suffix: string,
  data: EventData,
  extra: Record<string, string> = {},
): TestEvent {
  const hook = `${c.name}-${suffix}`;
  return {
    hookName: hook,
    data,
    env: { JUJU_DISPATCH_PATH: `hooks/${hook}`, JUJU_HOOK_NAME: hook, JUJU_WORKLOAD_NAME: c.name, ...extra },
  };
}

function checkEvent(
  c: ContainerState,
  kind: "pebble-check-failed" | "pebble-check-recovered",
  checkName: string,
) {
  return pebbleEvent(c, kind, { kind, container: c.name, checkName }, { JUJU_PEBBLE_CHECK_NAME: checkName });
}

function secretEvent(
  kind: "secret-changed" | "secret-rotate" | "secret-expired" | "secret-remove",
  s: SecretState,
  revision?: number,
): TestEvent {
  const env: Record<string, string> = {
    JUJU_DISPATCH_PATH: `hooks/${kind}`,
    JUJU_HOOK_NAME: kind,
    JUJU_SECRET_ID: s.id,
  };
  if (s.label !== undefined) env.JUJU_SECRET_LABEL = s.label;
  if (revision !== undefined) env.JUJU_SECRET_REVISION = String(revision);
  return {
    hookName: kind,
    data: { kind, secretId: s.id, secretLabel: s.label, revision },
    env,
  };
}

/**
 * A deferred notice for `State.deferred`: `event` will be re-run for the observer registered
 * for it (the `index`-th such observer, default the first) at the start of the next run.
 */
export function deferred(event: TestEvent, index = 0): DeferredNotice {
  return { event: event.data, observer: `?${index}` };
}

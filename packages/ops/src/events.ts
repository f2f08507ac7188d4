/**
 * Typed events: a discriminated union of plain, serializable event records parsed from
 * `JUJU_DISPATCH_PATH`, the context and the charm's metadata. Records hold only ids and names
 * (never model objects), so a deferred event can be stored as JSON and rebuilt in a later hook.
 */

import type { JujuContext } from "./context.js";
import type { CharmMeta } from "./metadata.js";

/** Events with no payload. */
export type LifecycleKind =
  | "install"
  | "start"
  | "stop"
  | "remove"
  | "config-changed"
  | "update-status"
  | "upgrade-charm"
  | "leader-elected"
  | "leader-settings-changed";

/** Relation hook kinds (the endpoint is a field). */
export type RelationKind =
  | "relation-created"
  | "relation-joined"
  | "relation-changed"
  | "relation-departed"
  | "relation-broken";

/** Storage hook kinds. */
export type StorageKind = "storage-attached" | "storage-detaching";

/** Pebble hook kinds (the container is a field). */
export type PebbleKind =
  | "pebble-ready"
  | "pebble-custom-notice"
  | "pebble-check-failed"
  | "pebble-check-recovered";

/** Secret hook kinds. */
export type SecretKind = "secret-changed" | "secret-rotate" | "secret-expired" | "secret-remove";

/** Framework-generated status collection kinds. */
export type CollectStatusKind = "collect-unit-status" | "collect-app-status";

/** A lifecycle event. */
export interface LifecycleEventData {
  readonly kind: LifecycleKind;
}

/** A relation event. */
export interface RelationEventData {
  readonly kind: RelationKind;
  readonly endpoint: string;
  readonly relationId: number;
  readonly remoteApp?: string | undefined;
  /** The remote unit; absent for an app-level relation-changed and for created/broken. */
  readonly remoteUnit?: string | undefined;
  /** relation-departed only: the unit that is leaving (may be this unit). */
  readonly departingUnit?: string | undefined;
}

/** A storage event. */
export interface StorageEventData {
  readonly kind: StorageKind;
  readonly storageName: string;
  readonly storageIndex: number;
  /** `name/index`. */
  readonly storageId: string;
}

/** `<container>-pebble-ready`. */
export interface PebbleReadyEventData {
  readonly kind: "pebble-ready";
  readonly container: string;
}

/** `<container>-pebble-custom-notice`. */
export interface PebbleNoticeEventData {
  readonly kind: "pebble-custom-notice";
  readonly container: string;
  readonly noticeId: string;
  readonly noticeType: string;
  readonly noticeKey: string;
}

/** `<container>-pebble-check-failed/-recovered`. */
export interface PebbleCheckEventData {
  readonly kind: "pebble-check-failed" | "pebble-check-recovered";
  readonly container: string;
  readonly checkName: string;
}

/** A secret event. */
export interface SecretEventData {
  readonly kind: SecretKind;
  readonly secretId: string;
  readonly secretLabel?: string | undefined;
  /** secret-remove and secret-expired only. */
  readonly revision?: number | undefined;
}

/** An action. */
export interface ActionEventData {
  readonly kind: "action";
  readonly action: string;
  readonly actionUuid: string;
}

/** Framework-generated status collection. */
export interface CollectStatusEventData {
  readonly kind: CollectStatusKind;
}

/** A hook the SDK does not model (legacy or restricted hooks, undeclared names). Ignored. */
export interface OtherEventData {
  readonly kind: "other";
  readonly hookName: string;
}

/** Every event the framework can emit. */
export type EventData =
  | LifecycleEventData
  | RelationEventData
  | StorageEventData
  | PebbleReadyEventData
  | PebbleNoticeEventData
  | PebbleCheckEventData
  | SecretEventData
  | ActionEventData
  | CollectStatusEventData
  | OtherEventData;

/** Every `kind` value. */
export type EventKind = EventData["kind"];

const LIFECYCLE = new Set<string>([
  "install",
  "start",
  "stop",
  "remove",
  "config-changed",
  "update-status",
  "upgrade-charm",
  "leader-elected",
  "leader-settings-changed",
]);

const RELATION_KINDS: readonly RelationKind[] = [
  "relation-created",
  "relation-joined",
  "relation-changed",
  "relation-departed",
  "relation-broken",
];
const PEBBLE_KINDS: readonly PebbleKind[] = [
  "pebble-ready",
  "pebble-custom-notice",
  "pebble-check-failed",
  "pebble-check-recovered",
];
const STORAGE_KINDS: readonly StorageKind[] = ["storage-attached", "storage-detaching"];
const SECRET_KINDS = new Set<string>(["secret-changed", "secret-rotate", "secret-expired", "secret-remove"]);

/** Kinds whose events cannot be deferred (ops raises for these). */
export const NON_DEFERRABLE = new Set<EventKind>([
  "action",
  "stop",
  "remove",
  "secret-rotate",
  "secret-expired",
  "collect-unit-status",
  "collect-app-status",
]);

/**
 * Build the event record for this dispatch. Names that may contain `-` (endpoints, containers,
 * storage, actions) come from the event-specific variables and are checked against the hook name
 * and the metadata; a hook the charm does not declare becomes `{kind: "other"}`.
 */
export function parseEvent(ctx: JujuContext, meta: CharmMeta): EventData {
  if (ctx.dispatchPath.startsWith("actions/")) {
    const action = ctx.actionName ?? ctx.dispatchPath.slice("actions/".length);
    return { kind: "action", action, actionUuid: ctx.actionUuid ?? "" };
  }
  const hook = ctx.hookName;
  if (LIFECYCLE.has(hook)) return { kind: hook as LifecycleKind };
  if (SECRET_KINDS.has(hook) && ctx.secretId !== undefined) {
    return {
      kind: hook as SecretKind,
      secretId: ctx.secretId,
      secretLabel: ctx.secretLabel,
      revision: ctx.secretRevision,
    };
  }
  for (const kind of RELATION_KINDS) {
    const ep = ctx.relationName;
    if (ep !== undefined && hook === `${ep}-${kind}` && meta.relations[ep] && ctx.relationId !== undefined) {
      return {
        kind,
        endpoint: ep,
        relationId: ctx.relationId,
        remoteApp: ctx.remoteApp,
        remoteUnit: ctx.remoteUnit,
        departingUnit: ctx.departingUnit,
      };
    }
  }
  for (const kind of STORAGE_KINDS) {
    const st = ctx.storageName;
    if (st !== undefined && hook === `${st}-${kind}` && meta.storage[st]) {
      return {
        kind,
        storageName: st,
        storageIndex: ctx.storageIndex ?? 0,
        storageId: ctx.storageId ?? `${st}/${ctx.storageIndex ?? 0}`,
      };
    }
  }
  for (const kind of PEBBLE_KINDS) {
    const c = ctx.workloadName;
    if (c === undefined || hook !== `${c}-${kind}` || !meta.containers[c]) continue;
    if (kind === "pebble-ready") return { kind, container: c };
    if (kind === "pebble-custom-notice") {
      return {
        kind,
        container: c,
        noticeId: ctx.noticeId ?? "",
        noticeType: ctx.noticeType ?? "",
        noticeKey: ctx.noticeKey ?? "",
      };
    }
    return { kind, container: c, checkName: ctx.pebbleCheckName ?? "" };
  }
  return { kind: "other", hookName: hook };
}

/** The name an event is observed under besides its kind: endpoint, container, storage or action. */
export function eventSubject(e: EventData): string | undefined {
  switch (e.kind) {
    case "relation-created":
    case "relation-joined":
    case "relation-changed":
    case "relation-departed":
    case "relation-broken":
      return e.endpoint;
    case "storage-attached":
    case "storage-detaching":
      return e.storageName;
    case "pebble-ready":
    case "pebble-custom-notice":
    case "pebble-check-failed":
    case "pebble-check-recovered":
      return e.container;
    case "action":
      return e.action;
    default:
      return undefined;
  }
}

/** Stable JSON of an event record (sorted keys), used to detect identical deferred notices. */
export function eventKey(e: EventData): string {
  const o = e as unknown as Record<string, unknown>;
  return JSON.stringify(
    Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => [k, o[k]]),
  );
}

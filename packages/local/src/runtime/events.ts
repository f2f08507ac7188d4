/**
 * The events the runtime queues, as Juju would name and describe them: the JUJU_* environment of
 * a queued hook or action, its relation events, and what kind of event it is, decided by the
 * SDK's own parser (`JujuContext.fromEnv` + `parseEvent`) on that environment, so the runtime and
 * the charms it runs agree on what a hook is.
 */
import type { EventData } from "@charmkit/ops";
import { JujuContext, parseEvent } from "@charmkit/ops/internal";
import type { CharmMeta } from "../charm-meta.js";
import {
  JUJU_VERSION,
  type ModelFile,
  type ModelStore,
  type QueuedEvent,
  type RelRec,
  type UnitRec,
} from "./model.js";

/** The relation event kinds the runtime queues. */
export type RelationEventKind = "created" | "joined" | "changed" | "departed" | "broken";

/** A relation event of `r` for unit `u` (with `remoteUnit` "" for an app-level change). */
export function relationEvent(
  store: ModelStore,
  r: RelRec,
  u: UnitRec,
  kind: RelationEventKind,
  remoteUnit?: string,
): QueuedEvent {
  const ep = store.endpointOf(r, u.app);
  const env: Record<string, string> = {
    JUJU_RELATION: ep,
    JUJU_RELATION_ID: `${ep}:${r.id}`,
    JUJU_REMOTE_APP: store.remoteAppOf(r, u.app),
  };
  if (remoteUnit !== undefined) env.JUJU_REMOTE_UNIT = remoteUnit;
  return {
    hook: `${ep}-relation-${kind}`,
    env,
    relationId: r.id,
    ...(remoteUnit !== undefined ? { remoteUnit } : {}),
  };
}

/**
 * The JUJU_* variables of one dispatch that follow from the model and the event alone (the hook
 * runner adds the context id, sockets and paths of the process it starts).
 */
export function eventEnv(
  model: ModelFile,
  u: UnitRec,
  ev: QueuedEvent,
  charmDir: string,
): Record<string, string> {
  const action = ev.actionId !== undefined;
  // A command run in the hook context (`juju exec`) has no event: an empty hook name, no dispatch path.
  const exec = ev.execId !== undefined;
  return {
    ...(exec ? {} : { JUJU_DISPATCH_PATH: action ? `actions/${ev.hook}` : `hooks/${ev.hook}` }),
    JUJU_HOOK_NAME: action || exec ? "" : ev.hook,
    JUJU_UNIT_NAME: u.name,
    JUJU_MODEL_NAME: model.name,
    JUJU_MODEL_UUID: model.uuid,
    JUJU_VERSION,
    JUJU_CHARM_DIR: charmDir,
    ...ev.env,
  };
}

/** What kind of event `ev` is for unit `u`, as the SDK parses it from the dispatch environment. */
export function classifyEvent(
  model: ModelFile,
  meta: CharmMeta,
  u: UnitRec,
  ev: QueuedEvent,
  charmDir: string,
): EventData {
  return parseEvent(JujuContext.fromEnv(eventEnv(model, u, ev, charmDir)), meta.sdk);
}

/** The relation id of a relation event, else undefined. */
export function relationIdOf(e: EventData): number | undefined {
  return "relationId" in e ? e.relationId : undefined;
}

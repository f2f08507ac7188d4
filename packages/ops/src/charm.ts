/**
 * The charm framework: `CharmBase`, typed `observe()` wiring checked against metadata, event
 * objects with `defer()`, stored state, collect-status, and the dispatch algorithm
 * (`runDispatch`, injectable; `main`, the production entry a bundled charm calls).
 */

import type { HookTools, LogLevel } from "./backend.js";
import type { JujuContext } from "./context.js";
import { CharmDefinitionError, InvalidParamsError, ModelError } from "./errors.js";
import { actionKeyProblem } from "./hookcmds/action.js";
import {
  type ActionEventData,
  type CollectStatusKind,
  type EventData,
  type EventKind,
  eventKey,
  eventSubject,
  type LifecycleEventData,
  type LifecycleKind,
  NON_DEFERRABLE,
  type PebbleCheckEventData,
  type PebbleNoticeEventData,
  type PebbleReadyEventData,
  parseEvent,
  type RelationEventData,
  type RelationKind,
  type SecretEventData,
  type SecretKind,
  type StorageEventData,
  type StorageKind,
} from "./events.js";
import type { CharmMeta } from "./metadata.js";
import type { Container } from "./pebble/container.js";
import { Model, type ModelOptions, type Relation, type Secret, type Status, Storage } from "./model.js";
import { type RelationView, RelationViews } from "./relation-view.js";
import type { DeferredNotice, JsonValue, StateStore, UnitState } from "./state.js";
import { CharmTracing } from "./tracing/index.js";

/** Status priority for collect-status: the highest wins. */
const STATUS_PRIORITY: Record<string, number> = {
  error: 5,
  blocked: 4,
  maintenance: 3,
  waiting: 2,
  active: 1,
  unknown: 0,
};

/** Hooks Juju runs with a reduced tool set: no deferred re-runs, no collect-status. */
const RESTRICTED_HOOKS = new Set(["collect-metrics", "meter-status-changed"]);

/** Base of every event object handed to a handler. */
export class EventBase<D extends EventData = EventData> {
  /** @internal */
  deferred = false;
  constructor(
    /** The serializable event record. */
    readonly data: D,
    /** @internal */
    protected readonly framework: Framework,
  ) {}

  /** The event kind. */
  get kind(): D["kind"] {
    return this.data.kind;
  }

  /**
   * Run this handler again at the start of the next dispatch, before that dispatch's own event.
   * Not allowed for actions, stop, remove, secret-rotate, secret-expired and collect-status.
   */
  defer(): void {
    if (NON_DEFERRABLE.has(this.data.kind)) {
      throw new CharmDefinitionError(`"${this.data.kind}" events cannot be deferred`);
    }
    this.deferred = true;
  }
}

/** A relation event, with the relation resolved from the model. */
export class RelationEvent extends EventBase<RelationEventData> {
  /** The relation (inactive in -broken). */
  get relation(): Relation {
    const r = this.framework.model.relation(this.data.endpoint, this.data.relationId);
    if (!r) throw new ModelError(`relation ${this.data.endpoint}:${this.data.relationId} no longer exists`);
    return r;
  }
  /** Remote application name. */
  get app(): string | undefined {
    return this.data.remoteApp;
  }
  /** Remote unit name; undefined for app-level changes, -created and -broken. */
  get unit(): string | undefined {
    return this.data.remoteUnit;
  }
  /** In -departed: the unit that is leaving (may be this unit). */
  get departingUnit(): string | undefined {
    return this.data.departingUnit;
  }
}

/** A storage event. */
export class StorageEvent extends EventBase<StorageEventData> {
  get storage(): Storage {
    return new Storage(this.framework.model.backend, this.data.storageId);
  }
}

/** A Pebble event (ready, custom notice, check failed/recovered). */
export class PebbleEvent<
  D extends PebbleReadyEventData | PebbleNoticeEventData | PebbleCheckEventData = PebbleReadyEventData,
> extends EventBase<D> {
  /** The container name. */
  get workloadName(): string {
    return this.data.container;
  }
  /** The container (typed as the default Pebble `Container`; a custom factory's type is not tracked here). */
  get workload(): Container {
    return this.framework.model.unit.container(this.data.container) as Container;
  }
}

/** A secret event. */
export class SecretEvent extends EventBase<SecretEventData> {
  get secret(): Secret {
    return this.framework.model.getSecret({ id: this.data.secretId, label: this.data.secretLabel });
  }
  /** The revision concerned (secret-remove and secret-expired). */
  get revision(): number | undefined {
    return this.data.revision;
  }
}

/** Flatten nested results into Juju's dotted keys; values become strings. */
export function flattenActionResults(results: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [k, sub] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, sub);
      return;
    }
    const problem = actionKeyProblem(prefix);
    if (problem !== undefined) throw new ModelError(`action result ${problem}`);
    if (prefix in out) throw new ModelError(`action result key "${prefix}" is given twice`);
    out[prefix] = typeof v === "string" ? v : JSON.stringify(v);
  };
  walk("", results);
  return out;
}

/** An action invocation. */
export class ActionEvent extends EventBase<ActionEventData> {
  private cachedParams: Record<string, unknown> | undefined;
  /** The action's parameters, with Juju's defaults applied. */
  get params(): Record<string, unknown> {
    this.cachedParams ??= this.framework.model.backend.actionGet();
    return this.cachedParams;
  }
  /** Report results; nested objects become dotted keys. */
  setResults(results: Readonly<Record<string, unknown>>): void {
    this.framework.model.backend.actionSet(flattenActionResults(results));
  }
  /**
   * The parameters checked against the action's schema in charmcraft.yaml (as ops'
   * `load_params`): every declared parameter's JSON type, the required ones present, no undeclared
   * one unless the action allows them. `P` is the charm's generated parameter type.
   *
   * @throws InvalidParamsError naming the parameter; pass its message to {@link fail}.
   */
  loadParams<P extends object = Record<string, unknown>>(): P {
    const meta = this.framework.meta.actions[this.data.action];
    const params = this.params;
    if (!meta) return params as P;
    for (const name of meta.required) {
      if (params[name] === undefined) throw new InvalidParamsError(name, "is required");
    }
    for (const [name, value] of Object.entries(params)) {
      const schema = meta.params[name];
      if (!schema) {
        if (!meta.additionalProperties) throw new InvalidParamsError(name, "is not declared for this action");
        continue;
      }
      const want = schema.type;
      if (typeof want === "string" && !jsonTypeMatches(want, value)) {
        throw new InvalidParamsError(name, `must be of type ${want}, got ${JSON.stringify(value)}`);
      }
      if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
        throw new InvalidParamsError(
          name,
          `must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`,
        );
      }
    }
    return params as P;
  }
  /** Send a progress message to the user. */
  log(message: string): void {
    this.framework.model.backend.actionLog(message);
  }
  /** Mark the action as failed (the hook still succeeds). */
  fail(message?: string): void {
    this.framework.model.backend.actionFail(message);
  }
}

/** Collect-status: handlers add candidate statuses; the framework sets the highest-priority one. */
export class CollectStatusEvent extends EventBase<{ readonly kind: CollectStatusKind }> {
  /** @internal */
  readonly statuses: Status[] = [];
  /** Offer a status; error > blocked > maintenance > waiting > active decides. */
  addStatus(status: Status): void {
    this.statuses.push(status);
  }
}

/** The event object a handler of a kind receives. */
export type EventFor<K extends EventKind> = K extends RelationKind
  ? RelationEvent
  : K extends StorageKind
    ? StorageEvent
    : K extends "pebble-ready"
      ? PebbleEvent<PebbleReadyEventData>
      : K extends "pebble-custom-notice"
        ? PebbleEvent<PebbleNoticeEventData>
        : K extends "pebble-check-failed" | "pebble-check-recovered"
          ? PebbleEvent<PebbleCheckEventData>
          : K extends SecretKind
            ? SecretEvent
            : K extends "action"
              ? ActionEvent
              : K extends CollectStatusKind
                ? CollectStatusEvent
                : K extends LifecycleKind
                  ? EventBase<LifecycleEventData>
                  : EventBase;

/** Whether `value` is of JSON-schema type `type` (integer: a whole number). */
function jsonTypeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "null":
      return value === null;
    default:
      return true;
  }
}

/** A handler; may be async (awaited before the next one runs). */
export type Handler<E> = (event: E) => void | Promise<void>;

/** Kinds observed under a name (endpoint, storage, container, action). */
export type NamedKind =
  | RelationKind
  | StorageKind
  | "pebble-ready"
  | "pebble-custom-notice"
  | "pebble-check-failed"
  | "pebble-check-recovered"
  | "action";

/**
 * The names a charm declares in charmcraft.yaml, as types. `@charmkit/build` generates them into
 * the charm's `src/charmcraft.gen.ts` (`CharmcraftNames`); a charm declared as
 * `class MyCharm extends CharmBase<CharmcraftNames>` gets a compile error for a misspelt endpoint,
 * container, storage or action name in `observe()` and `relationView()`, as hono types its
 * routes. The default accepts any string (the names are still checked at wiring time).
 */
export interface CharmNames {
  readonly endpoint: string;
  readonly container: string;
  readonly storage: string;
  readonly action: string;
  readonly option: string;
}

/** The name `observe(kind, name, handler)` takes for kind `K`. */
export type NameFor<K extends NamedKind, N extends CharmNames> = K extends RelationKind
  ? N["endpoint"]
  : K extends StorageKind
    ? N["storage"]
    : K extends "action"
      ? N["action"]
      : N["container"];

/** Kinds observed without a name. */
export type UnnamedKind = LifecycleKind | SecretKind | CollectStatusKind;

interface Observer {
  readonly key: string;
  readonly kind: EventKind;
  readonly subject: string | undefined;
  readonly handler: Handler<EventBase>;
}

/** A leveled logger that writes through `juju-log` (and stderr when JUJU_DEBUG is set). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

function makeLogger(backend: HookTools, toStderr: boolean): Logger {
  const log = (level: LogLevel, message: string) => {
    if (toStderr) process.stderr.write(`${level} ${message}\n`);
    backend.jujuLog(level, message);
  };
  return {
    debug: (m) => log("DEBUG", m),
    info: (m) => log("INFO", m),
    warning: (m) => log("WARNING", m),
    error: (m) => log("ERROR", m),
  };
}

/**
 * The framework of one dispatch: observers, stored state and the model. `N` types the names
 * `observe()` and `relationView()` accept (see {@link CharmNames}).
 */
export class Framework<N extends CharmNames = CharmNames> {
  readonly model: Model;
  readonly meta: CharmMeta;
  readonly logger: Logger;
  /** @internal */
  readonly observers: Observer[] = [];
  /** @internal Stored state as it will be committed. */
  readonly stored: Record<string, Record<string, JsonValue>>;
  /** @internal The cached relation views of this dispatch. */
  readonly views: RelationViews;

  /**
   * A unit-local directory where the charm may keep caches between hooks: files that only save
   * work, whose loss or staleness changes no result. Under Juju it is the charm directory, beside
   * the stored-state file (as ops keeps `.unit-state.db` there); `undefined` where there is none
   * (the testing harness, unless its `cacheDir` option is set).
   */
  readonly cacheDir: string | undefined;

  /**
   * This dispatch's trace (see `@charmkit/ops/tracing`): set where traces go with
   * `tracing.setDestination(...)`, add spans with `tracing.span(...)`. Handlers, hook tools and
   * Pebble calls are traced by the SDK.
   */
  readonly tracing: CharmTracing;

  constructor(
    model: Model,
    stored: Record<string, Record<string, JsonValue>>,
    cacheDir?: string | undefined,
    tracing?: CharmTracing | undefined,
  ) {
    this.model = model;
    this.meta = model.metadata;
    this.stored = stored;
    this.cacheDir = cacheDir;
    this.tracing =
      tracing ??
      new CharmTracing({
        rootName: model.context.hookName || model.context.dispatchPath,
        resource: {
          modelName: model.context.modelName,
          modelUuid: model.context.modelUuid,
          unitName: model.context.unitName,
          charmName: model.metadata.name,
          charmType: "",
        },
      });
    this.logger = makeLogger(model.backend, model.context.debug);
    this.views = new RelationViews(
      {
        backend: model.backend,
        context: model.context,
        metadata: model.metadata,
        uuid: model.uuid,
        unitName: model.unit.name,
        appName: model.app.name,
        relations: (endpoint) => model.relations(endpoint),
        isLeader: () => model.unit.isLeader(),
      },
      cacheDir,
    );
    model.views = this.views;
  }

  /**
   * The cached view of an endpoint's relations (see {@link RelationView}): remote bags kept
   * between hooks in {@link cacheDir}, so a hook reads only the bags its event names. Declare it
   * in the charm's constructor, like observers: from then on every relation event of the endpoint
   * is recorded for it, whether or not a handler reads the view in that hook. Without a cache
   * directory it reads everything in every hook.
   *
   * @throws CharmDefinitionError when metadata does not declare the endpoint.
   */
  relationView(endpoint: N["endpoint"]): RelationView {
    if (!(endpoint in this.meta.relations)) {
      const known = Object.keys(this.meta.relations).sort().join(", ") || "none";
      throw new CharmDefinitionError(
        `relationView("${endpoint}"): no such endpoint in charmcraft.yaml, or fix the name (known: ${known})`,
      );
    }
    return this.views.view(endpoint);
  }

  /** Observe a named event: relation events by endpoint, storage, Pebble events by container, actions. */
  observe<K extends NamedKind>(kind: K, name: NameFor<K, N>, handler: Handler<EventFor<K>>): void;
  /** Observe an event without a name (lifecycle, secrets, collect-status). */
  observe<K extends UnnamedKind>(kind: K, handler: Handler<EventFor<K>>): void;
  observe(kind: EventKind, a: string | Handler<never>, b?: Handler<never>): void {
    const subject = typeof a === "string" ? a : undefined;
    const handler = (typeof a === "string" ? b : a) as Handler<EventBase> | undefined;
    if (typeof handler !== "function") {
      throw new CharmDefinitionError(`observe("${kind}"): the handler must be a function`);
    }
    this.checkWiring(kind, subject);
    const key = `${kind}:${subject ?? ""}#${this.observers.length}`;
    this.observers.push({ key, kind, subject, handler });
  }

  private checkWiring(kind: EventKind, subject: string | undefined): void {
    const m = this.meta;
    const table: [(k: string) => boolean, Record<string, unknown>, string][] = [
      [(k) => k.startsWith("relation-"), m.relations, "endpoint; declare it under requires/provides/peers"],
      [(k) => k.startsWith("storage-"), m.storage, "storage; declare it under storage"],
      [(k) => k.startsWith("pebble-"), m.containers, "container; declare it under containers"],
      [(k) => k === "action", m.actions, "action; declare it under actions"],
    ];
    for (const [match, declared, what] of table) {
      if (!match(kind)) continue;
      if (subject === undefined) {
        throw new CharmDefinitionError(
          `observe("${kind}") needs the ${what.split(";")[0]} name as 2nd argument`,
        );
      }
      if (!(subject in declared)) {
        const known = Object.keys(declared).sort().join(", ") || "none";
        throw new CharmDefinitionError(
          `observe("${kind}", "${subject}"): no such ${what} in charmcraft.yaml, or fix the name (known: ${known})`,
        );
      }
      return;
    }
    if (subject !== undefined) {
      throw new CharmDefinitionError(`observe("${kind}") takes no name; remove "${subject}"`);
    }
    if (kind === "other") throw new CharmDefinitionError(`"other" events cannot be observed`);
  }

  /**
   * Stored state under `name`: the committed value, or `defaults` the first time. Missing keys
   * are filled from `defaults`. Mutate the returned object; it is saved when the dispatch commits.
   * Values must be JSON.
   */
  storedState<T extends Record<string, JsonValue>>(name: string, defaults: T): T {
    const existing = this.stored[name] ?? {};
    this.stored[name] = { ...structuredClone(defaults), ...existing };
    return this.stored[name] as T;
  }

  /** @internal Build the event object a handler gets. */
  makeEvent(data: EventData): EventBase {
    switch (data.kind) {
      case "relation-created":
      case "relation-joined":
      case "relation-changed":
      case "relation-departed":
      case "relation-broken":
        return new RelationEvent(data, this);
      case "storage-attached":
      case "storage-detaching":
        return new StorageEvent(data, this);
      case "pebble-ready":
      case "pebble-custom-notice":
      case "pebble-check-failed":
      case "pebble-check-recovered":
        return new PebbleEvent(data as PebbleReadyEventData, this);
      case "secret-changed":
      case "secret-rotate":
      case "secret-expired":
      case "secret-remove":
        return new SecretEvent(data, this);
      case "action":
        return new ActionEvent(data, this);
      case "collect-unit-status":
      case "collect-app-status":
        return new CollectStatusEvent(data, this);
      default:
        return new EventBase(data, this);
    }
  }
}

/**
 * Base class of a charm. The constructor registers observers; it runs on every dispatch. `N` is the
 * charm's generated `CharmcraftNames`, which makes its declared names compile-time checked.
 */
export class CharmBase<N extends CharmNames = CharmNames> {
  readonly framework: Framework<N>;
  constructor(framework: Framework<N>) {
    this.framework = framework;
  }
  /** The model of this dispatch. */
  get model(): Model {
    return this.framework.model;
  }
  /** The charm's directory (`JUJU_CHARM_DIR`): where its bundled files are, as ops' `charm_dir`. */
  get charmDir(): string {
    return this.framework.model.context.charmDir;
  }
  /** Where the charm may keep caches between hooks, if anywhere (see {@link Framework.cacheDir}). */
  get cacheDir(): string | undefined {
    return this.framework.cacheDir;
  }
  /** Metadata from charmcraft.yaml / metadata.yaml. */
  get meta(): CharmMeta {
    return this.framework.meta;
  }
  /** Logging through juju-log. */
  get log(): Logger {
    return this.framework.logger;
  }
}

/** A charm class: constructed with the framework of each dispatch. */
export type CharmClass = new (framework: Framework) => CharmBase;

/** Inputs of `runDispatch`. */
export interface DispatchOptions {
  readonly charmClass: CharmClass;
  /**
   * Builds the charm instead of `new charmClass(framework)`: for a charm whose constructor takes
   * dependencies besides the framework (the harness passes fakes through it). `charmClass` still
   * names the charm (tracing).
   */
  readonly create?: ((framework: Framework) => CharmBase) | undefined;
  readonly context: JujuContext;
  readonly metadata: CharmMeta;
  readonly backend: HookTools;
  readonly store: StateStore;
  /** Clock for the leadership cache. */
  readonly now?: (() => number) | undefined;
  /** See {@link Framework.cacheDir}; `main` passes the charm directory. */
  readonly cacheDir?: string | undefined;
  /** The unit's FQDN (see {@link ModelOptions.fqdn}); the machine's when omitted. */
  readonly fqdn?: (() => string) | undefined;
  /** The dispatch's trace (`main` makes one that exports); a local one by default. */
  readonly tracing?: CharmTracing | undefined;
}

/** What one dispatch did (for the harness and tests). */
export interface DispatchResult {
  /** The event emitted for this dispatch. */
  readonly event: EventData;
  /** The state committed to the store. */
  readonly state: UnitState;
  /** Whether the store was written. */
  readonly saved: boolean;
  /** The status set by collect-status, if any, per target. */
  readonly collected: { readonly unit?: Status | undefined; readonly app?: Status | undefined };
}

function pickStatus(statuses: readonly Status[]): Status | undefined {
  let best: Status | undefined;
  for (const s of statuses) {
    if (!best || (STATUS_PRIORITY[s.name] ?? 0) > (STATUS_PRIORITY[best.name] ?? 0)) best = s;
  }
  return best;
}

/**
 * Run one dispatch: build the model and charm, re-run deferred notices (FIFO), emit the event,
 * collect status, and commit stored state and the deferred queue. Throws whatever a handler
 * throws; nothing is committed then.
 */
export async function runDispatch(opts: DispatchOptions): Promise<DispatchResult> {
  const model = new Model({
    context: opts.context,
    metadata: opts.metadata,
    backend: opts.backend,
    now: opts.now,
    fqdn: opts.fqdn,
  });
  const loaded = opts.store.load();
  const stored = structuredClone(loaded.stored) as Record<string, Record<string, JsonValue>>;
  const framework = new Framework(model, stored, opts.cacheDir, opts.tracing);
  const className = opts.tracing?.charmType || (opts.charmClass as { name?: string }).name || "Charm";
  // ops names a handler's span `<event kind>: <charm class>` (framework.py `_reemit`).
  const traced = (ev: EventBase, handler: Handler<EventBase>, deferred: boolean) =>
    framework.tracing.span(`${ev.kind}: ${className}`, { event_name: ev.kind, deferred }, () => handler(ev));
  if (opts.create) opts.create(framework);
  else new opts.charmClass(framework);

  const event = parseEvent(opts.context, opts.metadata);
  const restricted = RESTRICTED_HOOKS.has(opts.context.hookName);
  framework.views.begin(event);
  const queue: DeferredNotice[] = [];
  const queued = new Set<string>();
  const enqueue = (n: DeferredNotice) => {
    const k = `${n.observer}|${eventKey(n.event)}`;
    if (queued.has(k)) return;
    queued.add(k);
    queue.push(n);
  };
  const byKey = new Map(framework.observers.map((o) => [o.key, o]));

  if (!restricted) {
    for (const notice of loaded.deferred) {
      const obs = byKey.get(notice.observer);
      if (!obs || !stillValid(model, notice.event)) continue;
      const ev = framework.makeEvent(notice.event);
      await traced(ev, obs.handler, true);
      if (ev.deferred) enqueue(notice);
    }
  }

  const subject = eventSubject(event);
  for (const obs of framework.observers) {
    if (obs.kind !== event.kind || obs.subject !== subject) continue;
    // An identical notice that ran a moment ago and deferred again stands for this event too
    // (as ops' duplicate skipping does): do not run the same handler twice in one dispatch.
    if (queued.has(`${obs.key}|${eventKey(event)}`)) continue;
    const ev = framework.makeEvent(event);
    await traced(ev, obs.handler, false);
    if (ev.deferred) enqueue({ event, observer: obs.key });
  }

  const collected: { unit?: Status; app?: Status } = {};
  if (!restricted) {
    const targets: CollectStatusKind[] = ["collect-unit-status"];
    if (framework.observers.some((o) => o.kind === "collect-app-status") && model.unit.isLeader()) {
      targets.unshift("collect-app-status");
    }
    for (const kind of targets) {
      const ev = new CollectStatusEvent({ kind }, framework);
      let any = false;
      for (const obs of framework.observers) {
        if (obs.kind !== kind) continue;
        any = true;
        await obs.handler(ev);
      }
      const best = any ? pickStatus(ev.statuses) : undefined;
      if (!best) continue;
      if (best.name === "error") throw new ModelError(`charm reported error status: ${best.message}`);
      if (kind === "collect-app-status") {
        model.app.setStatus(best);
        collected.app = best;
      } else {
        model.unit.setStatus(best);
        collected.unit = best;
      }
    }
  }

  const state: UnitState = { stored, deferred: queue };
  const changed =
    JSON.stringify(state.stored) !== JSON.stringify(loaded.stored) ||
    JSON.stringify(state.deferred) !== JSON.stringify(loaded.deferred);
  if (changed) opts.store.save(state);
  framework.views.commit();
  return { event, state, saved: changed, collected };
}

/** A deferred relation event whose relation has gone is dropped, as ops cannot restore it. */
function stillValid(model: Model, e: EventData): boolean {
  if (!("relationId" in e)) return true;
  if (e.kind === "relation-broken") return true;
  try {
    return model.relations(e.endpoint).some((r) => r.id === e.relationId);
  } catch {
    return false;
  }
}

/**
 * Report an uncaught error the way Juju operators expect: the stack through juju-log at ERROR,
 * a one-line summary on stderr, and exit code 1 (without exiting mid-flight).
 */
export function reportUncaught(err: unknown, backend: HookTools | undefined): void {
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`charm error: ${e.name}: ${e.message}\n`);
  if (backend) {
    try {
      backend.jujuLog("ERROR", `Uncaught exception while in charm code:\n${e.stack ?? e.message}`);
    } catch {
      // juju-log itself failing must not hide the original error, already on stderr.
    }
  }
  process.exitCode = 1;
}

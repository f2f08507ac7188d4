/**
 * `Context`: runs one event against a charm class on an input `State` and returns the output
 * State, through the SDK's real `runDispatch` with in-memory hook tools and Pebble. Side effects
 * that are not part of the State (logs, status history, action output, exec calls, emitted events)
 * are kept on the Context after each run.
 */
import type { LogLevel } from "../backend.js";
import { type CharmBase, type CharmClass, type EventBase, Framework, runDispatch } from "../charm.js";
import { JujuContext } from "../context.js";
import { type EventData, eventSubject } from "../events.js";
import { type CharmMeta, loadCharmMeta, parseCharmMeta, type CharmMetaSources } from "../metadata.js";
import { Model, type Status } from "../model.js";
import { type DeferredNotice, MemoryStateStore } from "../state.js";
import { emptyRecords, type RunRecords, StateBackend } from "./backend.js";
import { findInconsistencies, InconsistentScenarioError } from "./consistency.js";
import { type EventFactory, eventFactory, type TestEvent } from "./events.js";
import type { Draft, ExecRecord } from "./pebble.js";
import { deepFreeze, type State } from "./state.js";

/** The charm raised; `cause` is what it threw. */
export class UncaughtCharmError extends Error {
  override name = "UncaughtCharmError";
  constructor(hookName: string, cause: unknown) {
    super(
      `charm raised during ${hookName}: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`,
      {
        cause,
      },
    );
  }
}

/** The action called `fail()`; `state` is the output State (the hook itself succeeded). */
export class ActionFailed extends Error {
  override name = "ActionFailed";
  readonly state: State;
  constructor(message: string, state: State) {
    super(message);
    this.state = state;
  }
}

/** Options of {@link Context}. */
export interface ContextOptions {
  /** Directory holding charmcraft.yaml (or metadata.yaml + config.yaml + actions.yaml). */
  readonly charmDir?: string | undefined;
  /** Metadata given directly (parsed or as raw documents); wins over `charmDir`. */
  readonly metadata?: CharmMeta | CharmMetaSources | undefined;
  /** Defaults to the metadata's charm name. */
  readonly appName?: string | undefined;
  readonly unitId?: number | undefined;
  readonly jujuVersion?: string | undefined;
  /** The charm's cache directory (`Framework.cacheDir`); none by default, so runs stay independent. */
  readonly cacheDir?: string | undefined;
  /**
   * What `unit.fqdn` answers; by default the name a Kubernetes pod has
   * (`<app>-<n>.<app>-endpoints.<model>.svc.cluster.local`), never the test machine's.
   */
  readonly fqdn?: string | undefined;
  /**
   * Builds the charm for each run; by default `new charmClass(framework)`. For a charm whose
   * constructor takes dependencies besides the framework, with production defaults: the test
   * passes its fakes here, e.g. `create: (f) => new MyCharm(f, { api: fakeApi })`.
   */
  readonly create?: ((framework: Framework) => CharmBase) | undefined;
}

/** The FQDN kubelet's /etc/hosts gives a Juju unit's pod. */
function podFqdn(c: JujuContext): string {
  const n = c.unitName.slice(c.unitName.indexOf("/") + 1);
  return `${c.appName}-${n}.${c.appName}-endpoints.${c.modelName}.svc.cluster.local`;
}

function isMeta(m: CharmMeta | CharmMetaSources): m is CharmMeta {
  return "relations" in m && "containers" in m && !("metadata" in m);
}

/**
 * The harness for one charm.
 *
 * @example
 * const ctx = new Context(MyCharm, { charmDir: "charms/my" });
 * const out = await ctx.run(ctx.on.configChanged(), state({ config: { port: 9000 } }));
 * assert.deepEqual(out.unitStatus, { name: "active", message: "" });
 */
export class Context {
  readonly on: EventFactory;
  /** Statuses the unit had before each `status-set` of the last run. */
  unitStatusHistory: Status[] = [];
  appStatusHistory: Status[] = [];
  jujuLog: { level: LogLevel; message: string }[] = [];
  workloadVersionHistory: string[] = [];
  /** Per container, the commands the charm executed. */
  execHistory: Record<string, ExecRecord[]> = {};
  /** Results of the last action (dotted keys nested back), or undefined. */
  actionResults: Record<string, unknown> | undefined;
  actionLogs: string[] = [];
  /** Every event a handler received in the last run (deferred re-runs first). */
  emittedEvents: EventData[] = [];
  removedSecretRevisions: number[] = [];
  requestedStorages: Record<string, number> = {};

  private meta: CharmMeta | undefined;
  private readonly opts: ContextOptions;
  private readonly charmClass: CharmClass;

  constructor(charmClass: CharmClass, opts: ContextOptions) {
    if (!opts.charmDir && !opts.metadata) throw new TypeError("Context needs charmDir or metadata");
    this.charmClass = charmClass;
    this.opts = opts;
    if (opts.metadata) this.meta = isMeta(opts.metadata) ? opts.metadata : parseCharmMeta(opts.metadata);
    this.on = eventFactory(() => this.appName);
  }

  /** The application name (option, else the charm's name once metadata is loaded). */
  get appName(): string {
    return this.opts.appName ?? this.meta?.name ?? "app";
  }

  get unitName(): string {
    return `${this.appName}/${this.opts.unitId ?? 0}`;
  }

  /** The charm's metadata (loads it from `charmDir` on first use). */
  async metadata(): Promise<CharmMeta> {
    this.meta ??= await loadCharmMeta(this.opts.charmDir as string);
    return this.meta;
  }

  private env(event: TestEvent, s: State): Record<string, string> {
    return {
      JUJU_UNIT_NAME: this.unitName,
      JUJU_MODEL_NAME: s.model.name,
      JUJU_MODEL_UUID: s.model.uuid,
      JUJU_VERSION: this.opts.jujuVersion ?? "3.6.14",
      JUJU_CHARM_DIR: this.opts.charmDir ?? "/var/lib/juju/agents/unit-harness/charm",
      JUJU_CONTEXT_ID: `${this.unitName}-${event.hookName}-harness`,
      ...event.env,
    };
  }

  /**
   * Runs `event` on `input` and returns the output State. `input` is never modified and the
   * output shares nothing mutable with it.
   *
   * @throws InconsistentScenarioError before running when State, event and metadata disagree.
   * @throws UncaughtCharmError when the charm throws (with the error as `cause`).
   * @throws ActionFailed when an action called `fail()`.
   */
  async run(event: TestEvent, input: State): Promise<State> {
    const meta = await this.metadata();
    const problems = findInconsistencies(meta, input, event);
    if (problems.length) throw new InconsistentScenarioError(problems);

    const records = emptyRecords();
    const draft = structuredClone(input) as Draft<State>;
    const d = event.data;
    const actionParams =
      d.kind === "action" ? { ...actionDefaults(meta, d.action), ...(event.actionParams ?? {}) } : undefined;
    const backend = new StateBackend(
      draft,
      meta,
      {
        appName: this.appName,
        unitName: this.unitName,
        unitId: this.opts.unitId ?? 0,
        actionParams,
        departing:
          d.kind === "relation-departed" && d.remoteUnit
            ? { relationId: d.relationId, unit: d.remoteUnit }
            : undefined,
        brokenRelationId: d.kind === "relation-broken" ? d.relationId : undefined,
      },
      records,
    );
    const context = JujuContext.fromEnv(this.env(event, input));

    const emitted: EventData[] = [];
    // Every handler the charm registered records the event it receives.
    const recording = (framework: Framework): CharmBase => {
      const charm = this.construct(framework);
      framework.observers.forEach((o, i) => {
        const inner = o.handler;
        framework.observers[i] = {
          ...o,
          handler: (ev: EventBase) => {
            if (ev.data.kind !== "collect-unit-status" && ev.data.kind !== "collect-app-status")
              emitted.push(ev.data);
            return inner(ev);
          },
        };
      });
      return charm;
    };

    const deferredIn = this.resolveDeferred(input.deferred, meta, backend, context);
    const store = new MemoryStateStore({
      stored: structuredClone(input.storedStates) as never,
      deferred: deferredIn,
    });
    let result: Awaited<ReturnType<typeof runDispatch>>;
    try {
      result = await runDispatch({
        charmClass: this.charmClass,
        create: recording,
        context,
        metadata: meta,
        backend,
        store,
        cacheDir: this.opts.cacheDir,
        fqdn: () => this.opts.fqdn ?? podFqdn(context),
      });
    } catch (e) {
      this.keep(backend.records, emitted);
      throw new UncaughtCharmError(event.hookName, e);
    }
    this.keep(backend.records, emitted);
    draft.storedStates = structuredClone(result.state.stored) as never;
    draft.deferred = structuredClone(result.state.deferred) as never;
    const output = deepFreeze(draft as State);
    if (backend.records.actionFailure !== undefined)
      throw new ActionFailed(backend.records.actionFailure, output);
    return output;
  }

  /** The charm of one run, built by the `create` option or its class. */
  private construct(framework: Framework): CharmBase {
    return this.opts.create ? this.opts.create(framework) : new this.charmClass(framework);
  }

  /** Turns `deferred(event, index)` placeholders into the framework's observer keys. */
  private resolveDeferred(
    notices: readonly DeferredNotice[],
    meta: CharmMeta,
    backend: StateBackend,
    context: JujuContext,
  ): DeferredNotice[] {
    if (!notices.some((n) => n.observer.startsWith("?"))) return structuredClone(notices) as DeferredNotice[];
    const model = new Model({
      context,
      metadata: meta,
      backend,
      fqdn: () => this.opts.fqdn ?? podFqdn(context),
    });
    const framework = new Framework(model, {});
    this.construct(framework);
    return notices.map((n) => {
      if (!n.observer.startsWith("?")) return structuredClone(n);
      const index = Number(n.observer.slice(1));
      const subject = eventSubject(n.event);
      const matches = framework.observers.filter((o) => o.kind === n.event.kind && o.subject === subject);
      const obs = matches[index];
      if (!obs) {
        throw new InconsistentScenarioError([
          `deferred ${n.event.kind}${subject ? ` (${subject})` : ""}: the charm has no observer #${index} for it`,
        ]);
      }
      return { event: structuredClone(n.event), observer: obs.key };
    });
  }

  private keep(r: RunRecords, emitted: EventData[]): void {
    this.unitStatusHistory = r.unitStatusHistory;
    this.appStatusHistory = r.appStatusHistory;
    this.jujuLog = r.jujuLog;
    this.workloadVersionHistory = r.workloadVersionHistory;
    this.execHistory = r.execHistory;
    this.actionLogs = r.actionLogs;
    this.actionResults = r.actionResults === undefined ? undefined : nest(r.actionResults);
    this.emittedEvents = emitted;
    this.removedSecretRevisions = r.removedSecretRevisions;
    this.requestedStorages = r.requestedStorages;
  }
}

function actionDefaults(meta: CharmMeta, action: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(meta.actions[action]?.params ?? {})) {
    if (p.default !== undefined) out[k] = structuredClone(p.default);
  }
  return out;
}

/** `{"a.b": "1"}` → `{a: {b: "1"}}`, the shape Juju shows action results in. */
function nest(flat: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flat)) {
    const parts = k.split(".");
    let o = out;
    for (const p of parts.slice(0, -1)) {
      o[p] ??= {};
      o = o[p] as Record<string, unknown>;
    }
    o[parts.at(-1) as string] = v;
  }
  return out;
}

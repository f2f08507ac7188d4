/**
 * The per-unit hook loop: each unit runs the events of its queue one at a time, as Juju's unit
 * agent does. Before a relation event runs, the unit's view of the relation is updated (who has
 * joined, who departed); after a hook exits 0 its buffered writes are committed and relation
 * changes fan out as relation-changed to the units that see them; a failed hook puts the unit in
 * error and is retried with a doubling delay; actions resolve their callers.
 */
import { rmSync } from "node:fs";
import type { EventData } from "@charmkit/ops";
import type { CharmMeta } from "../charm-meta.js";
import { classifyEvent, relationEvent, relationIdOf } from "./events.js";
import { HookContext, type HookContextHost } from "./hook-context.js";
import type { HookRunner } from "./hook-runner.js";
import { ContainerPaths, charmContainerBinds, hostPathOf, type ModelLayout } from "./layout.js";
import {
  byUnitNumber,
  type ModelFile,
  type ModelStore,
  type QueuedEvent,
  type RelRec,
  type UnitRec,
} from "./model.js";

/** A hook the controller ran, with its outcome (kept in memory for tests and `status`). */
export interface HookRecord {
  readonly unit: string;
  readonly hook: string;
  readonly env: Readonly<Record<string, string>>;
  readonly exitCode: number | null;
  readonly ms: number;
}

/** Result of an action. */
export interface ActionResult {
  readonly unit: string;
  readonly action: string;
  readonly status: "completed" | "failed";
  readonly message: string;
  readonly results: Record<string, unknown>;
  readonly logs: readonly string[];
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Result of a command run in a unit's hook context. */
export interface ExecOutcome {
  readonly unit: string;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What the scheduler needs from the runtime around it. */
export interface SchedulerOptions {
  readonly store: ModelStore;
  readonly layout: ModelLayout;
  readonly runner: HookRunner;
  meta(app: string): CharmMeta;
  /** Releases what a removed unit held (containers, pod, tool socket). */
  release(u: UnitRec): Promise<void>;
  /** Called when units start or finish hooks (the store's saves notify on their own). */
  notify(): void;
  say(line: string): void;
  /** Retries of a failed hook before the unit stays in error. */
  readonly maxHookRetries: number;
  /** First retry delay, doubled on each retry. */
  readonly retryDelayMs: number;
}

interface PendingAction {
  resolve: (r: ActionResult) => void;
  name: string;
  params: Record<string, unknown>;
}

/** Runs every unit's queue; see the file header. */
export class Scheduler implements HookContextHost {
  /** Every hook run since this process opened the model, in order. */
  readonly history: HookRecord[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly contexts = new Map<string, HookContext>();
  private readonly actions = new Map<string, PendingAction>();
  private readonly execs = new Map<string, { argv: readonly string[]; resolve: (r: ExecOutcome) => void }>();
  private seq = 0;
  private closed = false;

  constructor(private readonly opts: SchedulerOptions) {}

  get model(): ModelFile {
    return this.opts.store.data;
  }

  // ----- HookContextHost ----------------------------------------------------------------------

  meta(app: string): CharmMeta {
    return this.opts.meta(app);
  }

  action(id: string | undefined): { name: string; params: Record<string, unknown> } | undefined {
    return id === undefined ? undefined : this.actions.get(id);
  }

  logUnit(unit: string, line: string): void {
    this.opts.layout.logUnit(unit, line);
  }

  storageLocation(unit: string, storage: string): string {
    return new ContainerPaths(unit).storage(storage);
  }

  resolvePath(unit: string, cwd: string, path: string): string {
    const u = this.model.units[unit];
    const meta = u ? this.meta(u.app) : undefined;
    const binds = charmContainerBinds(
      this.opts.layout,
      unit,
      Object.keys(meta?.containers ?? {}),
      meta?.storage ?? [],
    );
    return hostPathOf(binds, cwd, path);
  }

  changed(): void {
    this.opts.store.save();
  }

  leaderSettingsChanged(app: string, leader: string): void {
    this.opts.store.save();
    for (const u of this.opts.store.liveUnits(app)) {
      if (u.name === leader) continue;
      const pending = u.queue.slice(this.running.has(u.name) ? 1 : 0);
      if (pending.some((ev) => this.kindOf(u, ev).kind === "leader-settings-changed")) continue;
      this.enqueue(u, { hook: "leader-settings-changed", env: {} });
      this.kick(u.name);
    }
  }

  // ----- queue --------------------------------------------------------------------------------

  /** The running hook's context of `id`, for the hook tools. */
  context(id: string): HookContext | undefined {
    return this.contexts.get(id);
  }

  /** What kind of event `ev` is, for unit `u` (the SDK's parse of its environment). */
  kindOf(u: UnitRec, ev: QueuedEvent): EventData {
    // A command in the hook context is no event (it has no dispatch path to parse).
    if (ev.execId !== undefined) return { kind: "other", hookName: ev.hook };
    return classifyEvent(this.model, this.meta(u.app), u, ev, this.opts.layout.unitCharmDir(u.name));
  }

  enqueue(u: UnitRec, ev: QueuedEvent): void {
    u.queue.push(ev);
  }

  /**
   * Starts `unit`'s next event unless it is busy or closed. A unit in error (or waiting to retry
   * its failed hook) runs no hook, but its queued actions and `exec` commands still run, ahead of
   * the failed hook, which stays first in the queue: Juju's actions resolver runs the next action
   * while the unit's current operation is a pending hook in error (juju/juju
   * worker/uniter/actions/resolver.go, "We can still run actions if the unit is in a hook error
   * state"), and `juju exec` is an action there.
   */
  kick(unit: string): void {
    if (this.closed || this.running.has(unit)) return;
    const u = this.model.units[unit];
    if (!u || u.queue.length === 0) return;
    const blocked = u.agent === "error" || this.retryTimers.has(unit);
    const index = blocked
      ? u.queue.findIndex((ev) => ev.execId !== undefined || ev.actionId !== undefined)
      : 0;
    if (index < 0) return;
    const p = this.runNext(u, index)
      .catch((e) => this.opts.say(`internal error running ${unit}: ${(e as Error).stack}`))
      .finally(() => {
        this.running.delete(unit);
        this.opts.notify();
        this.kick(unit);
      });
    this.running.set(unit, p);
  }

  /** Queues an action on `u` and resolves with its outcome once it ran. */
  runAction(u: UnitRec, action: string, params: Record<string, unknown>): Promise<ActionResult> {
    const id = String(++this.seq);
    return new Promise((resolveAction) => {
      this.actions.set(id, { resolve: resolveAction, name: action, params });
      this.enqueue(u, {
        hook: action,
        env: { JUJU_ACTION_NAME: action, JUJU_ACTION_UUID: id, JUJU_ACTION_TAG: `action-${id}` },
        actionId: id,
      });
      this.kick(u.name);
    });
  }

  /** Queues a command in `u`'s hook context and resolves with its outcome once it ran. */
  exec(u: UnitRec, argv: readonly string[]): Promise<ExecOutcome> {
    const id = String(++this.seq);
    return new Promise((resolveExec) => {
      this.execs.set(id, { argv: [...argv], resolve: resolveExec });
      this.enqueue(u, { hook: "juju-exec", env: {}, execId: id });
      this.kick(u.name);
    });
  }

  /** True when no unit has queued or running hooks, pending retries or pending removal. */
  isIdle(): boolean {
    if (this.running.size > 0 || this.retryTimers.size > 0) return false;
    return Object.values(this.model.units).every((u) => u.queue.length === 0 || u.agent === "error");
  }

  /** Stops retries and new hooks, kills running ones and waits for their bookkeeping. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
    this.opts.runner.killAll();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Runs `u.queue[index]`: the head, or an action or command that may pass a failed hook. */
  private async runNext(u: UnitRec, index: number): Promise<void> {
    const ev = u.queue[index]!;
    if (ev.execId !== undefined) return this.runExec(u, ev);
    let e: EventData;
    try {
      e = this.kindOf(u, ev);
    } catch (err) {
      // The runtime queued an event its own parser refuses: a bug; stop this unit, loudly.
      u.agent = "error";
      u.error = `cannot run "${ev.hook}": ${(err as Error).message}`;
      this.logUnit(u.name, `ERROR ${u.error}`);
      this.opts.store.save();
      return;
    }
    const relationId = relationIdOf(e);
    const rid = relationId === undefined ? undefined : String(relationId);
    const rel = rid === undefined ? undefined : this.model.relations[rid];
    const remote = "remoteUnit" in e ? e.remoteUnit : undefined;
    // A change notification for a unit this unit no longer (or not yet) sees is moot.
    if (
      e.kind === "relation-changed" &&
      (!rel || !u.view[rid!] || (remote && !u.view[rid!]!.includes(remote)))
    ) {
      u.queue.shift();
      return;
    }
    if (e.kind === "relation-created" && rel) u.view[rid!] = u.view[rid!] ?? [];
    if (e.kind === "relation-joined" && rel && remote) {
      if (!u.view[rid!]) u.view[rid!] = [];
      if (!u.view[rid!]!.includes(remote)) u.view[rid!]!.push(remote);
      u.view[rid!]!.sort(byUnitNumber);
    }
    if (e.kind === "relation-departed" && rid !== undefined && remote) {
      u.view[rid] = (u.view[rid] ?? []).filter((x) => x !== remote);
    }
    if ((e.kind === "relation-joined" || e.kind === "relation-departed") && !rel) {
      u.queue.shift();
      return;
    }
    if (u.agent === "allocating") u.status = { status: "unknown", message: "" };
    // An action run while the unit is in error leaves it in error (its hook is still failed).
    const agentBefore = u.agent;
    if (agentBefore !== "error") u.agent = "executing";
    this.opts.store.save();
    const ctx = new HookContext(this, u, ev, ++this.seq);
    this.contexts.set(ctx.id, ctx);
    const started = Date.now();
    const code = await this.opts.runner.run(u, ev, ctx);
    this.contexts.delete(ctx.id);
    this.history.push({ unit: u.name, hook: ev.hook, env: ev.env, exitCode: code, ms: Date.now() - started });
    if (this.closed) return;
    const action = ev.actionId === undefined ? undefined : this.actions.get(ev.actionId);
    if (action) {
      this.finishAction(u, ev, ctx, action, code, agentBefore !== "error");
      return;
    }
    if (code === 0) {
      u.queue.shift();
      u.failures = 0;
      u.error = undefined;
      u.agent = "idle";
      if (e.kind === "relation-broken" && rid !== undefined) delete u.view[rid];
      if (e.kind === "start") u.started = true;
      this.commit(u, ctx);
      if (e.kind === "remove") await this.forgetUnit(u);
      this.gcRelations();
      this.opts.store.save();
      return;
    }
    this.fail(u, ev, code);
  }

  /** A command in the hook context: no event, no retry; its writes commit when it exits 0. */
  private async runExec(u: UnitRec, ev: QueuedEvent): Promise<void> {
    const pending = this.execs.get(ev.execId!);
    this.execs.delete(ev.execId!);
    if (!pending) {
      dequeue(u, ev);
      return;
    }
    const ctx = new HookContext(this, u, ev, ++this.seq);
    this.contexts.set(ctx.id, ctx);
    const code = await this.opts.runner.run(u, ev, ctx, pending.argv);
    this.contexts.delete(ctx.id);
    if (this.closed) return;
    dequeue(u, ev);
    if (code === 0) this.commit(u, ctx);
    this.opts.store.save();
    pending.resolve({ unit: u.name, exitCode: code, stdout: ctx.stdout, stderr: ctx.stderr });
  }

  private finishAction(
    u: UnitRec,
    ev: QueuedEvent,
    ctx: HookContext,
    action: PendingAction,
    code: number | null,
    /** False for an action run on a unit in error: its agent state is left as the retry set it. */
    idleAfter: boolean,
  ): void {
    this.actions.delete(ev.actionId!);
    dequeue(u, ev);
    if (idleAfter) u.agent = "idle";
    const failed = code !== 0 || ctx.actionFailure !== undefined;
    if (code === 0) this.commit(u, ctx);
    action.resolve({
      unit: u.name,
      action: action.name,
      status: failed ? "failed" : "completed",
      message: ctx.actionFailure ?? (code !== 0 ? `exit status ${code}` : ""),
      results: ctx.actionResults,
      logs: ctx.actionLogs,
      exitCode: code,
      stdout: ctx.stdout,
      stderr: ctx.stderr,
    });
    this.opts.store.save();
  }

  /** A failed hook: the unit goes into error, and the hook is retried after a doubling delay. */
  private fail(u: UnitRec, ev: QueuedEvent, code: number | null): void {
    u.failures++;
    u.agent = "error";
    u.error = `hook failed: "${ev.hook}"`;
    this.logUnit(
      u.name,
      `ERROR hook "${ev.hook}" (via hook dispatching script: dispatch) failed: exit status ${code}`,
    );
    if (u.failures <= this.opts.maxHookRetries) {
      const delay = this.opts.retryDelayMs * 2 ** (u.failures - 1);
      this.retryTimers.set(
        u.name,
        setTimeout(() => {
          this.retryTimers.delete(u.name);
          u.agent = "idle";
          this.kick(u.name);
        }, delay),
      );
    }
    this.opts.store.save();
  }

  /** Applies a successful hook's buffered writes and fans relation changes out. */
  private commit(u: UnitRec, ctx: HookContext): void {
    for (const [key, updates] of ctx.bagWrites) {
      const [rid, owner] = splitKey(key);
      const r = this.model.relations[rid];
      if (!r) continue;
      const bag = { ...(r.bags[owner] ?? {}) };
      let changed = false;
      for (const [k, v] of Object.entries(updates)) {
        if (v === "") {
          if (k in bag) {
            delete bag[k];
            changed = true;
          }
        } else if (bag[k] !== v) {
          bag[k] = v;
          changed = true;
        }
      }
      if (!changed) continue;
      r.bags[owner] = bag;
      this.fanOut(r, u, owner);
    }
    for (const [k, v] of Object.entries(ctx.stateWrites)) {
      if (v === null) delete u.state[k];
      else u.state[k] = v;
    }
    if (ctx.ports) u.ports = [...ctx.ports].sort();
    for (const m of ctx.secretMutations) m(this.model.secrets);
  }

  /** Queues relation-changed for the units that see `owner`'s bag of `r` (once per pending change). */
  private fanOut(r: RelRec, writer: UnitRec, owner: string): void {
    const { store } = this.opts;
    const key = String(r.id);
    const isApp = !owner.includes("/");
    const targets = r.peer
      ? store.liveUnits(writer.app).filter((x) => x.name !== writer.name)
      : store.liveUnits(store.remoteAppOf(r, writer.app));
    for (const t of targets) {
      const seen = t.view[key];
      const pendingCreate = t.queue.some((ev) => {
        const e = this.kindOf(t, ev);
        return e.kind === "relation-created" && e.relationId === r.id;
      });
      if (!seen && !pendingCreate) continue;
      if (!isApp && seen && !seen.includes(owner)) continue;
      const remote = isApp ? "" : owner;
      const dup = t.queue.slice(this.running.has(t.name) ? 1 : 0).some((ev) => {
        const e = this.kindOf(t, ev);
        return e.kind === "relation-changed" && e.relationId === r.id && (e.remoteUnit ?? "") === remote;
      });
      if (dup) continue;
      this.enqueue(t, relationEvent(store, r, t, "changed", remote));
      this.kick(t.name);
    }
  }

  /** Drops dying relations that no unit still sees or has events for. */
  private gcRelations(): void {
    for (const r of Object.values(this.model.relations)) {
      if (!r.dying) continue;
      const key = String(r.id);
      const inUse = Object.values(this.model.units).some(
        (u) => u.view[key] || u.queue.some((ev) => relationIdOf(this.kindOf(u, ev)) === r.id),
      );
      if (!inUse) delete this.model.relations[key];
    }
  }

  /** A unit that ran its remove hook leaves the model (with its application when that is dying). */
  private async forgetUnit(u: UnitRec): Promise<void> {
    const { store } = this.opts;
    delete this.model.units[u.name];
    await this.opts.release(u);
    for (const r of Object.values(this.model.relations)) delete r.bags[u.name];
    const app = this.model.apps[u.app];
    if (
      app?.dying &&
      store.liveUnits(u.app).length === 0 &&
      !Object.values(this.model.units).some((x) => x.app === u.app)
    ) {
      delete this.model.apps[u.app];
      for (const r of Object.values(this.model.relations))
        if (r.peer && r.sides[0]?.app === u.app) delete this.model.relations[String(r.id)];
    }
    rmSync(this.opts.layout.unitDir(u.name), { recursive: true, force: true });
  }
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf("|");
  return [key.slice(0, i), key.slice(i + 1)];
}

/** Removes `ev` from `u`'s queue: the head, or an action or command that ran past a failed hook. */
function dequeue(u: UnitRec, ev: QueuedEvent): void {
  const i = u.queue.indexOf(ev);
  if (i >= 0) u.queue.splice(i, 1);
}

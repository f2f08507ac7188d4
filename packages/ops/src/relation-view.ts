/**
 * Cached relation views: the remote bags of an endpoint's relations, kept between hooks in the
 * charm's cache directory, so that a hook reads only what Juju says changed instead of one
 * `relation-get` per remote unit of every relation.
 *
 * A charm declares the view at construction (`framework.relationView(endpoint)`) and reads it in
 * a handler (`view.relations()`). Every relation of the endpoint is then up to date as of this
 * hook, and the view says how it got there ({@link ViewFreshness}): a full read, or the cache plus
 * the bags this hook's event names. Each relation carries a digest of its remote data, so a
 * charm can keep work derived from a relation (rendered files) until the digest changes.
 *
 * Why reading only what changed gives what a full read gives, from Juju's own sources:
 * 1. Every change of a remote bag reaches this unit as an event on that relation. The uniter
 *    compares the settings version of each remote unit and of the remote application with the
 *    version it last ran a hook for, and runs relation-changed for that unit (JUJU_REMOTE_UNIT
 *    set) or for the application (JUJU_REMOTE_UNIT empty) until they agree; relation-joined is
 *    always followed by relation-changed for the same unit; a unit that leaves the scope gets
 *    relation-departed; a relation ends with relation-broken
 *    (juju/juju worker/uniter/relation/resolver.go, nextHookForRelation). A change written while
 *    a hook runs has a newer version than the one the hook was started for, so it gets a hook of
 *    its own: a cache that lags behind the controller catches up by the next event.
 * 2. Relation data is a snapshot kept by the unit agent itself: it holds each member's settings
 *    across hooks and drops only the hook's remote unit before the hook runs
 *    (worker/uniter/runner/context/cache.go RelationCache, contextfactory.go HookContext:
 *    InvalidateMember / RemoveMember). `relation-get` of any other unit answers what the agent read
 *    in an earlier hook, which is what this cache holds.
 * 3. Membership (`relation-list`) is the agent's member list, which changes in relation-joined
 *    and relation-departed hooks of that relation; it is re-read for the relation of every event.
 * 4. Relation ids are not reused within a model: a relation removed and re-created gets a new
 *    id, which the cache has never seen and reads in full.
 *
 * What the guarantees do not cover is handled by reading everything: no cache file (the first
 * hook of a unit, a lost or foreign file), and the events after which anything may differ:
 * upgrade-charm (new charm code; on Kubernetes also the first hook of a recreated pod) and
 * leader-elected. A hook that fails, or that Juju skips after a failure (`juju resolve
 * --no-retry`), would lose its event's news: the event is written to a pending file before any
 * handler runs and folded into the cache only by a hook that succeeds.
 *
 * Only remote bags are cached. This unit's own bags are read through the Model when asked for,
 * because Juju commits this unit's writes only when the hook succeeds, which a cache written by
 * the hook cannot know. In a peer relation the application bag is this application's own, which
 * its leader writes without any event reaching itself; it is read again in every hook.
 */

import { createHash } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EventData, RelationEventData } from "./events.js";
import type { Model, Relation } from "./model.js";
import type { Databag, RelationSnapshot } from "./snapshot.js";

/** The cache file in the charm's cache directory. */
export const RELATION_CACHE_FILE = ".relation-cache.json";
/** Events of hooks that did not (yet) succeed, to apply before the cache is trusted. */
export const RELATION_CACHE_PENDING_FILE = ".relation-cache.pending.json";
const FORMAT = 1;

/** Why a view read every relation in full. */
export type FullReadReason =
  /** The framework has no cache directory (e.g. the testing harness by default). */
  | "no-cache-dir"
  /** No cache file: the unit's first hook, or the file was lost. */
  | "no-cache"
  /** A cache file of another format, unit or model, or one that cannot be read. */
  | "foreign-cache"
  | "upgrade-charm"
  | "leader-elected"
  /** The charm called {@link RelationView.invalidate}. */
  | "invalidated";

/** How a view's data was obtained in this hook. */
export type ViewFreshness =
  | { readonly mode: "full"; readonly reason: FullReadReason }
  | { readonly mode: "incremental" };

/**
 * One cached relation. The bags are the last ones read; those an event named since are listed in
 * `stale` (`appStale` for the application bag, `members` for the member list) and read again
 * before use, so that a re-read that finds the same data is not taken for a change.
 */
interface Entry {
  app: string | undefined;
  appData: Record<string, string>;
  units: Record<string, Record<string, string>>;
  stale: string[];
  appStale: boolean;
  members: boolean;
  /** Digest of the data above (see {@link digestOf}). */
  digest: string;
}

interface CacheDoc {
  format: number;
  unit: string;
  model: string;
  endpoints: Record<string, Record<string, Entry>>;
}

/** A relation event to apply to the cache: what Juju says changed. */
interface Mark {
  readonly endpoint: string;
  readonly id: number;
  readonly kind: RelationEventData["kind"];
  readonly unit?: string | undefined;
}

interface PendingDoc {
  format: number;
  unit: string;
  model: string;
  marks: Mark[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sameBag(a: Databag | null | undefined, b: Databag): boolean {
  if (!a) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

function compareUnits(a: string, b: string): number {
  const [an, ai] = a.split("/");
  const [bn, bi] = b.split("/");
  if (an !== bn) return (an ?? "").localeCompare(bn ?? "");
  return Number(ai) - Number(bi);
}

/** Applies one event to an endpoint's entries: what it names is read again before use. */
function applyMark(entries: Record<string, Entry>, m: Mark): void {
  const key = String(m.id);
  if (m.kind === "relation-broken") {
    delete entries[key];
    return;
  }
  const e = entries[key];
  if (!e) return; // never read: it is read in full when first listed
  // Membership is read again for the relation of every event; a departed unit leaves with it.
  e.members = true;
  if (m.kind === "relation-departed") return;
  if (m.unit !== undefined) {
    if (!e.stale.includes(m.unit)) e.stale.push(m.unit);
  } else if (m.kind === "relation-changed") {
    e.appStale = true;
  }
}

/** Reads a JSON file written by this module, or `undefined` when missing or unreadable. */
function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/**
 * The views of one dispatch and the file they share. Internal: the framework creates it, and
 * `runDispatch` calls {@link RelationViews.begin} before any handler and
 * {@link RelationViews.commit} once the dispatch succeeded.
 */
export class RelationViews {
  private readonly views = new Map<string, RelationView>();
  private doc: CacheDoc | undefined;
  private freshness: ViewFreshness | undefined;
  /** Digest of each relation as the last successful hook left it (`endpoint#id`). */
  private readonly committed = new Map<string, string>();
  private dirty = false;
  private dropped: FullReadReason | undefined;

  constructor(
    private readonly model: Model<unknown>,
    private readonly cacheDir: string | undefined,
  ) {}

  private get cachePath(): string | undefined {
    return this.cacheDir === undefined ? undefined : join(this.cacheDir, RELATION_CACHE_FILE);
  }

  private get pendingPath(): string | undefined {
    return this.cacheDir === undefined ? undefined : join(this.cacheDir, RELATION_CACHE_PENDING_FILE);
  }

  /** @internal The view of `endpoint` (one per endpoint). */
  view(endpoint: string): RelationView {
    let v = this.views.get(endpoint);
    if (!v) {
      v = new RelationView(this, this.model, endpoint);
      this.views.set(endpoint, v);
    }
    return v;
  }

  /** @internal Whether any view is declared. */
  get active(): boolean {
    return this.views.size > 0;
  }

  /**
   * @internal Before any handler: events after which anything may differ drop the cache; a
   * relation event on a viewed endpoint is recorded as pending, so that it is applied even if
   * this hook fails or no handler reads the view.
   */
  begin(event: EventData): void {
    const cache = this.cachePath;
    const pending = this.pendingPath;
    if (!this.active || cache === undefined || pending === undefined) return;
    if (event.kind === "upgrade-charm" || event.kind === "leader-elected") {
      this.dropped = event.kind;
      rmSync(cache, { force: true });
      rmSync(pending, { force: true });
      return;
    }
    if (!("relationId" in event) || !this.views.has(event.endpoint)) return;
    // Nothing to invalidate without a cache: the next view reads everything anyway.
    if (!existsSync(cache)) return;
    const mark: Mark = {
      endpoint: event.endpoint,
      id: event.relationId,
      kind: event.kind,
      unit: event.kind === "relation-departed" ? event.remoteUnit : event.remoteUnit || undefined,
    };
    try {
      const doc = this.readPending() ?? this.emptyPending();
      const key = JSON.stringify(mark);
      if (!doc.marks.some((m) => JSON.stringify(m) === key)) doc.marks.push(mark);
      writeAtomic(pending, JSON.stringify(doc));
    } catch {
      // A cache that might miss this event must not be trusted: without it, a full read.
      rmSync(cache, { force: true });
    }
  }

  private emptyPending(): PendingDoc {
    return { format: FORMAT, unit: this.model.unit.name, model: this.model.uuid, marks: [] };
  }

  /** The pending events, `undefined` when there are none, `null` when the file is not ours. */
  private readPending(): PendingDoc | null | undefined {
    const path = this.pendingPath;
    if (path === undefined) return undefined;
    const raw = readJson(path);
    if (raw === undefined) return undefined;
    if (
      !isRecord(raw) ||
      raw.format !== FORMAT ||
      raw.unit !== this.model.unit.name ||
      raw.model !== this.model.uuid ||
      !Array.isArray(raw.marks)
    )
      return null;
    return raw as unknown as PendingDoc;
  }

  /** @internal The cache of this dispatch, loaded (and the pending events applied) on first use. */
  load(): { doc: CacheDoc; freshness: ViewFreshness } {
    if (this.doc && this.freshness) return { doc: this.doc, freshness: this.freshness };
    const empty: CacheDoc = {
      format: FORMAT,
      unit: this.model.unit.name,
      model: this.model.uuid,
      endpoints: {},
    };
    const loaded = this.readCache();
    if ("reason" in loaded) {
      this.doc = empty;
      this.freshness = { mode: "full", reason: loaded.reason };
      // What the cache held is replaced: the next commit writes a new one.
      this.dirty = this.cacheDir !== undefined;
    } else {
      this.doc = loaded.doc;
      this.freshness = { mode: "incremental" };
      for (const [ep, entries] of Object.entries(this.doc.endpoints))
        for (const [id, e] of Object.entries(entries)) this.committed.set(`${ep}#${id}`, e.digest);
      const pending = this.readPending();
      if (pending === null) {
        this.doc = empty;
        this.committed.clear();
        this.freshness = { mode: "full", reason: "foreign-cache" };
        this.dirty = true;
      } else if (pending !== undefined && pending.marks.length > 0) {
        for (const m of pending.marks) {
          if (!isRecord(m) || typeof m.endpoint !== "string" || !Number.isInteger(m.id)) continue;
          this.doc.endpoints[m.endpoint] ??= {};
          applyMark(this.doc.endpoints[m.endpoint]!, m);
        }
        this.dirty = true;
      }
    }
    return { doc: this.doc, freshness: this.freshness };
  }

  private readCache(): { doc: CacheDoc } | { reason: FullReadReason } {
    if (this.dropped) return { reason: this.dropped };
    const path = this.cachePath;
    if (path === undefined) return { reason: "no-cache-dir" };
    const raw = readJson(path);
    if (raw === undefined) return { reason: "no-cache" };
    if (
      !isRecord(raw) ||
      raw.format !== FORMAT ||
      raw.unit !== this.model.unit.name ||
      raw.model !== this.model.uuid ||
      !isRecord(raw.endpoints)
    )
      return { reason: "foreign-cache" };
    for (const entries of Object.values(raw.endpoints)) {
      if (!isRecord(entries)) return { reason: "foreign-cache" };
      for (const e of Object.values(entries))
        if (
          !isRecord(e) ||
          !isRecord(e.units) ||
          !isRecord(e.appData) ||
          !Array.isArray(e.stale) ||
          typeof e.digest !== "string"
        )
          return { reason: "foreign-cache" };
    }
    return { doc: raw as unknown as CacheDoc };
  }

  /** @internal The digest the last successful hook left for a relation (`undefined`: unknown). */
  committedDigest(endpoint: string, id: number): string | undefined {
    return this.committed.get(`${endpoint}#${id}`);
  }

  /** @internal Something in the cache changed: write it at commit. */
  markDirty(): void {
    this.dirty = true;
  }

  /** @internal Forget everything cached for an endpoint: its next read is a full one. */
  drop(endpoint: string): void {
    const { doc } = this.load();
    doc.endpoints[endpoint] = {};
    this.dirty = true;
  }

  /**
   * @internal After a successful dispatch: write the cache when it changed, then forget the
   * pending events it now holds. Failing to write costs the next hook a full read, nothing else.
   */
  commit(): void {
    const cache = this.cachePath;
    const pending = this.pendingPath;
    if (!this.doc || !this.dirty || cache === undefined || pending === undefined) return;
    try {
      writeAtomic(cache, JSON.stringify(this.doc));
      rmSync(pending, { force: true });
    } catch {
      rmSync(cache, { force: true });
    }
  }
}

/**
 * The cached view of one endpoint's relations. Declared at construction with
 * `framework.relationView(endpoint)`; read in handlers with {@link RelationView.relations}.
 *
 * @example
 * const scrape = framework.relationView("metrics-endpoint");
 * framework.observe("relation-changed", "metrics-endpoint", () => {
 *   for (const rel of scrape.relations()) if (rel.changed) render(rel.snapshot());
 * });
 */
export class RelationView {
  private list: CachedRelation[] | undefined;
  private readCount = 0;
  private invalidated = false;

  /** @internal */
  constructor(
    private readonly views: RelationViews,
    private readonly model: Model<unknown>,
    /** The endpoint. */
    readonly endpoint: string,
  ) {}

  /** How this hook's data was obtained (reads the view if it was not read yet). */
  get freshness(): ViewFreshness {
    this.relations();
    if (this.invalidated) return { mode: "full", reason: "invalidated" };
    return this.views.load().freshness;
  }

  /** Number of bags (and member lists) read from Juju by this view in this hook. */
  get reads(): number {
    this.relations();
    return this.readCount;
  }

  /**
   * The endpoint's active relations by ascending id (a relation being broken is hidden), each up
   * to date as of this hook. The first call reads what the cache does not hold; later calls in
   * the same hook read nothing.
   */
  relations(): CachedRelation[] {
    if (this.list) return [...this.list];
    const { doc } = this.views.load();
    doc.endpoints[this.endpoint] ??= {};
    const entries = doc.endpoints[this.endpoint]!;
    const active = this.model.relations(this.endpoint);
    const ids = new Set(active.map((r) => String(r.id)));
    for (const id of Object.keys(entries)) {
      if (ids.has(id)) continue;
      delete entries[id];
      this.views.markDirty();
    }
    this.list = active.map((rel) => this.refresh(rel, entries));
    return [...this.list];
  }

  /** The relation with this id, if active. */
  relation(id: number): CachedRelation | undefined {
    return this.relations().find((r) => r.id === id);
  }

  /** Forget the cache of this endpoint: the next {@link relations} call (even in this hook) reads everything. */
  invalidate(): void {
    this.views.drop(this.endpoint);
    this.list = undefined;
    this.invalidated = true;
  }

  private refresh(rel: Relation, entries: Record<string, Entry>): CachedRelation {
    const key = String(rel.id);
    const read: string[] = [];
    let e = entries[key];
    let changed = false;
    if (!e) {
      e = { app: rel.app, appData: {}, units: {}, stale: [], appStale: true, members: true, digest: "" };
      entries[key] = e;
      changed = true;
    }
    let members: ReadonlySet<string>;
    if (e.members) {
      members = new Set(rel.units);
      this.readCount++;
      for (const u of Object.keys(e.units)) {
        if (members.has(u)) continue;
        delete e.units[u];
        changed = true;
      }
      for (const u of members) if (!(u in e.units) && !e.stale.includes(u)) e.stale.push(u);
      e.members = false;
    } else {
      members = new Set(Object.keys(e.units));
    }
    for (const u of e.stale) {
      // A unit named by an event that has left the relation since is not read.
      if (!members.has(u)) continue;
      const fresh = rel.remoteUnitData(u).toObject();
      this.readCount++;
      read.push(u);
      if (!sameBag(e.units[u], fresh)) changed = true;
      e.units[u] = { ...fresh };
    }
    e.stale = [];
    // A peer relation's application bag is this application's, written by its leader without
    // any event reaching the leader itself: never trusted from an earlier hook.
    if (e.appStale || rel.isPeer) {
      const fresh = e.app === undefined ? {} : rel.remoteAppData.toObject();
      if (e.app !== undefined) {
        this.readCount++;
        read.push(e.app);
      }
      if (!sameBag(e.appData, fresh)) changed = true;
      e.appData = { ...fresh };
      e.appStale = false;
    }
    if (changed) e.digest = digestOf(e);
    if (changed || read.length > 0) this.views.markDirty();
    return new CachedRelation(rel, e, read, this.views.committedDigest(this.endpoint, rel.id), this.isLeader);
  }

  private readonly isLeader = (): boolean => this.model.unit.isLeader();
}

/** Content digest of a relation's remote data: application name, its bag, each unit's bag. */
function digestOf(e: Entry): string {
  const units = Object.keys(e.units).sort(compareUnits);
  const h = createHash("sha256");
  h.update(JSON.stringify([e.app ?? null, e.appData]));
  for (const u of units) h.update(JSON.stringify([u, e.units[u] ?? {}]));
  return h.digest("hex");
}

/** One relation of a {@link RelationView}, as of this hook. */
export class CachedRelation {
  /** Relation id. */
  readonly id: number;
  /** Local endpoint. */
  readonly endpoint: string;
  /** Remote unit names in the relation, sorted by unit number. */
  readonly units: readonly string[];
  /**
   * Bags read from Juju in this hook for this relation (unit names, and the application name for
   * its bag); the others come from the cache. Empty when nothing about it changed.
   */
  readonly read: readonly string[];

  /** @internal */
  constructor(
    /** The Model's relation: this unit's bags (read through the Model) and writes. */
    readonly relation: Relation,
    private readonly entry: Entry,
    read: readonly string[],
    private readonly committedDigest: string | undefined,
    private readonly isLeader: () => boolean,
  ) {
    this.id = relation.id;
    this.endpoint = relation.endpoint;
    this.units = Object.keys(entry.units).sort(compareUnits);
    this.read = read;
  }

  /** The remote application's name (this application's for peers). */
  get app(): string | undefined {
    return this.entry.app;
  }

  /**
   * A digest of the relation's remote data (application name, application bag, every unit's
   * bag): equal digests mean equal data, so work derived from the relation can be kept.
   */
  get digest(): string {
    return this.entry.digest;
  }

  /** Whether the remote data differs from what the last successful hook saw (or is new to the cache). */
  get changed(): boolean {
    return this.committedDigest !== this.entry.digest;
  }

  /**
   * A plain view for the interface libraries. Remote bags come from the cache; this unit's own
   * bags are read through the Model only when a library looks at them (the application bag only
   * on the leader, as with `Relation.snapshot()`).
   */
  snapshot(): RelationSnapshot {
    const e = this.entry;
    const remoteUnitsData: Record<string, Databag> = {};
    for (const u of this.units) remoteUnitsData[u] = e.units[u] ?? {};
    const rel = this.relation;
    const leader = this.isLeader;
    return {
      id: this.id,
      endpoint: this.endpoint,
      remoteApp: e.app,
      remoteAppData: e.appData,
      remoteUnitsData,
      get localAppData() {
        return leader() ? rel.localAppData.toObject() : undefined;
      },
      get localUnitData() {
        return rel.localUnitData.toObject();
      },
    };
  }
}

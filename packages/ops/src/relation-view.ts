/**
 * Cached relation views: what this unit knows of an endpoint's relations (their ids, each
 * relation's remote application and members, and the remote bags) kept between hooks in the
 * charm's cache directory, so that a hook asks Juju only about what its event says changed,
 * instead of one `relation-get` per remote unit of every relation and one `relation-ids` per
 * endpoint.
 *
 * A charm declares the view at construction (`framework.relationView(endpoint)`). From then on
 * every read of the endpoint goes through the cache, the Model's (`model.relations(endpoint)`,
 * `relation.units`, remote bags, so the interface libraries need no change) and the view's own
 * (`view.relations()`), which also says how fresh it is ({@link ViewFreshness}), which bags this
 * hook read, and a digest of each relation's remote data, so that work derived from a relation can
 * be kept until its digest changes.
 *
 * Why reading only what changed gives what a full read gives, from Juju's own sources:
 * 1. Every change of a remote bag reaches this unit as an event on that relation. The uniter
 *    compares the settings version of each remote unit and of the remote application with the
 *    version it last ran a hook for, and runs relation-changed for that unit (JUJU_REMOTE_UNIT
 *    set) or for the application (JUJU_REMOTE_UNIT empty) until they agree; relation-joined is
 *    always followed by relation-changed for the same unit; a unit that leaves the scope gets
 *    relation-departed; a relation ends with relation-broken, after its departures
 *    (juju/juju worker/uniter/relation/resolver.go, nextHookForRelation). A change written while
 *    a hook runs has a newer version than the one the hook was started for, so it gets a hook of
 *    its own: a cache that lags behind the controller catches up by the next event.
 * 2. Relation data is a snapshot kept by the unit agent itself: it holds each member's settings
 *    across hooks and drops only the hook's remote unit before the hook runs
 *    (worker/uniter/runner/context/cache.go RelationCache, contextfactory.go HookContext:
 *    InvalidateMember, RemoveMember). `relation-get` of any other unit answers what the agent read
 *    in an earlier hook, which is what this cache holds.
 * 3. Membership (`relation-list`) is the agent's member list, which changes in relation-joined
 *    and relation-departed hooks of that relation. It is read again for the relation of every
 *    event.
 * 4. A relation is announced by relation-created before any other hook of it runs
 *    (worker/uniter/relation/resolver.go, createdRelationsResolver), and ends with
 *    relation-broken; relation ids are not reused within a model, so a relation removed and
 *    re-created gets an id the cache has never seen, which it reads in full. The endpoint's ids are
 *    read again on relation-created, and on any event of a relation the cache does not know.
 *
 * What these guarantees do not cover is handled by reading everything: no cache file (the first
 * hook of a unit, a lost or foreign file), and the events after which anything may differ:
 * upgrade-charm (new charm code; on Kubernetes also the first hook of a recreated pod) and
 * leader-elected. A hook that fails, or that Juju skips after a failure (`juju resolve
 * --no-retry`), must not lose its event: the event is written to a pending file before any
 * handler runs, and folded into the cache only by a hook that succeeds.
 *
 * Only what Juju tells about other units is cached. This unit's own bags are read when asked for,
 * because Juju commits this unit's writes only when the hook succeeds, which a cache written by
 * the hook cannot know. In a peer relation the application bag is this application's own, which
 * its leader writes without any event reaching itself: it is read again in every hook that uses it.
 * Remote bags of units that are not members (the departing unit in relation-departed) and of a
 * relation being broken are read from Juju, as without a view.
 */

import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { HookTools } from "./backend.js";
import type { JujuContext } from "./context.js";
import { RelationNotFoundError } from "./errors.js";
import type { EventData, RelationEventData } from "./events.js";
import type { CharmMeta } from "./metadata.js";
import type { Relation } from "./model.js";
import type { Databag, RelationSnapshot } from "./snapshot.js";

/** The cache file in the charm's cache directory. */
export const RELATION_CACHE_FILE = ".relation-cache.json";
/** Events of hooks that did not (yet) succeed, to apply before the cache is trusted. */
export const RELATION_CACHE_PENDING_FILE = ".relation-cache.pending.json";
const FORMAT = 2;

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

interface EndpointCache {
  /** The endpoint's relation ids, ascending; `null` when they must be read. */
  ids: number[] | null;
  relations: Record<string, Entry>;
}

interface CacheDoc {
  format: number;
  unit: string;
  model: string;
  endpoints: Record<string, EndpointCache>;
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

function sameBag(a: Databag | undefined, b: Databag): boolean {
  if (!a) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/** Unit names by application, then unit number (as `Relation.units`). */
export function compareUnits(a: string, b: string): number {
  const [an, ai] = a.split("/");
  const [bn, bi] = b.split("/");
  if (an !== bn) return (an ?? "").localeCompare(bn ?? "");
  return Number(ai) - Number(bi);
}

/** A copy of a bag with its keys sorted, so that equal bags serialise (and digest) alike. */
function sortedBag(bag: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(bag).sort()) out[k] = bag[k] as string;
  return out;
}

/** Applies one event to an endpoint's cache: what it names is read again before use. */
function applyMark(cache: EndpointCache, m: Mark): void {
  const key = String(m.id);
  if (m.kind === "relation-broken") {
    if (cache.ids) cache.ids = cache.ids.filter((id) => id !== m.id);
    delete cache.relations[key];
    return;
  }
  if (m.kind === "relation-created" || (cache.ids && !cache.ids.includes(m.id))) cache.ids = null;
  const e = cache.relations[key];
  if (!e) return; // never read: it is read in full when first used
  // Membership is read again for the relation of every event; a departed unit leaves with it.
  e.members = true;
  if (m.kind === "relation-departed" || m.kind === "relation-created") return;
  if (m.unit !== undefined) {
    if (!e.stale.includes(m.unit)) e.stale.push(m.unit);
  } else if (m.kind === "relation-changed") {
    e.appStale = true;
  }
}

/** Reads a JSON file written by this module: `undefined` when missing, `null` when unreadable. */
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

// node:crypto takes milliseconds to load, and most hooks digest nothing: loaded on first use. Any
// absolute path anchors a require function for a built-in module, in the ESM sources and in
// CommonJS bundles alike.
let createHash: typeof import("node:crypto").createHash | undefined;

/** Content digest of a relation's remote data: application name, its bag, each unit's bag. */
function digestOf(e: Entry): string {
  createHash ??= (createRequire("/")("node:crypto") as typeof import("node:crypto")).createHash;
  const h = createHash("sha256");
  h.update(JSON.stringify([e.app ?? null, e.appData]));
  for (const u of Object.keys(e.units).sort(compareUnits)) h.update(JSON.stringify([u, e.units[u]]));
  return h.digest("hex");
}

/** What the views need of the Model (given by the Model itself; no import cycle at run time). */
export interface ViewHost {
  readonly backend: HookTools;
  readonly context: JujuContext;
  readonly metadata: CharmMeta;
  readonly uuid: string;
  readonly unitName: string;
  readonly appName: string;
  /** The Model's relation objects of an endpoint (through the views for a viewed endpoint). */
  relations(endpoint: string): Relation[];
  isLeader(): boolean;
}

/**
 * The views of one dispatch and the file they share. Internal: the framework creates it; the
 * Model reads viewed endpoints through it; `runDispatch` calls {@link RelationViews.begin} before
 * any handler and {@link RelationViews.commit} once the dispatch succeeded.
 */
export class RelationViews {
  private readonly views = new Map<string, RelationView>();
  private doc: CacheDoc | undefined;
  private freshness: ViewFreshness | undefined;
  /** Digest of each relation as the last successful hook left it (`endpoint#id`). */
  private readonly committed = new Map<string, string>();
  /** Bags read from Juju in this dispatch, per relation (`endpoint#id`). */
  private readonly reads = new Map<string, string[]>();
  /** Relations whose stale parts were read in this dispatch (`endpoint#id`). */
  private readonly fresh = new Set<string>();
  private readonly readCounts = new Map<string, number>();
  private dirty = false;
  private dropped: FullReadReason | undefined;

  constructor(
    private readonly host: ViewHost,
    private readonly cacheDir: string | undefined,
  ) {}

  private get cachePath(): string | undefined {
    return this.cacheDir === undefined ? undefined : join(this.cacheDir, RELATION_CACHE_FILE);
  }

  private get pendingPath(): string | undefined {
    return this.cacheDir === undefined ? undefined : join(this.cacheDir, RELATION_CACHE_PENDING_FILE);
  }

  /** @internal The view of `endpoint` (one per endpoint), declaring it viewed. */
  view(endpoint: string): RelationView {
    let v = this.views.get(endpoint);
    if (!v) {
      v = new RelationView(this, this.host, endpoint);
      this.views.set(endpoint, v);
    }
    return v;
  }

  /** @internal Whether the endpoint's reads go through the cache. */
  has(endpoint: string): boolean {
    return this.views.has(endpoint);
  }

  /**
   * @internal Before any handler: events after which anything may differ drop the cache; a
   * relation event on a viewed endpoint is recorded as pending, so that it is applied even if
   * this hook fails or nothing reads the endpoint in it.
   */
  begin(event: EventData): void {
    const cache = this.cachePath;
    const pending = this.pendingPath;
    if (this.views.size === 0 || cache === undefined || pending === undefined) return;
    if (event.kind === "upgrade-charm" || event.kind === "leader-elected") {
      this.dropped = event.kind;
      rmSync(cache, { force: true });
      rmSync(pending, { force: true });
      return;
    }
    if (!("relationId" in event) || !this.views.has(event.endpoint)) return;
    // Nothing to invalidate without a cache: the next read reads everything anyway.
    if (!existsSync(cache)) return;
    const mark: Mark = {
      endpoint: event.endpoint,
      id: event.relationId,
      kind: event.kind,
      unit: event.remoteUnit || undefined,
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
    return { format: FORMAT, unit: this.host.unitName, model: this.host.uuid, marks: [] };
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
      raw.unit !== this.host.unitName ||
      raw.model !== this.host.uuid ||
      !Array.isArray(raw.marks)
    )
      return null;
    return raw as unknown as PendingDoc;
  }

  /** The cache of this dispatch, loaded (and the pending events applied) on first use. */
  private load(): CacheDoc {
    if (this.doc) return this.doc;
    const empty = (reason: FullReadReason): CacheDoc => {
      this.freshness = { mode: "full", reason };
      this.committed.clear();
      // What the cache held is replaced: the next commit writes a new one.
      this.dirty = this.cacheDir !== undefined;
      return { format: FORMAT, unit: this.host.unitName, model: this.host.uuid, endpoints: {} };
    };
    const loaded = this.readCache();
    if ("reason" in loaded) {
      this.doc = empty(loaded.reason);
      return this.doc;
    }
    const pending = this.readPending();
    if (pending === null) {
      this.doc = empty("foreign-cache");
      return this.doc;
    }
    this.doc = loaded.doc;
    this.freshness = { mode: "incremental" };
    for (const [ep, c] of Object.entries(this.doc.endpoints))
      for (const [id, e] of Object.entries(c.relations)) this.committed.set(`${ep}#${id}`, e.digest);
    for (const m of pending?.marks ?? []) {
      if (!isRecord(m) || typeof m.endpoint !== "string" || !Number.isInteger(m.id)) continue;
      this.doc.endpoints[m.endpoint] ??= { ids: null, relations: {} };
      applyMark(this.doc.endpoints[m.endpoint]!, m);
      this.dirty = true;
    }
    return this.doc;
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
      raw.unit !== this.host.unitName ||
      raw.model !== this.host.uuid ||
      !isRecord(raw.endpoints)
    )
      return { reason: "foreign-cache" };
    for (const c of Object.values(raw.endpoints)) {
      if (!isRecord(c) || !isRecord(c.relations)) return { reason: "foreign-cache" };
      if (c.ids !== null && !(Array.isArray(c.ids) && c.ids.every((id) => Number.isInteger(id))))
        return { reason: "foreign-cache" };
      for (const e of Object.values(c.relations))
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

  private endpointCache(endpoint: string): EndpointCache {
    const doc = this.load();
    doc.endpoints[endpoint] ??= { ids: null, relations: {} };
    return doc.endpoints[endpoint]!;
  }

  /** @internal How this dispatch's cache was obtained. */
  freshnessOf(): ViewFreshness {
    this.load();
    return this.freshness ?? { mode: "full", reason: "no-cache" };
  }

  private count(endpoint: string): void {
    this.readCounts.set(endpoint, (this.readCounts.get(endpoint) ?? 0) + 1);
  }

  /** @internal Hook-tool calls made for an endpoint in this dispatch. */
  readsOf(endpoint: string): number {
    return this.readCounts.get(endpoint) ?? 0;
  }

  /** @internal The endpoint's relation ids, ascending (a relation being broken excluded). */
  relationIds(endpoint: string): number[] {
    const c = this.endpointCache(endpoint);
    if (c.ids === null) {
      // Juju still lists a relation in its own relation-broken hook; it is gone after it.
      const ctx = this.host.context;
      const broken = ctx.hookName === `${endpoint}-relation-broken` ? ctx.relationId : undefined;
      c.ids = this.host.backend.relationIds(endpoint).filter((id) => id !== broken);
      this.count(endpoint);
      this.dirty = true;
    }
    const known = new Set(c.ids.map(String));
    for (const id of Object.keys(c.relations)) {
      if (known.has(id)) continue;
      delete c.relations[id];
      this.dirty = true;
    }
    return [...c.ids];
  }

  /**
   * @internal One relation, its stale parts read from Juju first (once per dispatch). `remoteApp`
   * is what the Model knows of the application without asking Juju (the event's, or our own for
   * a peer relation).
   */
  entry(endpoint: string, id: number, remoteApp: string | undefined): Entry {
    const c = this.endpointCache(endpoint);
    const key = String(id);
    const ref = `${endpoint}#${id}`;
    let e = c.relations[key];
    if (e && this.fresh.has(ref)) return e;
    const backend = this.host.backend;
    const isPeer = this.host.metadata.relations[endpoint]?.role === "peers";
    const read = this.reads.get(ref) ?? [];
    this.reads.set(ref, read);
    this.fresh.add(ref);
    let changed = false;
    const tolerate = <T>(f: () => T, fallback: T): T => {
      try {
        return f();
      } catch (err) {
        // A relation that is going away reads as empty, as through the Model.
        if (!(err instanceof RelationNotFoundError)) throw err;
        return fallback;
      }
    };
    if (!e) {
      let app = remoteApp;
      if (app === undefined) {
        app = tolerate(() => backend.relationRemoteApp(id, endpoint), undefined);
        this.count(endpoint);
      }
      e = { app, appData: {}, units: {}, stale: [], appStale: true, members: true, digest: "" };
      c.relations[key] = e;
      changed = true;
    }
    let members: ReadonlySet<string>;
    if (e.members) {
      members = new Set(tolerate(() => backend.relationList(id, endpoint), []));
      this.count(endpoint);
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
      const fresh = sortedBag(tolerate(() => backend.relationGet(id, endpoint, u, false), {}));
      this.count(endpoint);
      read.push(u);
      if (!sameBag(e.units[u], fresh)) changed = true;
      e.units[u] = fresh;
    }
    e.stale = [];
    // A peer relation's application bag is this application's, written by its leader without
    // any event reaching the leader itself: never trusted from an earlier hook.
    if (e.appStale || isPeer) {
      const app = e.app;
      const fresh =
        app === undefined ? {} : sortedBag(tolerate(() => backend.relationGet(id, endpoint, app, true), {}));
      if (app !== undefined) {
        this.count(endpoint);
        read.push(app);
      }
      if (!sameBag(e.appData, fresh)) changed = true;
      e.appData = fresh;
      e.appStale = false;
    }
    if (changed) e.digest = digestOf(e);
    if (changed || read.length > 0) this.dirty = true;
    return e;
  }

  /** @internal Bags read from Juju in this dispatch for a relation. */
  readOf(endpoint: string, id: number): readonly string[] {
    return this.reads.get(`${endpoint}#${id}`) ?? [];
  }

  /** @internal The digest the last successful hook left for a relation (`undefined`: unknown). */
  committedDigest(endpoint: string, id: number): string | undefined {
    return this.committed.get(`${endpoint}#${id}`);
  }

  /** @internal Forget everything cached for an endpoint: its next read is a full one. */
  drop(endpoint: string): void {
    const doc = this.load();
    doc.endpoints[endpoint] = { ids: null, relations: {} };
    for (const ref of [...this.fresh]) if (ref.startsWith(`${endpoint}#`)) this.fresh.delete(ref);
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
  private invalidated = false;

  /** @internal */
  constructor(
    private readonly views: RelationViews,
    private readonly host: ViewHost,
    /** The endpoint. */
    readonly endpoint: string,
  ) {}

  /** How this hook's data was obtained. */
  get freshness(): ViewFreshness {
    if (this.invalidated) return { mode: "full", reason: "invalidated" };
    return this.views.freshnessOf();
  }

  /** Hook-tool calls made for this endpoint in this hook so far (ids, member lists, bags). */
  get reads(): number {
    return this.views.readsOf(this.endpoint);
  }

  /**
   * The endpoint's active relations by ascending id (a relation being broken is hidden), each up
   * to date as of this hook: what the cache does not hold is read first, once per hook.
   */
  relations(): CachedRelation[] {
    return this.host.relations(this.endpoint).map((rel) => this.wrap(rel));
  }

  /** The relation with this id, if active. */
  relation(id: number): CachedRelation | undefined {
    const rel = this.host.relations(this.endpoint).find((r) => r.id === id);
    return rel === undefined ? undefined : this.wrap(rel);
  }

  private wrap(rel: Relation): CachedRelation {
    const e = this.views.entry(this.endpoint, rel.id, rel.knownRemoteApp());
    return new CachedRelation(
      rel,
      e,
      this.views.readOf(this.endpoint, rel.id),
      this.views.committedDigest(this.endpoint, rel.id),
      () => this.host.isLeader(),
    );
  }

  /**
   * Forget the cache of this endpoint: from now on (in this hook too) everything is read again.
   * Relation objects taken from the Model before the call keep what they read.
   */
  invalidate(): void {
    this.views.drop(this.endpoint);
    this.invalidated = true;
  }
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
    /** The Model's relation: this unit's bags (read when asked for) and writes. */
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
   * bags are read only when a library looks at them (the application bag only on the leader, as
   * with `Relation.snapshot()`).
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

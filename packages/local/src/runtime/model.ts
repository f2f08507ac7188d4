/**
 * The local model's records (applications, units, relations with their databags, secrets, and
 * each unit's queue of hooks) and their persistence: one JSON file under the model's home,
 * replaced atomically after every change, so a restarted controller finds the model as it was.
 * Queries that several parts of the runtime ask (live units, a unit's relations, the other side
 * of a relation) live here too, next to the records they read.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { SecretRecord, StatusValue } from "../hooktools/tools.js";

/** The Juju version the runtime claims in `JUJU_VERSION`. */
export const JUJU_VERSION = "3.6.14";

/** A hook or action waiting in a unit's queue. */
export interface QueuedEvent {
  hook: string;
  env: Record<string, string>;
  relationId?: number;
  remoteUnit?: string;
  /** Set only for actions (not persisted). */
  actionId?: string;
  /** Set only for commands run in the hook context (`juju exec`; not persisted). */
  execId?: string;
}

/** An application of the model. */
export interface AppRec {
  name: string;
  charm: string;
  index: number;
  config: Record<string, unknown>;
  nextUnit: number;
  leader?: string | undefined;
  status: StatusValue;
  workloadVersion: string;
  dying?: boolean;
  /** leader-set's settings (Juju 3.6 still has leader-get/leader-set). */
  leaderSettings?: Record<string, string>;
}

/** A unit of the model, with its queue and the relation view its hooks have built up. */
export interface UnitRec {
  name: string;
  app: string;
  address: string;
  status: StatusValue;
  agent: "allocating" | "idle" | "executing" | "error";
  error?: string | undefined;
  dying: boolean;
  ports: string[];
  state: Record<string, string>;
  /** Relation id to the remote units this unit has seen join (present from -created to -broken). */
  view: Record<string, string[]>;
  queue: QueuedEvent[];
  failures: number;
  /** Whether the unit's start hook has succeeded (a restart then fires pebble-ready again). */
  started?: boolean;
}

/** One side of a relation: an application's endpoint. */
export interface RelSide {
  app: string;
  endpoint: string;
}

/** A relation (a peer relation has one side) and its committed databags. */
export interface RelRec {
  id: number;
  interface: string;
  peer: boolean;
  sides: RelSide[];
  dying: boolean;
  /** Owner (app name or unit name) to its bag. */
  bags: Record<string, Record<string, string>>;
}

/** The persisted model. */
export interface ModelFile {
  version: 1;
  name: string;
  uuid: string;
  nextRelationId: number;
  nextAppIndex: number;
  apps: Record<string, AppRec>;
  units: Record<string, UnitRec>;
  relations: Record<string, RelRec>;
  secrets: Record<string, SecretRecord>;
  /** The model's pod network (`10.<octet>.0.0/16`), chosen when the model first ran. */
  network?: { octet: number } | undefined;
}

/** Orders unit names by application, then by unit number (`a/2` before `a/10`). */
export function byUnitNumber(a: string, b: string): number {
  const [aa = "", an = "0"] = a.split("/");
  const [ba = "", bn = "0"] = b.split("/");
  return aa === ba ? Number(an) - Number(bn) : aa < ba ? -1 : 1;
}

/** A deep copy, so callers outside the runtime never hold live records. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** The model's records plus their file; `save()` after every change. */
export class ModelStore {
  private constructor(
    readonly path: string,
    readonly data: ModelFile,
    private readonly onSave: () => void,
  ) {}

  /** Loads the model at `path`, or starts an empty one named `name`. */
  static open(path: string, name: string, onSave: () => void): ModelStore {
    const data = existsSync(path)
      ? (JSON.parse(readFileSync(path, "utf8")) as ModelFile)
      : {
          version: 1 as const,
          name,
          uuid: randomUUID(),
          nextRelationId: 0,
          nextAppIndex: 1,
          apps: {},
          units: {},
          relations: {},
          secrets: {},
        };
    return new ModelStore(path, data, onSave);
  }

  /** Writes the model atomically (queued actions are dropped: they die with the process). */
  save(): void {
    const tmp = `${this.path}.tmp`;
    const data = {
      ...this.data,
      units: Object.fromEntries(
        Object.entries(this.data.units).map(([k, u]) => [
          k,
          { ...u, queue: u.queue.filter((e) => e.actionId === undefined && e.execId === undefined) },
        ]),
      ),
    };
    writeFileSync(tmp, `${JSON.stringify(data, null, 1)}\n`);
    renameSync(tmp, this.path);
    this.onSave();
  }

  /** Units of `app` that are not being removed, in unit-number order. */
  liveUnits(app: string): UnitRec[] {
    return Object.values(this.data.units)
      .filter((u) => u.app === app && !u.dying)
      .sort((a, b) => byUnitNumber(a.name, b.name));
  }

  /** Relations of `app` that are not being removed, by id. */
  relationsOf(app: string): RelRec[] {
    return Object.values(this.data.relations)
      .filter((r) => !r.dying && r.sides.some((s) => s.app === app))
      .sort((a, b) => a.id - b.id);
  }

  /** The application on the other side of `r` from `app` (`app` itself for a peer relation). */
  remoteAppOf(r: RelRec, app: string): string {
    return r.peer ? app : (r.sides.find((s) => s.app !== app)?.app ?? app);
  }

  /** `app`'s endpoint in `r`. */
  endpointOf(r: RelRec, app: string): string {
    return r.sides.find((s) => s.app === app)?.endpoint ?? "";
  }

  /** Live units on the other side of `r` from `u` (other peers for a peer relation). */
  remoteUnits(r: RelRec, u: UnitRec): UnitRec[] {
    const app = this.remoteAppOf(r, u.app);
    return this.liveUnits(app).filter((x) => x.name !== u.name);
  }

  /** The live regular relation between `a` and `b` (`app` or `app:endpoint` each). */
  findRelation(a: string, b: string): RelRec | undefined {
    return Object.values(this.data.relations).find((r) => {
      if (r.peer || r.dying) return false;
      const keys = r.sides.map((s) => `${s.app}:${s.endpoint}`);
      const match = (x: string) => keys.includes(x) || (!x.includes(":") && r.sides.some((s) => s.app === x));
      return match(a) && match(b);
    });
  }
}

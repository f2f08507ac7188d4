/**
 * Unit-local framework state across hooks: stored-state values and the deferred-event queue.
 * The file store keeps everything in `$JUJU_CHARM_DIR/.unit-state.json`, mode 0600, replaced
 * atomically (temp file + rename) and only when a dispatch commits successfully.
 */

import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { EventData } from "./events.js";

/** A JSON value, as stored state holds. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** One deferred (event, observer) pair. */
export interface DeferredNotice {
  /** The event record (ids and names only). */
  readonly event: EventData;
  /** The observer's stable key (kind, subject and registration index). */
  readonly observer: string;
}

/** Everything the framework persists for a unit. */
export interface UnitState {
  /** Stored state per owner name, each a JSON object. */
  readonly stored: Readonly<Record<string, Readonly<Record<string, JsonValue>>>>;
  /** Pending deferred notices, FIFO. */
  readonly deferred: readonly DeferredNotice[];
}

/** Where unit state lives between dispatches. */
export interface StateStore {
  /** The state committed by the last successful dispatch (empty on first run). */
  load(): UnitState;
  /** Persist a new state; called once, at successful commit, and only when something changed. */
  save(state: UnitState): void;
}

/** An empty unit state. */
export function emptyUnitState(): UnitState {
  return { stored: {}, deferred: [] };
}

/** A state store held in memory; for tests and the harness. */
export class MemoryStateStore implements StateStore {
  private state: UnitState;
  /** Number of `save` calls, so tests can check that nothing was written. */
  saves = 0;
  constructor(initial: UnitState = emptyUnitState()) {
    this.state = structuredClone(initial);
  }
  load(): UnitState {
    return structuredClone(this.state);
  }
  save(state: UnitState): void {
    this.saves++;
    this.state = structuredClone(state);
  }
}

/** Name of the state file inside the charm directory. */
export const STATE_FILE_NAME = ".unit-state.json";

/** The production store: one JSON file, 0600, written atomically. */
export class FileStateStore implements StateStore {
  constructor(readonly path: string) {}

  load(): UnitState {
    if (!existsSync(this.path)) return emptyUnitState();
    const raw = readFileSync(this.path, "utf8");
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw new Error(`${this.path}: corrupt unit state (not JSON); remove it to start afresh`, {
        cause: err,
      });
    }
    const o = (parsed ?? {}) as Partial<UnitState>;
    return {
      stored: o.stored && typeof o.stored === "object" ? o.stored : {},
      deferred: Array.isArray(o.deferred) ? o.deferred : [],
    };
  }

  save(state: UnitState): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: 1, ...state })}\n`, { mode: 0o600 });
    // writeFileSync's mode only applies on creation; a leftover temp file keeps its old mode.
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }
}

/**
 * Where a local model keeps things under its home directory: the model file, the hook-tool
 * socket and executables, each application's prepared charm, and each unit's directory (its own
 * copy of the charm, its log, its storage, its containers' roots and Pebble sockets).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

/** Paths of one model's home. */
export class ModelLayout {
  constructor(readonly home: string) {}

  get modelFile(): string {
    return join(this.home, "model.json");
  }

  /** The socket the hook tools talk to. */
  get agentSocket(): string {
    return join(this.home, "agent.sock");
  }

  /** Where the hook-tool executables are installed. */
  get toolsDir(): string {
    return join(this.home, "tools");
  }

  /** An application's prepared charm, copied into each of its units. */
  charmSource(app: string): string {
    return join(this.home, "charms", app);
  }

  unitDir(unit: string): string {
    return join(this.home, "units", unit.replace("/", "-"));
  }

  /** The charm directory a unit runs (its own copy, so `.unit-state.json` is per unit). */
  unitCharmDir(unit: string): string {
    return join(this.unitDir(unit), "charm");
  }

  /** The unit's log file (hook output and juju-log lines). */
  unitLogPath(unit: string): string {
    return join(this.unitDir(unit), "unit.log");
  }

  /** The socket directory of a unit's containers (`<dir>/<container>/pebble.socket`). */
  containersDir(unit: string): string {
    return join(this.unitDir(unit), "containers");
  }

  /** The directory of storage instance `<name>/0` of a unit. */
  storageDir(unit: string, storage: string): string {
    return join(this.unitDir(unit), "storage", storage, "0");
  }

  /** Appends a timestamped line to a unit's log. */
  logUnit(unit: string, line: string): void {
    const p = this.unitLogPath(unit);
    mkdirSync(dirname(p), { recursive: true });
    appendFileSync(p, `${new Date().toISOString()} ${line.endsWith("\n") ? line : `${line}\n`}`);
  }
}

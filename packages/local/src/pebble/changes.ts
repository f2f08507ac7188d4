/**
 * Pebble's changes and tasks: the async units of work behind `POST /v1/services`, `/v1/exec` and
 * friends. A change runs its tasks in order; the first failing task fails the change with Pebble's
 * "cannot perform the following tasks" text. Waiters (`/v1/changes/{id}/wait`) are woken when the
 * change becomes ready.
 */
import { EventEmitter } from "node:events";

/** Pebble's change/task status names. */
export type Status = "Do" | "Doing" | "Done" | "Abort" | "Undo" | "Error" | "Hold" | "Wait";

/** One task; `run` does the work and may log through the task. */
export class Task {
  readonly id: string;
  readonly kind: string;
  readonly summary: string;
  status: Status = "Do";
  readonly log: string[] = [];
  data: Record<string, unknown> | undefined;
  readonly spawnTime = new Date();
  readyTime: Date | undefined;
  /** Set when an abort is requested; long-running work polls or listens to it. */
  readonly abort = new AbortController();
  constructor(id: string, kind: string, summary: string) {
    this.id = id;
    this.kind = kind;
    this.summary = summary;
  }

  /** Adds a log line in Pebble's "<RFC3339> <LEVEL> <message>" form. */
  logf(level: "INFO" | "ERROR", message: string): void {
    this.log.push(`${rfc3339(new Date())} ${level} ${message}`);
  }

  toJSON(): Record<string, unknown> {
    const done = this.status === "Done" ? 1 : 0;
    const out: Record<string, unknown> = {
      id: this.id,
      kind: this.kind,
      summary: this.summary,
      status: this.status,
      progress: { label: "", done, total: 1 },
      "spawn-time": rfc3339(this.spawnTime),
    };
    if (this.log.length) out.log = [...this.log];
    if (this.readyTime) out["ready-time"] = rfc3339(this.readyTime);
    if (this.data) out.data = this.data;
    return out;
  }
}

/** The work a task performs. Throwing fails the task (and the change) with the error's message. */
export type TaskRunner = (task: Task) => Promise<void>;

/** A change: an ordered list of tasks run one after another. */
export class Change {
  readonly id: string;
  readonly kind: string;
  readonly summary: string;
  readonly tasks: Task[] = [];
  readonly spawnTime = new Date();
  readyTime: Date | undefined;
  err: string | undefined;
  data: Record<string, unknown> | undefined;
  readonly #events = new EventEmitter();
  #ready = false;
  constructor(id: string, kind: string, summary: string) {
    this.id = id;
    this.kind = kind;
    this.summary = summary;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get status(): Status {
    if (!this.#ready) {
      if (this.tasks.some((t) => t.abort.signal.aborted)) return "Abort";
      return this.tasks.some((t) => t.status === "Doing") ? "Doing" : "Do";
    }
    if (this.tasks.some((t) => t.status === "Error")) return "Error";
    if (this.tasks.some((t) => t.status === "Hold")) return "Hold";
    return "Done";
  }

  /** Resolves once the change is ready, or with false after `timeoutMs`. */
  waitReady(timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (ok: boolean) => {
        if (timer) clearTimeout(timer);
        this.#events.off("ready", onReady);
        signal?.removeEventListener("abort", onAbort);
        resolve(ok);
      };
      const onReady = () => finish(true);
      const onAbort = () => finish(false);
      this.#events.once("ready", onReady);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(() => finish(false), timeoutMs);
    });
  }

  /** Requests an abort of every task that has not finished. */
  abort(): void {
    for (const t of this.tasks) {
      if (t.status === "Do" || t.status === "Doing") t.abort.abort();
    }
  }

  /** Runs the tasks in order; tasks after a failure are put on Hold, as Pebble does. */
  async run(runners: readonly TaskRunner[]): Promise<void> {
    const failures: string[] = [];
    for (const [i, task] of this.tasks.entries()) {
      const runner = runners[i];
      if (failures.length || task.abort.signal.aborted || !runner) {
        task.status = failures.length ? "Hold" : "Error";
        if (!failures.length) failures.push(`- ${task.summary} (task aborted)`);
        task.readyTime = new Date();
        continue;
      }
      task.status = "Doing";
      try {
        await runner(task);
        task.status = "Done";
      } catch (e) {
        const msg = (e as Error).message;
        task.status = "Error";
        task.logf("ERROR", msg);
        failures.push(`- ${task.summary} (${msg})`);
      }
      task.readyTime = new Date();
    }
    if (failures.length) this.err = `cannot perform the following tasks:\n${failures.join("\n")}`;
    this.readyTime = new Date();
    this.#ready = true;
    this.#events.emit("ready");
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      id: this.id,
      kind: this.kind,
      summary: this.summary,
      status: this.status,
      ready: this.#ready,
      "spawn-time": rfc3339(this.spawnTime),
    };
    // api_changes.go changeInfo: `tasks` is omitempty, so a change without tasks has no key.
    if (this.tasks.length) out.tasks = this.tasks.map((t) => t.toJSON());
    if (this.err) out.err = this.err;
    if (this.readyTime) out["ready-time"] = rfc3339(this.readyTime);
    if (this.data) out.data = this.data;
    return out;
  }
}

/** Holds every change of one Pebble server, with sequential IDs like Pebble's. */
export class ChangeStore {
  readonly #changes = new Map<string, Change>();
  #nextChange = 1;
  #nextTask = 1;

  /**
   * Creates a change whose tasks are given as (kind, summary, runner) and starts running it in the
   * background. The returned change is already registered, so its ID can be answered at once.
   */
  start(
    kind: string,
    summary: string,
    tasks: readonly { kind: string; summary: string; run: TaskRunner }[],
  ): Change {
    const change = new Change(String(this.#nextChange++), kind, summary);
    for (const t of tasks) change.tasks.push(new Task(String(this.#nextTask++), t.kind, t.summary));
    this.#changes.set(change.id, change);
    void change.run(tasks.map((t) => t.run));
    return change;
  }

  get(id: string): Change | undefined {
    return this.#changes.get(id);
  }

  /** Finds the task with the given ID (exec websockets are addressed by task). */
  task(id: string): { change: Change; task: Task } | undefined {
    for (const change of this.#changes.values()) {
      const task = change.tasks.find((t) => t.id === id);
      if (task) return { change, task };
    }
    return undefined;
  }

  /** All changes, oldest first. */
  list(): Change[] {
    return [...this.#changes.values()];
  }
}

/** RFC 3339 with nanosecond-free precision, as Go's time.RFC3339Nano renders whole milliseconds. */
export function rfc3339(d: Date): string {
  return d.toISOString();
}

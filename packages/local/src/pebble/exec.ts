/**
 * `POST /v1/exec` and its websockets. The request creates a change with one "exec" task; the task
 * waits (up to 5 s) for the `control`, `stdio` and, with split-stderr, `stderr` websockets of
 * `/v1/tasks/{task-id}/websocket/...`, then runs the command in the container's namespace:
 * binary frames carry the bytes, the text frame `{"command":"end"}` ends each stream, control
 * frames deliver signals, and the exit code lands in `tasks[0].data["exit-code"]`.
 */
import type { ChildProcess } from "node:child_process";
import { constants } from "node:os";
import type { Plan } from "@charmkit/ops/pebble";
import type { WebSocket } from "ws";
import type { ChangeStore, Task } from "./changes.js";
import { formatDuration, parseDuration } from "./duration.js";
import { badRequest } from "./envelope.js";
import { computeBinds, ensureIsolation, lookPath, type Mount, spawnIsolated } from "./sandbox.js";
import { ownHome, resolveIdentity } from "./users.js";

/** How long the task waits for its websockets before failing, as in Pebble. */
export const WEBSOCKET_WAIT_MS = 5000;

/** Options of an {@link ExecManager}. */
export interface ExecManagerOptions {
  rootDir: string;
  mounts: readonly Mount[];
  env: Readonly<Record<string, string>>;
  plan: () => Plan;
  changes: ChangeStore;
  log: (line: string) => void;
  /** Namespaces to enter before the container's own (see `IsolatedCommand.enter`). */
  enter?: readonly string[] | undefined;
}

type SocketName = "control" | "stdio" | "stderr";

interface Session {
  readonly needed: readonly SocketName[];
  readonly sockets: Partial<Record<SocketName, WebSocket>>;
  readonly stdinQueue: (Buffer | "end")[];
  child: ChildProcess | undefined;
  connected: () => void;
}

const END = JSON.stringify({ command: "end" });

/** Runs exec requests of one container. */
export class ExecManager {
  readonly #opts: ExecManagerOptions;
  readonly #sessions = new Map<string, Session>();

  constructor(opts: ExecManagerOptions) {
    this.#opts = opts;
  }

  /**
   * Validates an exec request and starts its change.
   *
   * @throws ApiError 400 for a malformed request or an executable that cannot be found.
   */
  async create(body: Record<string, unknown>): Promise<{ change: string; result: Record<string, unknown> }> {
    const command = body.command;
    if (!Array.isArray(command) || !command.length || command.some((c) => typeof c !== "string")) {
      throw badRequest("must specify command");
    }
    const argv = command as string[];
    const envIn = body.environment ?? {};
    if (typeof envIn !== "object" || Array.isArray(envIn))
      throw badRequest("environment must be a map of strings");
    const ctxName = body["service-context"];
    let ctx: NonNullable<Plan["services"]>[string] | undefined;
    if (typeof ctxName === "string" && ctxName) {
      ctx = this.#opts.plan().services?.[ctxName];
      if (!ctx) throw badRequest(`cannot find service "${ctxName}" for service-context`);
    }
    let timeoutMs: number | undefined;
    if (typeof body.timeout === "string" && body.timeout) {
      try {
        timeoutMs = parseDuration(body.timeout);
      } catch (e) {
        throw badRequest(`invalid timeout: ${(e as Error).message}`);
      }
    }
    let identity: ReturnType<typeof resolveIdentity>;
    try {
      identity = resolveIdentity({
        user: (body.user as string | undefined) ?? ctx?.user,
        userId: (body["user-id"] as number | undefined) ?? ctx?.["user-id"],
        group: (body.group as string | undefined) ?? ctx?.group,
        groupId: (body["group-id"] as number | undefined) ?? ctx?.["group-id"],
      });
    } catch (e) {
      throw badRequest((e as Error).message);
    }
    const env: Record<string, string> = { ...this.#opts.env, ...ctx?.environment };
    for (const [k, v] of Object.entries(envIn as Record<string, unknown>)) env[k] = String(v);
    const home = identity ? identity.home : ownHome();
    env.HOME ??= home;
    if (identity?.name) env.USER ??= identity.name;
    const workingDir =
      typeof body["working-dir"] === "string" && body["working-dir"]
        ? body["working-dir"]
        : (ctx?.["working-dir"] ?? home);
    try {
      await ensureIsolation();
    } catch (e) {
      throw badRequest((e as Error).message);
    }
    const { binds } = computeBinds(this.#opts.rootDir, this.#opts.mounts);
    // api_exec.go checks exec.LookPath on the daemon's PATH, not the request's environment.
    const exe = lookPath(argv[0] as string, this.#opts.env.PATH ?? "", binds, workingDir);
    if (!exe) throw badRequest(`cannot find executable "${argv[0]}"`);
    const split = body["split-stderr"] === true;
    const needed: SocketName[] = split ? ["control", "stdio", "stderr"] : ["control", "stdio"];
    const summary = `Execute command "${argv[0]}"`;
    const change = this.#opts.changes.start("exec", summary, [
      {
        kind: "exec",
        summary,
        run: async (task) => {
          // The change starts running before its task ID is known here; the session is
          // registered right after, so look it up one tick later.
          await Promise.resolve();
          const session = this.#sessions.get(task.id) as Session;
          await this.#run(task, session, {
            argv: [exe, ...argv.slice(1)],
            env,
            workingDir,
            binds,
            identity,
            timeoutMs,
            split,
          });
        },
      },
    ]);
    const task = change.tasks[0] as Task;
    this.#sessions.set(task.id, {
      needed,
      sockets: {},
      stdinQueue: [],
      child: undefined,
      connected: () => {},
    });
    return { change: change.id, result: { "task-id": task.id, environment: env, "working-dir": workingDir } };
  }

  /** True when a websocket for this task is expected (used to answer 404 otherwise). */
  accepts(taskId: string, name: string): boolean {
    const s = this.#sessions.get(taskId);
    return !!s && (s.needed as readonly string[]).includes(name) && !s.sockets[name as SocketName];
  }

  /** Attaches an upgraded websocket to its exec session. */
  attach(taskId: string, name: SocketName, ws: WebSocket): void {
    const s = this.#sessions.get(taskId);
    if (!s) {
      ws.close(1011, "unknown task");
      return;
    }
    s.sockets[name] = ws;
    if (name === "stdio") {
      ws.on("message", (data, isBinary) => {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        if (isBinary) this.#stdin(s, buf);
        else if (isEnd(buf)) this.#stdin(s, "end");
      });
    }
    if (name === "control") {
      ws.on("message", (data, isBinary) => {
        if (isBinary) return;
        try {
          const msg = JSON.parse(String(data)) as { command?: string; signal?: { name?: string } };
          if (msg.command === "signal" && msg.signal?.name) this.#signal(s, msg.signal.name);
        } catch {
          // Malformed control frames are ignored, as Pebble logs and ignores them.
        }
      });
      ws.on("close", (code) => {
        // An abnormal drop of the control socket kills the command.
        if (code !== 1000 && s.child && s.child.exitCode === null) this.#signal(s, "SIGKILL");
      });
    }
    if (s.needed.every((n) => s.sockets[n])) s.connected();
  }

  #stdin(s: Session, chunk: Buffer | "end"): void {
    if (!s.child?.stdin) {
      s.stdinQueue.push(chunk);
      return;
    }
    if (chunk === "end") s.child.stdin.end();
    else s.child.stdin.write(chunk);
  }

  #signal(s: Session, name: string): void {
    const pid = s.child?.pid;
    if (pid === undefined) return;
    const sig = name.startsWith("SIG") ? name : `SIG${name}`;
    try {
      process.kill(-pid, sig as NodeJS.Signals);
    } catch {
      // Gone already, or an unknown signal name.
    }
  }

  async #run(
    task: Task,
    s: Session,
    cmd: {
      argv: string[];
      env: Record<string, string>;
      workingDir: string;
      binds: ReturnType<typeof computeBinds>["binds"];
      identity: ReturnType<typeof resolveIdentity>;
      timeoutMs: number | undefined;
      split: boolean;
    },
  ): Promise<void> {
    try {
      await this.#waitSockets(task, s);
      const child = spawnIsolated({
        argv: cmd.argv,
        env: cmd.env,
        cwd: cmd.workingDir,
        binds: cmd.binds,
        identity: cmd.identity,
        stdio: ["pipe", "pipe", "pipe"],
        enter: this.#opts.enter,
      });
      s.child = child;
      task.abort.signal.addEventListener("abort", () => this.#signal(s, "SIGKILL"), { once: true });
      child.stdin?.on("error", () => {});
      for (const chunk of s.stdinQueue.splice(0)) this.#stdin(s, chunk);
      const stdio = s.sockets.stdio as WebSocket;
      const stderrWs = cmd.split ? (s.sockets.stderr as WebSocket) : stdio;
      child.stdout?.on("data", (d: Buffer) => send(stdio, d));
      child.stderr?.on("data", (d: Buffer) => send(stderrWs, d));
      let timedOut = false;
      const timer =
        cmd.timeoutMs !== undefined
          ? setTimeout(() => {
              timedOut = true;
              this.#signal(s, "SIGKILL");
            }, cmd.timeoutMs)
          : undefined;
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
        child.on("close", (c, sig) => resolve([c, sig]));
        child.on("error", () => resolve([127, null]));
      });
      clearTimeout(timer);
      send(stdio, END);
      if (cmd.split) send(stderrWs, END);
      const exitCode = signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? -1);
      if (timedOut) throw new Error(`timed out after ${formatDuration(cmd.timeoutMs ?? 0)}`);
      task.data = { "exit-code": exitCode };
    } finally {
      this.#sessions.delete(task.id);
      for (const ws of Object.values(s.sockets)) ws?.close(1000);
    }
  }

  #waitSockets(task: Task, s: Session): Promise<void> {
    if (s.needed.every((n) => s.sockets[n])) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const missing = s.needed.filter((n) => !s.sockets[n]);
        reject(new Error(`timeout waiting for websocket connections: ${missing.join(", ")}`));
      }, WEBSOCKET_WAIT_MS);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Error("exec aborted before its websockets connected"));
      };
      task.abort.signal.addEventListener("abort", onAbort, { once: true });
      s.connected = () => {
        clearTimeout(timer);
        task.abort.signal.removeEventListener("abort", onAbort);
        resolve();
      };
    });
  }
}

function isEnd(buf: Buffer): boolean {
  try {
    return (JSON.parse(buf.toString()) as { command?: string }).command === "end";
  } catch {
    return false;
  }
}

function send(ws: WebSocket, data: Buffer | string): void {
  if (ws.readyState === ws.OPEN) ws.send(data, { binary: typeof data !== "string" });
}

/**
 * The two black-box entry points a case goes through, each with its own time and memory
 * accounting:
 * 1. `prometheus-scrape render` (the library's command, run from its sources) as a child process
 *    with a 512 MB V8 heap, its wall time and peak RSS measured (GNU time, when installed);
 * 2. the charm in the state-transition harness, in a worker thread with a 768 MB heap limit, the
 *    hook's time measured inside the worker. A hung or exhausted worker is stopped and replaced.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { CaseState } from "./corpus.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const RENDER_BIN = `${ROOT}packages/interfaces/bin/prometheus-scrape.cjs`;
const GNU_TIME = "/usr/bin/time";

/** Heap of the render child (MB); running out of it is a crash. */
export const RENDER_HEAP_MB = 512;
/** Peak resident memory a render run may use (MB). */
export const RENDER_RSS_MB = 1024;
/** Heap of the harness worker (MB); running out of it is a crash. */
export const HARNESS_HEAP_MB = 768;
/** A run with no answer after this long is a hang. */
export const HANG_MS = 30_000;

/** One `prometheus-scrape render` run. */
export interface RenderRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak RSS in MB, when GNU time is installed. */
  rssMb: number | undefined;
  hung: boolean;
}

/** Runs `prometheus-scrape render --prometheus2 --compact --no-cache FILE`. */
export function runRender(stateFile: string, rssFile: string): Promise<RenderRun> {
  const node = [process.execPath, `--max-old-space-size=${RENDER_HEAP_MB}`, RENDER_BIN];
  const args = ["render", "--prometheus2", "--compact", "--no-cache", stateFile];
  const withTime = existsSync(GNU_TIME);
  const argv = withTime ? [GNU_TIME, "-f", "%M", "-o", rssFile, ...node, ...args] : [...node, ...args];
  rmSync(rssFile, { force: true });
  return new Promise((resolve) => {
    const t0 = performance.now();
    // Sources, not a bundle that may predate them.
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: ROOT,
      env: { ...process.env, PROMETHEUS_SCRAPE_FROM_SOURCE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill("SIGKILL");
    }, HANG_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      let rssMb: number | undefined;
      if (withTime && existsSync(rssFile)) {
        const kb = Number(readFileSync(rssFile, "utf8").trim().split("\n").pop());
        if (Number.isFinite(kb)) rssMb = kb / 1024;
      }
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8").slice(0, 4000),
        ms,
        rssMb,
        hung,
      });
    });
  });
}

/** What the harness worker is asked to run. */
export interface HarnessRequest {
  /** The case's state; relation 0 is the good relation, the rest are hostile. */
  state: CaseState;
  /** The `database` storage location (a real directory: the charm statfs()s it). */
  storageDir: string;
  /** The hook is run a second time when the first took longer than this. */
  timeBudgetMs: number;
}

/** A unit status as the harness reports it. */
export interface Status {
  name: string;
  message: string;
}

/** What the worker answers. */
export type HarnessReply =
  | {
      ok: true;
      ms: number;
      heapMb: number;
      baseline: { status: Status; files: Record<string, string> };
      result: { status: Status; files: Record<string, string> };
    }
  | { ok: false; phase: "baseline" | "case" | "worker"; error: string };

/** The charm harness in a worker thread, replaced after a hang or a crash. */
export class Harness {
  private worker: Worker | undefined;

  private start(): Worker {
    const w = new Worker(new URL("./harness-worker.mjs", import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: HARNESS_HEAP_MB },
      stdout: true,
      stderr: true,
    });
    // The charm's own logging is not part of the result.
    w.stdout.resume();
    w.stderr.resume();
    w.unref();
    return w;
  }

  /** Runs one case; never throws. */
  run(req: HarnessRequest): Promise<HarnessReply> {
    this.worker ??= this.start();
    const w = this.worker;
    return new Promise((resolve) => {
      let done = false;
      const finish = (reply: HarnessReply, kill: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        w.off("message", onMessage);
        w.off("error", onError);
        w.off("exit", onExit);
        if (kill) {
          this.worker = undefined;
          void w.terminate();
        }
        resolve(reply);
      };
      const onMessage = (m: HarnessReply) => finish(m, false);
      const onError = (e: Error) => finish({ ok: false, phase: "worker", error: `worker died: ${e.message}` }, true);
      const onExit = (code: number) => finish({ ok: false, phase: "worker", error: `worker exited with ${code}` }, true);
      // Worker start-up (loading the charm through tsx) is not part of the hook's time.
      const timer = setTimeout(
        () => finish({ ok: false, phase: "worker", error: `hang: no answer in ${HANG_MS / 1000} s` }, true),
        HANG_MS + 15_000,
      );
      w.on("message", onMessage);
      w.on("error", onError);
      w.on("exit", onExit);
      w.postMessage(req);
    });
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

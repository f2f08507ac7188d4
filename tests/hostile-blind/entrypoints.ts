/**
 * The two black-box entry points a case goes through, each with its own time and memory
 * accounting:
 * 1. `prometheus-scrape render` as a child process with a 512 MB V8 heap, its wall time and peak
 *    RSS measured (GNU time, when installed). The command is bundled from the current sources
 *    once per test run by its own `--build`, into a scratch copy of the package, so that neither a
 *    stale dist/ nor TypeScript transpiling on every start skews the results;
 * 2. the charm in the state-transition harness, in a worker thread with a 768 MB heap limit, the
 *    hook's time measured inside the worker. A hung or exhausted worker is stopped and replaced.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { CaseState } from "./corpus.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const PACKAGE = `${ROOT}packages/interfaces`;
const GNU_TIME = "/usr/bin/time";

/** Heap of the render child (MB); running out of it is a crash. */
export const RENDER_HEAP_MB = 512;
/** Peak resident memory a render run may use (MB). */
export const RENDER_RSS_MB = 1024;
/** Heap of the harness worker (MB); running out of it is a crash. */
export const HARNESS_HEAP_MB = 768;
/** A run with no answer after this long is a hang. */
export const HANG_MS = 20_000;

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

/**
 * Bundles the command from the current sources into `dir` with the package's own
 * `bin/prometheus-scrape.cjs --build` (the bin is copied; src and node_modules are linked) and
 * returns the copied bin.
 */
export function buildRender(dir: string): string {
  mkdirSync(join(dir, "bin"), { recursive: true });
  const bin = join(dir, "bin", "prometheus-scrape.cjs");
  copyFileSync(join(PACKAGE, "bin", "prometheus-scrape.cjs"), bin);
  symlinkSync(join(PACKAGE, "src"), join(dir, "src"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const r = spawnSync(process.execPath, [bin, "--build"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`prometheus-scrape --build failed: ${r.stderr}`);
  return bin;
}

/** Runs `prometheus-scrape render --prometheus2 --compact --no-cache FILE` with the bin `bin`. */
export function runRender(bin: string, stateFile: string, rssFile: string): Promise<RenderRun> {
  const node = [process.execPath, `--max-old-space-size=${RENDER_HEAP_MB}`, bin];
  const args = ["render", "--prometheus2", "--compact", "--no-cache", stateFile];
  const withTime = existsSync(GNU_TIME);
  const argv = withTime ? [GNU_TIME, "-f", "%M", "-o", rssFile, ...node, ...args] : [...node, ...args];
  rmSync(rssFile, { force: true });
  return new Promise((resolve) => {
    const t0 = performance.now();
    const { PROMETHEUS_SCRAPE_FROM_SOURCE: _fromSource, ...env } = process.env;
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: ROOT,
      env,
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
      const onError = (e: Error) =>
        finish({ ok: false, phase: "worker", error: `worker died: ${e.message}` }, true);
      const onExit = (code: number) =>
        finish({ ok: false, phase: "worker", error: `worker exited with ${code}` }, true);
      // Worker start-up (loading the charm through tsx) is not part of the hook's time.
      const timer = setTimeout(
        () => finish({ ok: false, phase: "worker", error: `hang: no answer in ${HANG_MS / 1000} s` }, true),
        HANG_MS + 5_000,
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

/**
 * The host commands pods are built with (iproute2's `ip`, util-linux's `unshare`, `nsenter`,
 * `mount`/`umount`, bubblewrap's `bwrap`), run synchronously with their errors reported by name,
 * and a small cross-process lock for files several models share (the host's /etc/hosts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

/** A pod could not be set up or torn down; names the command and what it said. */
export class PodError extends Error {
  override name = "PodError";
}

/**
 * Runs a command (with `lines` on its stdin, for `ip -batch -`), returning its stdout; throws
 * PodError with its stderr when it fails.
 */
export function run(cmd: string, args: readonly string[], lines?: readonly string[]): string {
  try {
    return execFileSync(cmd, args, {
      encoding: "utf8",
      input: lines === undefined ? "" : `${lines.join("\n")}\n`,
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (e) {
    const x = e as { stderr?: string; message: string; code?: string };
    const why = x.code === "ENOENT" ? "not installed" : (x.stderr || x.message).trim();
    throw new PodError(`${cmd} ${args.join(" ")}${lines ? ` (${lines.join("; ")})` : ""}: ${why}`);
  }
}

/** Runs a command whose failure is expected when there is nothing to do (teardown). */
export function tryRun(cmd: string, args: readonly string[]): boolean {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

/** The absolute path of a host command, or undefined when it is not installed. */
export function which(cmd: string): string | undefined {
  for (const dir of ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"]) {
    const p = join(dir, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Pids of the processes in the network namespace bound at `nsPath` (compared by inode). */
export function pidsInNetns(nsPath: string): number[] {
  let ino: number;
  try {
    ino = statSync(nsPath).ino;
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const entry of readdirNumeric("/proc")) {
    try {
      if (statSync(`/proc/${entry}/ns/net`).ino === ino) out.push(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

function readdirNumeric(dir: string): number[] {
  return readdirSync(dir)
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/**
 * How long to wait for a live holder of the host lock. Holders do bounded work (a model's sweep,
 * bridge and overlay, or the teardown of all its pods), but each step spawns `ip`, `mount` or
 * `mknod`, and on a loaded machine a model of several pods takes well over 10 s to tear down.
 */
const HOST_LOCK_WAIT_MS = 120_000;

/**
 * Runs `fn` holding a lock shared by every charmkit process on this machine (a directory made
 * atomically; a lock left by a dead process is taken over).
 */
export function withHostLock<T>(lockDir: string, fn: () => T): T {
  const owner = join(lockDir, "owner");
  const deadline = Date.now() + HOST_LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(owner, "utf8"));
      } catch {
        // Being created or removed: look again.
      }
      // A holder that died, or died before writing its pid (seen as an old directory), is gone.
      const stale = Number.isNaN(holder) ? ageMs(lockDir) > 2000 : !alive(holder);
      if (stale) rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new PodError(`lock ${lockDir} is held by pid ${holder} (waited ${HOST_LOCK_WAIT_MS / 1000} s)`);
      sleepSync(20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Blocks the thread for `ms` (setup and teardown are synchronous). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Writes `content` into an existing file in place, so bind mounts of it see the new content. */
export function writeInPlace(path: string, content: string): void {
  const fd = openSync(path, "r+");
  try {
    const data = Buffer.from(content);
    writeSync(fd, data, 0, data.length, 0);
    ftruncateSync(fd, data.length);
  } finally {
    closeSync(fd);
  }
}

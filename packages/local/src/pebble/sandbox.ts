/**
 * The filesystem view of one container's processes.
 *
 * Several units share this machine, yet each charm writes and runs things at the same absolute
 * container paths (/etc/prometheus/prometheus.yml, /var/lib/prometheus). Every service, exec and
 * exec-check therefore runs in a private mount namespace (`unshare --mount --propagation private`)
 * where the unit's directories are bind-mounted over those paths. The rest of the host stays
 * visible (libraries, /etc/ssl, /etc/passwd, /usr/share/prometheus).
 *
 * The bind rule ({@link computeBinds}), evaluated each time a process starts:
 * - Walk `rootDir`. A directory whose container path is one of {@link SHARED_DIRS} (the FHS
 *   skeleton: /etc, /var/lib, /usr/local/share, ...) is shared with the host, so the walk descends
 *   into it. Any other directory is where the unit diverges from the host: it is bound whole
 *   (rootDir/etc/prometheus -> /etc/prometheus), hiding whatever the host has there.
 * - A regular file that sits directly in a shared directory is bound on its own.
 * - A missing mount point is created on the host (an empty directory or file), since a bind needs
 *   one. A host mount point that is a symlink is never bound over (it could redirect the bind
 *   onto a system directory); it is reported in `skipped`.
 * - Explicit `mounts` (storage) are bound last, so they win over the unit's own directories.
 *
 * Consequences: directories created under rootDir after a process started are only visible to it
 * if they lie inside a directory that was already bound; a file bound on its own is seen as of
 * process start when it is replaced by rename. The files API writes through {@link toHostPath}.
 */
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, statSync } from "node:fs";
import { posix } from "node:path";

/** Container directories shared with the host: the walk descends into them instead of binding. */
export const SHARED_DIRS: ReadonlySet<string> = new Set([
  "/",
  "/bin",
  "/sbin",
  "/lib",
  "/lib64",
  "/etc",
  "/home",
  "/opt",
  "/srv",
  "/usr",
  "/usr/bin",
  "/usr/sbin",
  "/usr/lib",
  "/usr/share",
  "/usr/local",
  "/usr/local/bin",
  "/usr/local/sbin",
  "/usr/local/lib",
  "/usr/local/share",
  "/var",
  "/var/lib",
  "/var/log",
  "/var/cache",
  "/run",
]);

/** A storage mount: container path -> host directory. */
export interface Mount {
  readonly containerPath: string;
  readonly hostPath: string;
}

/** One bind mount applied inside the namespace: `source` (host) over `target` (container path). */
export interface Bind {
  readonly source: string;
  readonly target: string;
}

/** The bind set of one process start. */
export interface BindPlan {
  readonly binds: readonly Bind[];
  /** Container paths that were not bound, with the reason. */
  readonly skipped: readonly { path: string; reason: string }[];
}

/** Isolation is not possible on this machine; the runtime refuses to share paths silently. */
export class IsolationError extends Error {
  override name = "IsolationError";
}

/** Rejects container paths that are relative or contain `..` segments; returns the clean path. */
export function cleanContainerPath(path: string): string {
  if (!path.startsWith("/")) throw new Error(`path must be absolute, got ${JSON.stringify(path)}`);
  if (path.split("/").includes("..")) throw new Error(`path must not contain "..": ${JSON.stringify(path)}`);
  return posix.normalize(path);
}

function within(path: string, dir: string): boolean {
  return dir === "/" || path === dir || path.startsWith(`${dir}/`);
}

/**
 * Maps a container path to the host path the files API reads and writes: under the longest
 * matching storage mount, else under rootDir.
 *
 * @throws Error for relative paths and `..` segments.
 */
export function toHostPath(rootDir: string, mounts: readonly Mount[], containerPath: string): string {
  const p = cleanContainerPath(containerPath);
  let best: Mount | undefined;
  for (const m of mounts) {
    if (within(p, m.containerPath) && (!best || m.containerPath.length > best.containerPath.length)) best = m;
  }
  if (best) return posix.join(best.hostPath, p.slice(best.containerPath.length));
  return posix.join(rootDir, p);
}

/**
 * Computes the bind set for a process start (see the file header for the rule). Pure apart from
 * reading the directory trees; it creates nothing.
 */
export function computeBinds(rootDir: string, mounts: readonly Mount[] = []): BindPlan {
  const binds: Bind[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const walk = (containerDir: string): void => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(posix.join(rootDir, containerDir), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const target = posix.join(containerDir, e.name);
      const source = posix.join(rootDir, target);
      if (e.isDirectory()) {
        if (SHARED_DIRS.has(target)) walk(target);
        else binds.push({ source, target });
      } else if (e.isFile()) {
        binds.push({ source, target });
      }
    }
  };
  walk("/");
  for (const m of [...mounts].sort((a, b) => a.containerPath.localeCompare(b.containerPath))) {
    binds.push({ source: m.hostPath, target: m.containerPath });
  }
  const safe: Bind[] = [];
  for (const b of binds) {
    const reason = unsafeTarget(b.target, safe);
    if (reason) skipped.push({ path: b.target, reason });
    else safe.push(b);
  }
  return { binds: safe, skipped };
}

function unsafeTarget(target: string, earlier: readonly Bind[]): string | undefined {
  // Only host mount points matter: a target inside an earlier bind lands in the unit's own tree.
  if (earlier.some((b) => within(target, b.target))) return undefined;
  try {
    if (lstatSync(target).isSymbolicLink()) return "the host path is a symlink";
  } catch {
    // Missing: it will be created as a mount point.
  }
  return undefined;
}

/** The host path a process would see at `containerPath`, given the binds applied before it. */
export function viewPath(binds: readonly Bind[], containerPath: string): string {
  let best: Bind | undefined;
  for (const b of binds) {
    if (within(containerPath, b.target) && (!best || b.target.length >= best.target.length)) best = b;
  }
  if (!best) return containerPath;
  return posix.join(best.source, containerPath.slice(best.target.length));
}

/** Creates missing mount points (empty dirs or files), in the view each bind is applied to. */
export function prepareMountPoints(binds: readonly Bind[]): void {
  for (const [i, b] of binds.entries()) {
    const point = viewPath(binds.slice(0, i), b.target);
    if (existsSync(point)) continue;
    const isDir = statSync(b.source).isDirectory();
    if (isDir) {
      mkdirSync(point, { recursive: true });
    } else {
      mkdirSync(posix.dirname(point), { recursive: true });
      closeSync(openSync(point, "a"));
    }
  }
}

let probe: Promise<void> | undefined;

/**
 * Checks once per process that private mount namespaces work here.
 *
 * @throws IsolationError naming what failed and why.
 */
export function ensureIsolation(): Promise<void> {
  probe ??= new Promise<void>((resolve, reject) => {
    const r = spawnSync("unshare", ["--mount", "--propagation", "private", "true"], { encoding: "utf8" });
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : (r.stderr || `exit code ${r.status}`).trim();
      reject(
        new IsolationError(
          `cannot run workload processes in a private mount namespace (unshare --mount: ${why}); ` +
            "the local runtime needs root (or CAP_SYS_ADMIN) and util-linux unshare so that units do not share paths",
        ),
      );
      return;
    }
    resolve();
  });
  return probe;
}

/** Exit status the wrapper uses when it cannot set up the namespace or working directory. */
export const SETUP_FAILED_EXIT = 125;

// $1 = bind count, then source/target pairs, then the working dir, then the command. Everything
// is passed as positional arguments so no path is ever re-parsed by the shell.
const WRAPPER = `n=$1; shift
while [ "$n" -gt 0 ]; do
  mount --bind "$1" "$2" || { echo "pebble: cannot bind $1 over $2" >&2; exit ${SETUP_FAILED_EXIT}; }
  shift 2; n=$((n-1))
done
cd "$1" 2>/dev/null || { echo "pebble: cannot change to working directory $1" >&2; exit ${SETUP_FAILED_EXIT}; }
shift
exec "$@"`;

/** What to run inside the namespace. */
export interface IsolatedCommand {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Working directory as a container path. */
  readonly cwd: string;
  readonly binds: readonly Bind[];
  /** Drop to this identity after mounting (mounting needs root). */
  readonly identity?: { uid: number; gid: number; name: string | undefined } | undefined;
  readonly stdio?: SpawnOptions["stdio"];
  /**
   * A command prefix that enters other namespaces first (the local runtime's pods: `nsenter
   * --net=... --uts=... --`), so the container shares its pod's network and host name.
   */
  readonly enter?: readonly string[] | undefined;
}

/**
 * Spawns a command in its own mount namespace and process group. The child's PID is the command's
 * own PID (unshare and sh both exec), so signals reach it directly; kill the group with `-pid`.
 */
export function spawnIsolated(cmd: IsolatedCommand): ChildProcess {
  prepareMountPoints(cmd.binds);
  const args = ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", WRAPPER, "sh"];
  args.push(String(cmd.binds.length));
  for (const b of cmd.binds) args.push(b.source, b.target);
  args.push(cmd.cwd);
  if (cmd.identity) {
    const groups = cmd.identity.name ? "--init-groups" : "--clear-groups";
    args.push("setpriv", `--reuid=${cmd.identity.uid}`, `--regid=${cmd.identity.gid}`, groups, "--");
  }
  args.push(...cmd.argv);
  const [first = "unshare", ...rest] = [...(cmd.enter ?? []), "unshare", ...args];
  return spawn(first, rest, {
    env: { ...cmd.env },
    stdio: cmd.stdio ?? ["ignore", "pipe", "pipe"],
    detached: true,
  });
}

/**
 * Finds an executable the way Go's exec.LookPath would inside the namespace: names with a slash
 * are taken as paths, others are searched in PATH. Returns the container path, or undefined.
 */
export function lookPath(
  name: string,
  path: string,
  binds: readonly Bind[],
  cwd: string,
): string | undefined {
  const candidates = name.includes("/")
    ? [posix.resolve(cwd, name)]
    : path
        .split(":")
        .filter(Boolean)
        .map((d) => posix.join(d, name));
  for (const c of candidates) {
    try {
      const st = statSync(viewPath(binds, c));
      if (st.isFile() && (st.mode & 0o111) !== 0) return c;
    } catch {
      // Not there; try the next.
    }
  }
  return undefined;
}

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
 *   one; {@link removeCreatedMountPoints} removes them again when the model goes down (the tester
 *   charms' /etc/<name> and /var/lib/<name> stayed behind). A host mount point that is a symlink is never bound over (it could redirect the bind
 *   onto a system directory); it is reported in `skipped`.
 * - Explicit `mounts` (storage) are bound last, so they win over the unit's own directories.
 *
 * Consequences: directories created under rootDir after a process started are only visible to it
 * if they lie inside a directory that was already bound; a file bound on its own is seen as of
 * process start when it is replaced by rename. The files API writes through {@link toHostPath}.
 */
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  unlinkSync,
} from "node:fs";
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

/** Host paths this process created as mount points, with the directories made to hold them. */
const createdOnHost = new Set<string>();

/** Records `path` and its missing ancestors as created on the host when it lies outside every bind. */
function noteCreated(binds: readonly Bind[], path: string): void {
  if (binds.some((b) => within(path, b.target))) return;
  for (let p = path; p !== "/" && !existsSync(p); p = posix.dirname(p)) createdOnHost.add(p);
}

/** Creates missing mount points (empty dirs or files), in the view each bind is applied to. */
export function prepareMountPoints(binds: readonly Bind[]): void {
  for (const [i, b] of binds.entries()) {
    const earlier = binds.slice(0, i);
    const point = viewPath(earlier, b.target);
    if (existsSync(point)) continue;
    noteCreated(earlier, b.target);
    const isDir = statSync(b.source).isDirectory();
    if (isDir) {
      mkdirSync(point, { recursive: true });
    } else {
      mkdirSync(posix.dirname(point), { recursive: true });
      closeSync(openSync(point, "a"));
    }
  }
}

/** Every mount point of every process's mount namespace (from /proc/<pid>/mountinfo). */
function mountPointsInUse(): Set<string> {
  const out = new Set<string>();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/mountinfo`, "utf8");
    } catch {
      continue;
    }
    // Field 5 is the mount point, with space, tab, newline and backslash octal-escaped.
    for (const line of text.split("\n")) {
      const field = line.split(" ")[4];
      if (field)
        out.add(field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))));
    }
  }
  return out;
}

/**
 * Removes the mount points {@link prepareMountPoints} created on the host, deepest first, once the
 * processes that used them have stopped. Only what is still empty goes, and nothing that any
 * process (another model's, say) still has a mount on: removing a mount point on the host detaches
 * the mounts on it in every other namespace. Returns the paths removed.
 */
export function removeCreatedMountPoints(): string[] {
  const inUse = mountPointsInUse();
  const removed: string[] = [];
  for (const p of [...createdOnHost].sort((a, b) => b.length - a.length)) {
    if (inUse.has(p)) continue;
    try {
      const st = lstatSync(p);
      if (st.isDirectory()) rmdirSync(p);
      else if (st.isFile() && st.size === 0) unlinkSync(p);
      else continue;
      removed.push(p);
      createdOnHost.delete(p);
    } catch {
      // Not empty (someone put files there), or already gone: leave it.
    }
  }
  return removed;
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

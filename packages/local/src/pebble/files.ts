/**
 * The files API over a container's filesystem root: read (multipart reply), write (multipart
 * request), list (fileinfo), make-dirs and remove. Every path is a CONTAINER path mapped under
 * `rootDir` (or a storage mount) by `toHostPath`; `..` segments and symlinks leading outside are
 * refused. Failures for one path come back inside the 200 result, with Pebble's kinds; error
 * messages name container paths only, never the host location.
 */
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  type Dirent,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { posix } from "node:path";
import { encodeMultipart, multipartContentType, newBoundary, type Part } from "@charmkit/ops/internal";
import { ApiError, badRequest, notFound, syncBody } from "./envelope.js";
import { cleanContainerPath, type Mount, toHostPath } from "./sandbox.js";
import { resolveIdentity } from "./users.js";

/** A per-path error as Pebble reports it. */
export interface PathError {
  kind: "not-found" | "permission-denied" | "generic-file-error";
  message: string;
}

/** One entry of a per-path result list. */
export interface PathResult {
  path: string;
  error?: PathError;
}

/** Pebble's fileinfo. */
export interface FileInfo {
  path: string;
  name: string;
  type: "file" | "directory" | "symlink" | "socket" | "named-pipe" | "device" | "unknown";
  size?: number;
  permissions: string;
  "last-modified": string;
  "user-id": number;
  user: string;
  "group-id": number;
  group: string;
}

class PathFailure extends Error {
  constructor(readonly detail: PathError) {
    super(detail.message);
  }
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EEXIST: "file exists",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  ENOTEMPTY: "directory not empty",
};

function fail(op: string, path: string, e: unknown): PathFailure {
  if (e instanceof PathFailure) return e;
  const code = (e as NodeJS.ErrnoException).code ?? "";
  const text = ERRNO_TEXT[code] ?? (e as Error).message;
  const kind: PathError["kind"] =
    code === "ENOENT"
      ? "not-found"
      : code === "EACCES" || code === "EPERM"
        ? "permission-denied"
        : "generic-file-error";
  return new PathFailure({ kind, message: `${op} ${path}: ${text}` });
}

function parsePerm(text: unknown, fallback: number): number {
  if (text === undefined || text === null || text === "") return fallback;
  if (typeof text !== "string" || !/^[0-7]{3,4}$/.test(text)) {
    throw new PathFailure({
      kind: "generic-file-error",
      message: `invalid permissions ${JSON.stringify(text)}`,
    });
  }
  return Number.parseInt(text, 8);
}

interface Ownership {
  "user-id"?: number;
  user?: string;
  "group-id"?: number;
  group?: string;
}

function ownerOf(o: Ownership): { uid: number; gid: number } | undefined {
  try {
    return resolveIdentity({ user: o.user, userId: o["user-id"], group: o.group, groupId: o["group-id"] });
  } catch (e) {
    throw new PathFailure({ kind: "generic-file-error", message: (e as Error).message });
  }
}

function nameTable(path: string): Map<number, string> {
  const out = new Map<number, string>();
  try {
    for (const line of readFileSync(path, "utf8").split("\n")) {
      const f = line.split(":");
      if (f.length > 2) out.set(Number(f[2]), f[0] ?? "");
    }
  } catch {
    // Names are optional in fileinfo.
  }
  return out;
}

/** The files API of one container. */
export class FilesApi {
  readonly #rootDir: string;
  readonly #mounts: readonly Mount[];

  constructor(rootDir: string, mounts: readonly Mount[]) {
    this.#rootDir = rootDir;
    this.#mounts = mounts;
  }

  /** Maps a container path, refusing `..` and symlinks that lead outside the container. */
  #host(path: string): string {
    let clean: string;
    try {
      clean = cleanContainerPath(path);
    } catch (e) {
      throw new PathFailure({ kind: "generic-file-error", message: (e as Error).message });
    }
    const host = toHostPath(this.#rootDir, this.#mounts, clean);
    // The deepest existing ancestor must resolve inside one of the allowed roots.
    let probe = host;
    for (;;) {
      try {
        const real = realpathSync(probe);
        const roots = [this.#rootDir, ...this.#mounts.map((m) => m.hostPath)].map((r) => {
          try {
            return realpathSync(r);
          } catch {
            return r;
          }
        });
        if (!roots.some((r) => real === r || real.startsWith(`${r}/`))) {
          throw new PathFailure({
            kind: "permission-denied",
            message: `${clean}: path leads outside the container`,
          });
        }
        return host;
      } catch (e) {
        if (e instanceof PathFailure) throw e;
        const parent = posix.dirname(probe);
        if (parent === probe) return host;
        probe = parent;
      }
    }
  }

  /** Runs `fn` per path and collects Pebble's per-path results. */
  #each<T extends { path?: unknown }>(
    items: readonly T[],
    fn: (item: T, path: string) => void,
  ): PathResult[] {
    return items.map((item) => {
      const path = typeof item.path === "string" ? item.path : "";
      try {
        fn(item, path);
        return { path };
      } catch (e) {
        const f = e instanceof PathFailure ? e : fail("error", path, e);
        return { path, error: f.detail };
      }
    });
  }

  /**
   * `GET /v1/files?action=read`: a multipart body with one `files` part per readable path and the
   * `response` part last.
   */
  read(paths: readonly string[]): { body: Buffer; contentType: string } {
    if (!paths.length) throw badRequest("must specify at least one path");
    const parts: Part[] = [];
    const results = this.#each(
      paths.map((path) => ({ path })),
      (_item, path) => {
        const host = this.#host(path);
        let st: Stats;
        try {
          st = statSync(host);
        } catch (e) {
          throw fail("stat", path, e);
        }
        if (!st.isFile()) {
          throw new PathFailure({
            kind: "generic-file-error",
            message: `can only read a regular file: "${path}"`,
          });
        }
        let data: Buffer;
        try {
          data = readFileSync(host);
        } catch (e) {
          throw fail("open", path, e);
        }
        parts.push({ name: "files", filename: path, contentType: "application/octet-stream", body: data });
      },
    );
    parts.push({
      name: "response",
      filename: undefined,
      contentType: "application/json",
      body: Buffer.from(JSON.stringify(syncBody(results))),
    });
    const boundary = newBoundary();
    return { body: encodeMultipart(boundary, parts), contentType: multipartContentType(boundary) };
  }

  /**
   * `GET /v1/files?action=list`.
   *
   * @throws ApiError 404 `not-found` when the path is missing, 400 for a bad path or pattern.
   */
  list(path: string, pattern: string | undefined, itself: boolean): FileInfo[] {
    let host: string;
    try {
      host = this.#host(path);
    } catch (e) {
      throw badRequest((e as Error).message);
    }
    // api_files.go listFiles: os.Stat follows a symlink at the path itself, so a link to a
    // directory lists the directory; errors map to 404, 403 or 400 (fileErrorToStatus).
    let st: Stats;
    try {
      st = statSync(host);
    } catch (e) {
      const f = fail("stat", path, e);
      if (f.detail.kind === "not-found") throw notFound(f.message);
      throw new ApiError(f.detail.kind === "permission-denied" ? 403 : 400, f.message, f.detail.kind);
    }
    const users = nameTable("/etc/passwd");
    const groups = nameTable("/etc/group");
    const clean = cleanContainerPath(path);
    if (itself || !st.isDirectory()) return [fileInfo(clean, st, users, groups)];
    const matcher = pattern ? globToRegExp(pattern) : undefined;
    let entries: Dirent[];
    try {
      entries = readdirSync(host, { withFileTypes: true });
    } catch (e) {
      const f = fail("open", path, e);
      throw new ApiError(f.detail.kind === "permission-denied" ? 403 : 400, f.message, f.detail.kind);
    }
    return entries
      .map((e) => e.name)
      .filter((n) => !matcher || matcher.test(n))
      .sort()
      .flatMap((name) => {
        try {
          return [fileInfo(posix.join(clean, name), lstatSync(posix.join(host, name)), users, groups)];
        } catch {
          return [];
        }
      });
  }

  /** `POST /v1/files` with `make-dirs`. */
  makeDirs(
    dirs: readonly (Ownership & { path?: unknown; "make-parents"?: boolean; permissions?: string })[],
  ) {
    return this.#each(dirs, (d, path) => {
      const host = this.#host(path);
      const mode = parsePerm(d.permissions, 0o755);
      const owner = ownerOf(d);
      try {
        if (d["make-parents"]) {
          const created = mkdirSync(host, { recursive: true, mode });
          if (created === undefined && !statSync(host).isDirectory())
            throw Object.assign(new Error(), { code: "EEXIST" });
        } else {
          mkdirSync(host, { mode });
        }
        chmodSync(host, mode);
        if (owner) chownSync(host, owner.uid, owner.gid);
      } catch (e) {
        throw fail("mkdir", path, e);
      }
    });
  }

  /** `POST /v1/files` with `remove`. */
  remove(paths: readonly { path?: unknown; recursive?: boolean }[]) {
    return this.#each(paths, (p, path) => {
      const host = this.#host(path);
      if (cleanContainerPath(path) === "/") {
        throw new PathFailure({ kind: "generic-file-error", message: "cannot remove the container root" });
      }
      try {
        // api_files.go removePath: a recursive remove is os.RemoveAll, which succeeds when the
        // path does not exist.
        if (p.recursive) {
          rmSync(host, { recursive: true, force: true });
          return;
        }
        const st = lstatSync(host);
        if (st.isDirectory()) rmSync(host, { recursive: false });
        else unlinkSync(host);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ERR_FS_EISDIR" || code === "EISDIR") {
          // rmSync refuses directories without recursive; fall back to rmdir semantics.
          try {
            rmdirStrict(host);
            return;
          } catch (inner) {
            throw fail("remove", path, inner);
          }
        }
        throw fail("remove", path, e);
      }
    });
  }

  /** `POST /v1/files` multipart `write`: the request lists the files, parts carry the bytes. */
  write(
    files: readonly (Ownership & { path?: unknown; "make-dirs"?: boolean; permissions?: string })[],
    parts: readonly Part[],
  ): PathResult[] {
    const content = new Map<string, Buffer>();
    for (const p of parts)
      if (p.name === "files" && p.filename !== undefined) content.set(p.filename, p.body);
    return this.#each(files, (f, path) => {
      const data = content.get(path);
      if (data === undefined) {
        throw new PathFailure({ kind: "generic-file-error", message: `no file content for path "${path}"` });
      }
      const host = this.#host(path);
      const mode = parsePerm(f.permissions, 0o644);
      const owner = ownerOf(f);
      const dir = posix.dirname(host);
      try {
        if (f["make-dirs"]) mkdirSync(dir, { recursive: true, mode: 0o755 });
        // Write then rename so a reader (e.g. Prometheus reloading) never sees a half-written file.
        const tmp = posix.join(dir, `.pebble-tmp-${posix.basename(host)}-${randomBytes(4).toString("hex")}`);
        writeFileSync(tmp, data, { mode });
        try {
          chmodSync(tmp, mode);
          if (owner) chownSync(tmp, owner.uid, owner.gid);
          renameSync(tmp, host);
        } catch (e) {
          rmSync(tmp, { force: true });
          throw e;
        }
      } catch (e) {
        throw fail("open", path, e);
      }
    });
  }
}

function rmdirStrict(host: string): void {
  if (readdirSync(host).length) throw Object.assign(new Error(), { code: "ENOTEMPTY" });
  rmSync(host, { recursive: true });
}

function fileInfo(
  path: string,
  st: Stats,
  users: Map<number, string>,
  groups: Map<number, string>,
): FileInfo {
  const type: FileInfo["type"] = st.isFile()
    ? "file"
    : st.isDirectory()
      ? "directory"
      : st.isSymbolicLink()
        ? "symlink"
        : st.isSocket()
          ? "socket"
          : st.isFIFO()
            ? "named-pipe"
            : st.isBlockDevice() || st.isCharacterDevice()
              ? "device"
              : "unknown";
  const info: FileInfo = {
    path,
    name: path === "/" ? "/" : posix.basename(path),
    type,
    permissions: (st.mode & 0o777).toString(8).padStart(3, "0"),
    "last-modified": st.mtime.toISOString(),
    "user-id": st.uid,
    user: users.get(st.uid) ?? "",
    "group-id": st.gid,
    group: groups.get(st.gid) ?? "",
  };
  if (type === "file") info.size = st.size;
  return info;
}

/**
 * Converts a Go `filepath.Match` pattern (`*`, `?`, `[...]`, `\` escapes) to a RegExp.
 *
 * @throws ApiError 400 on a malformed pattern.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\") {
      const n = pattern[++i];
      if (n === undefined) throw badRequest(`syntax error in pattern ${JSON.stringify(pattern)}`);
      re += n.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) throw badRequest(`syntax error in pattern ${JSON.stringify(pattern)}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith("^")) cls = `!${cls.slice(1)}`;
      re += cls.startsWith("!")
        ? `[^${cls.slice(1).replace(/\\/g, "\\\\")}]`
        : `[${cls.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`${re}$`);
}

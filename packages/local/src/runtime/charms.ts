/**
 * Putting a charm on disk for deployment, as Juju does with a packed charm: a `.charm` is unpacked
 * with its unix modes (`@charmkit/build`'s `unpackCharm`). A TypeScript charm directory (one with
 * `src/charm.ts`) is packed first with `packCharm`, self-contained Node included, so it runs in a
 * pod exactly as its `.charm` would; a charm directory with its own `dispatch` (a shell or Python
 * charm) is used as it is. Unpacked charms are cached by content under the user's cache
 * directory, so deploying the same artifact again costs a hash, and every unit gets its own
 * directory of hard links to them ({@link linkTree}).
 */
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
} from "node:fs";
import { join } from "node:path";
import { defaultCacheDir, packCharm, unpackCharm } from "@charmkit/build/pack";
import { ControllerError } from "./errors.js";

/** How many unpacked charms the cache keeps (the least recently used go first). */
const UNPACKED_KEPT = 24;

/** Where unpacked `.charm` files are cached. */
export function unpackedCacheDir(): string {
  return join(defaultCacheDir(), "unpacked");
}

/** Whether `path` names a packed charm rather than a charm directory. */
export function isPackedCharm(path: string): boolean {
  return path.endsWith(".charm");
}

async function sha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/**
 * The unpacked tree of a `.charm`, from the cache when this content was unpacked before.
 * @throws ControllerError naming the file when it cannot be read or is not a charm archive
 */
export async function unpackedCharm(file: string): Promise<string> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new ControllerError(`charm ${file} not found`);
  const dir = join(unpackedCacheDir(), await sha256(file));
  if (existsSync(dir)) {
    const now = new Date();
    utimesSync(dir, now, now);
    return dir;
  }
  const tmp = `${dir}.tmp${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    await unpackCharm(file, tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new ControllerError(`cannot unpack charm ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // Another process unpacked the same content meanwhile: use theirs.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) throw e;
  }
  pruneUnpacked();
  return dir;
}

function pruneUnpacked(): void {
  const root = unpackedCacheDir();
  const entries = readdirSync(root)
    .filter((n) => /^[0-9a-f]{64}$/.test(n))
    .map((n) => ({ n, t: statSync(join(root, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const e of entries.slice(UNPACKED_KEPT)) rmSync(join(root, e.n), { recursive: true, force: true });
}

/**
 * Makes `dest` the deployable tree of the charm at `src` (a `.charm` file or a charm directory);
 * `packDir` holds the `.charm` files packed from TypeScript charm directories.
 */
export async function prepareCharm(src: string, dest: string, packDir: string): Promise<void> {
  rmSync(dest, { recursive: true, force: true });
  if (isPackedCharm(src)) {
    linkTree(await unpackedCharm(src), dest);
  } else if (existsSync(join(src, "src", "charm.ts"))) {
    let packed: string;
    try {
      packed = (await packCharm({ charmDir: src, outDir: packDir })).charm;
    } catch (e) {
      throw new ControllerError(`cannot pack charm ${src}: ${(e as Error).message}`, { cause: e });
    }
    linkTree(await unpackedCharm(packed), dest);
  } else {
    mkdirSync(dest, { recursive: true });
    const skip = new Set(["node_modules", ".git", "dist", "tests", ".charmkit", "staged"]);
    cpSync(src, dest, {
      recursive: true,
      filter: (s) => {
        const base = s.slice(src.length + 1).split("/")[0] ?? "";
        return !skip.has(base) && !s.endsWith(".test.ts") && !s.endsWith(".unit-state.json");
      },
    });
  }
  if (!existsSync(join(dest, "dispatch")))
    throw new ControllerError(`charm ${src} has no dispatch (nor src/charm.ts to pack it from)`);
  if ((statSync(join(dest, "dispatch")).mode & 0o111) === 0)
    throw new ControllerError(`charm ${src}: dispatch is not executable`);
}

/** Files at least this big are hard-linked instead of copied (in practice: the Node runtime). */
const LINK_FROM_BYTES = 1 << 20;

/**
 * Gives `dest` a copy of the tree of `src`, with its big files hard-linked (copied across
 * filesystems), so that every unit has its own charm directory without a copy of the charm's Node
 * runtime each. A charm rewriting one of its small files in place changes its own copy only; the
 * big ones (Node) are never written.
 */
export function linkTree(src: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const from = join(src, e.name);
    const to = join(dest, e.name);
    if (e.isDirectory()) {
      linkTree(from, to);
      continue;
    }
    if (e.isSymbolicLink()) {
      symlinkSync(readlinkSync(from), to);
      continue;
    }
    const st = statSync(from);
    if (st.size >= LINK_FROM_BYTES && hardLink(from, to)) continue;
    copyFileSync(from, to);
    chmodSync(to, st.mode & 0o7777);
  }
}

/** Hard-links `from` at `to`; false when they are on different filesystems. */
function hardLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EXDEV") return false;
    throw err;
  }
}

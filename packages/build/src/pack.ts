/**
 * `packCharm`: a TypeScript charm directory to a `.charm` in charmcraft's layout. It stages the
 * prime tree in `<charmDir>/dist/<arch>/` (the bundle and its code-cache loader, `dispatch`, the
 * generated `metadata.yaml`/`config.yaml`/`actions.yaml`, `manifest.yaml`, the charm's content
 * directories such as `alert_rules/`, and the pinned official Node runtime at `node/bin/node`),
 * then zips that tree with its unix modes into `<name>_<base>-<arch>.charm`. charmcraft.yaml's
 * part dumps the same staged tree, so `charmcraft pack` and `npm run pack` ship the same files.
 */
import {
  copyFileSync,
  createWriteStream,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { join, relative, resolve } from "node:path";
import { MetadataError } from "@charmkit/ops";
import { parse, stringify } from "yaml";
import { ZipFile } from "yazl";
import { bundleCharm, LAZY_DIR, PACKED_NODE } from "./bundle.js";
import { WEB_DIR } from "./web.js";
import { WORKLOAD_DIR, workloadEntries } from "./workload.js";
import { type Arch, ARCHES, defaultCacheDir, NODE_RUNTIMES, nodeRuntime } from "./node-runtime.js";

export { type Arch, ARCHES, defaultCacheDir, NODE_RUNTIMES, NodeRuntimeError } from "./node-runtime.js";

/** Options of {@link packCharm}. */
export interface PackOptions {
  /** The charm's source directory (charmcraft.yaml, src/charm.ts, content directories). */
  readonly charmDir: string;
  /** Target architecture (default amd64). */
  readonly arch?: Arch | undefined;
  /** Where the `.charm` goes (created if missing). */
  readonly outDir: string;
  /** Where fetched Node runtimes and the last zip of each charm are cached (default `~/.cache/charmkit`). */
  readonly cacheDir?: string | undefined;
  /** Progress lines (fetching the runtime). */
  readonly log?: ((line: string) => void) | undefined;
}

/** What {@link packCharm} wrote. */
export interface PackResult {
  /** The `.charm` file. */
  readonly charm: string;
  /** The staged prime tree it was zipped from (`<charmDir>/dist/<arch>`). */
  readonly staged: string;
  /** Paths inside the zip, sorted. */
  readonly entries: readonly string[];
  /** Size of the `.charm` in bytes. */
  readonly bytes: number;
}

/**
 * The directory, inside a charm directory, that holds staged prime trees: `dist`, which git,
 * the linter, the test runner and the local runtime's charm copy already leave out.
 */
export const STAGED_DIR = "dist";

/**
 * Top-level entries of a charm directory that are sources or tooling, not charm content. Every
 * other entry (alert_rules/, grafana_dashboards/...) is packed as it is, save the output directories
 * of the build (web/, lazy/, and workload/ for a charm listing `charmkit.workload` scripts).
 */
const NOT_PACKED = new Set([
  "src",
  "tests",
  "testdata",
  "node_modules",
  STAGED_DIR,
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "charmcraft.yaml",
  "README.md",
]);

/** Files `npm run build` writes for the local runtime that a packed charm does not carry. */
const BUILD_ONLY = ["charmcraft.yaml"];

/** Fixed entry time: the same sources give a byte-identical `.charm`. */
const ZIP_MTIME = new Date("2000-01-01T00:00:00Z");

function isArch(a: unknown): a is Arch {
  return typeof a === "string" && (ARCHES as readonly string[]).includes(a);
}

/** `base: ubuntu@24.04` → the manifest's base entry and the file name's `ubuntu@24.04`. */
function baseOf(ccPath: string, cc: Readonly<Record<string, unknown>>): { name: string; channel: string } {
  const base = cc.base;
  const m = typeof base === "string" ? /^([a-z]+)@([0-9.]+)$/.exec(base) : null;
  if (!m?.[1] || !m[2])
    throw new MetadataError(ccPath, `"base" must be like "ubuntu@24.04", got ${JSON.stringify(base)}`);
  return { name: m[1], channel: m[2] };
}

/** Platform names the charm declares (`platforms: {amd64:, arm64:}`); undefined when it declares none. */
function platformsOf(cc: Readonly<Record<string, unknown>>): string[] | undefined {
  const p = cc.platforms;
  return p !== null && typeof p === "object" ? Object.keys(p) : undefined;
}

/** Copies `src` to `dest`, hard-linking when both are on one filesystem (the Node binary is big). */
function place(src: string, dest: string): void {
  try {
    linkSync(src, dest);
  } catch {
    copyFileSync(src, dest);
  }
}

/** Copies a content directory or file, refusing symlinks (a zip entry cannot carry them faithfully). */
function copyTree(src: string, dest: string): void {
  const st = lstatSync(src);
  if (st.isSymbolicLink()) throw new Error(`${src}: symlinks are not packed; copy the file instead`);
  if (st.isDirectory()) {
    mkdirSync(dest, { recursive: true, mode: st.mode & 0o777 });
    for (const e of readdirSync(src).sort()) copyTree(join(src, e), join(dest, e));
    return;
  }
  copyFileSync(src, dest);
}

/** Every regular file under `dir`, as sorted relative paths. */
function walk(dir: string, base = dir, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, base, out);
    else if (e.isFile()) out.push(relative(base, p));
    else throw new Error(`${p}: only regular files and directories can be packed`);
  }
  return out;
}

/**
 * A digest of everything the zip of `dir` depends on: each entry's path, mode and bytes, except
 * the Node binary, which stands in as its pinned integrity (hashing 120 MB would cost a second).
 */
function treeDigest(dir: string, entries: readonly string[], arch: Arch): string {
  const h = createHash("sha256");
  h.update(`charmkit-pack/1\0${NODE_RUNTIMES[arch].integrity}\0`);
  for (const name of entries) {
    const mode = lstatSync(join(dir, name)).mode;
    h.update(`${name}\0${mode}\0`);
    if (name !== PACKED_NODE) h.update(readFileSync(join(dir, name)));
  }
  return h.digest("hex");
}

/**
 * Reuses the zip of an identical staged tree: deflating the Node binary is most of a pack's time,
 * and most packs change nothing. One zip per charm and architecture is kept in the cache.
 */
async function zipCached(
  staged: string,
  charm: string,
  cacheDir: string,
  key: string,
  arch: Arch,
): Promise<string[]> {
  const entries = walk(staged);
  const digest = treeDigest(staged, entries, arch);
  const dir = join(cacheDir, "charms");
  const cached = join(dir, `${key}.${digest}.zip`);
  try {
    copyFileSync(cached, `${charm}.tmp`);
    renameSync(`${charm}.tmp`, charm);
    return entries;
  } catch {
    // Not cached yet: zip below.
  }
  await zipTree(staged, entries, charm);
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) if (old.startsWith(`${key}.`)) rmSync(join(dir, old), { force: true });
  copyFileSync(charm, `${cached}.tmp`);
  renameSync(`${cached}.tmp`, cached);
  return entries;
}

/** Zips `dir` into `file` with each entry's unix mode, deflated, in sorted order. */
function zipTree(dir: string, entries: readonly string[], file: string): Promise<void> {
  const zip = new ZipFile();
  for (const name of entries) {
    const st = lstatSync(join(dir, name));
    zip.addFile(join(dir, name), name, { mtime: ZIP_MTIME, mode: st.mode, compress: true });
  }
  zip.end();
  // Written beside the target and renamed, so a failed pack never leaves a truncated .charm.
  const tmp = `${file}.tmp`;
  return new Promise<void>((resolvePromise, reject) => {
    const out = createWriteStream(tmp);
    out.on("error", reject);
    zip.outputStream.on("error", reject);
    out.on("close", () => {
      try {
        renameSync(tmp, file);
        resolvePromise();
      } catch (e) {
        reject(e);
      }
    });
    zip.outputStream.pipe(out);
  });
}

/**
 * Stages and zips one charm for one architecture.
 *
 * @example
 * const r = await packCharm({ charmDir: "charms/prometheus-k8s", outDir: "dist" });
 * // r.charm === "dist/prometheus-k8s_ubuntu@24.04-amd64.charm"
 */
export async function packCharm(opts: PackOptions): Promise<PackResult> {
  const charmDir = resolve(opts.charmDir);
  const arch = opts.arch ?? "amd64";
  if (!isArch(arch)) throw new Error(`unknown architecture "${String(arch)}"; one of ${ARCHES.join(", ")}`);
  const ccPath = join(charmDir, "charmcraft.yaml");
  const cc = parse(readFileSync(ccPath, "utf8")) as Record<string, unknown>;
  const name = typeof cc.name === "string" ? cc.name : "";
  if (!/^[a-z][a-z0-9-]*$/.test(name))
    throw new MetadataError(ccPath, `"name" must be a charm name, got ${JSON.stringify(cc.name)}`);
  const base = baseOf(ccPath, cc);
  const platforms = platformsOf(cc);
  if (platforms && !platforms.includes(arch)) {
    throw new MetadataError(ccPath, `"platforms" does not list ${arch} (it lists ${platforms.join(", ")})`);
  }
  // Fetch (or find) the runtime first: a pack that cannot get Node fails before writing anything.
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const runtime = nodeRuntime(arch, { cacheDir, log: opts.log });

  const staged = join(charmDir, STAGED_DIR, arch);
  rmSync(staged, { recursive: true, force: true });
  await bundleCharm({ charmDir, outDir: staged });
  for (const f of BUILD_ONLY) rmSync(join(staged, f), { force: true });
  for (const e of readdirSync(charmDir).sort()) {
    if (NOT_PACKED.has(e) || e.startsWith(".") || e.endsWith(".charm")) continue;
    if (e === WEB_DIR) {
      throw new MetadataError(
        join(charmDir, e),
        `the charm's browser bundles go in ${WEB_DIR}/; rename this directory`,
      );
    }
    if (e === LAZY_DIR) {
      throw new MetadataError(
        join(charmDir, e),
        `the bundle's split-off packages go in ${LAZY_DIR}/; rename this directory`,
      );
    }
    if (e === WORKLOAD_DIR && workloadEntries(charmDir).length > 0) {
      throw new MetadataError(
        join(charmDir, e),
        `the charm's bundled workload scripts (charmkit.workload) go in ${WORKLOAD_DIR}/; move these files under src/ and list them there`,
      );
    }
    copyTree(join(charmDir, e), join(staged, e));
  }
  const manifest = {
    bases: [{ name: base.name, channel: base.channel, architectures: [arch] }],
  };
  writeFileSync(join(staged, "manifest.yaml"), stringify(manifest));
  mkdirSync(join(staged, PACKED_NODE, ".."), { recursive: true });
  place(runtime.node, join(staged, PACKED_NODE));
  place(runtime.license, join(staged, "node", "LICENSE"));

  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const charm = join(outDir, `${name}_${base.name}@${base.channel}-${arch}.charm`);
  const entries = await zipCached(staged, charm, cacheDir, `${name}_${arch}`, arch);
  return { charm, staged, entries, bytes: lstatSync(charm).size };
}

/**
 * Unpacks a `.charm` into `dir` as Juju does: every entry at its path with its unix mode (the
 * `dispatch` and `node/bin/node` executables stay executable). Entries that would land outside
 * `dir` or that are not regular files or directories are refused.
 */
export async function unpackCharm(file: string, dir: string): Promise<string[]> {
  const { open } = await import("yauzl");
  const target = resolve(dir);
  mkdirSync(target, { recursive: true });
  const zip = await new Promise<import("yauzl").ZipFile>((ok, fail) =>
    open(file, { lazyEntries: true, strictFileNames: true }, (err, z) => (err ? fail(err) : ok(z))),
  );
  const names: string[] = [];
  await new Promise<void>((ok, fail) => {
    zip.on("error", fail);
    zip.on("end", () => ok());
    zip.on("entry", (entry: import("yauzl").Entry) => {
      const dest = resolve(target, entry.fileName);
      if (!dest.startsWith(`${target}/`))
        return fail(new Error(`${file}: entry "${entry.fileName}" escapes the target`));
      const mode = (entry.externalFileAttributes >>> 16) & 0o170777;
      const type = mode & 0o170000;
      if (entry.fileName.endsWith("/") || type === 0o040000) {
        mkdirSync(dest, { recursive: true });
        zip.readEntry();
        return;
      }
      if (type !== 0 && type !== 0o100000)
        return fail(new Error(`${file}: entry "${entry.fileName}" is not a regular file`));
      mkdirSync(resolve(dest, ".."), { recursive: true });
      zip.openReadStream(entry, (err, stream) => {
        if (err) return fail(err);
        const out = createWriteStream(dest, { mode: mode & 0o777 || 0o644 });
        out.on("error", fail);
        out.on("close", () => {
          names.push(entry.fileName);
          zip.readEntry();
        });
        stream.pipe(out);
      });
    });
    zip.readEntry();
  });
  zip.close();
  return names.sort();
}

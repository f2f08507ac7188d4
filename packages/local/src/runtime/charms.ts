/**
 * Putting a charm on disk for deployment: the charm directory is copied (without build output,
 * tests and dependencies) and, for a TypeScript charm, bundled with the SDK's bundler, so that
 * each unit gets a self-contained copy with an executable `dispatch`.
 */
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { join } from "node:path";
import { ControllerError } from "./errors.js";

/** Bundles a TypeScript charm into `outDir` (the SDK's `bundleCharm`). */
export type CharmBundler = (opts: { charmDir: string; outDir: string }) => Promise<unknown> | unknown;

/** Copies (and, for a TypeScript charm, bundles) the charm at `src` into `dest`. */
export async function prepareCharm(src: string, dest: string, bundler?: CharmBundler): Promise<void> {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const skip = new Set(["node_modules", ".git", "dist", "tests", ".charmkit"]);
  cpSync(src, dest, {
    recursive: true,
    filter: (s) => {
      const base = s.slice(src.length + 1).split("/")[0] ?? "";
      return !skip.has(base) && !s.endsWith(".test.ts") && !s.endsWith(".unit-state.json");
    },
  });
  if (existsSync(join(src, "src", "charm.ts"))) {
    const bundle = bundler ?? (await loadBundler());
    await bundle({ charmDir: src, outDir: dest });
  }
  if (!existsSync(join(dest, "dispatch")))
    throw new ControllerError(`charm ${src} has no dispatch and no src/charm.ts`);
  chmodSync(join(dest, "dispatch"), 0o755);
}

/**
 * Gives `dest` the tree of `src` with each file hard-linked (copied across filesystems), so that
 * every unit has its own charm directory without a copy of the charm's Node runtime each. The
 * charm replaces its files by rename (state, code cache), which leaves the other units' alone.
 */
export function linkTree(src: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const from = join(src, e.name);
    const to = join(dest, e.name);
    if (e.isDirectory()) linkTree(from, to);
    else if (e.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else {
      try {
        linkSync(from, to);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
        copyFileSync(from, to);
        chmodSync(to, statSync(from).mode & 0o7777);
      }
    }
  }
}

async function loadBundler(): Promise<(opts: { charmDir: string; outDir: string }) => Promise<unknown>> {
  // The build tooling's package export; no fallback path: a missing or broken package must fail
  // the deploy loudly, not bundle with something else.
  const mod = (await import("@charmkit/build/bundle")) as {
    bundleCharm?: (o: { charmDir: string; outDir: string }) => Promise<unknown>;
  };
  if (!mod.bundleCharm) throw new ControllerError("@charmkit/build/bundle exports no bundleCharm");
  return mod.bundleCharm;
}

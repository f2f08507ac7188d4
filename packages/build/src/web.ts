/**
 * Browser assets of a charm whose workload serves a page (the Grafana stand-in's dashboards): the
 * entry points its package.json lists under `charmkit.web` are bundled by esbuild for browsers
 * into `web/<entry name>.js`, with `web/<entry name>.css` when the entry imports CSS. The charm
 * pushes them into its workload container; a packed charm carries them like its other files, so
 * the page needs nothing from the network at run time.
 *
 * @example
 * // charms/testers/grafana-tester/package.json
 * { "charmkit": { "web": ["src/web/dashboard.ts"] } }
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { MetadataError } from "@charmkit/ops";

/** Where the browser bundles go, relative to the bundle's output directory. */
export const WEB_DIR = "web";

/** The `charmkit.web` entries of the charm's package.json, as absolute paths ([] when none). */
export function webEntries(charmDir: string): string[] {
  const pkgPath = join(charmDir, "package.json");
  if (!existsSync(pkgPath)) return [];
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { charmkit?: { web?: unknown } };
  const web = pkg.charmkit?.web;
  if (web === undefined) return [];
  if (!Array.isArray(web) || !web.every((e) => typeof e === "string"))
    throw new MetadataError(
      pkgPath,
      '"charmkit.web" must be a list of entry files, e.g. ["src/web/page.ts"]',
    );
  return web.map((e) => {
    const p = resolve(charmDir, e);
    if (relative(charmDir, p).startsWith("..") || !existsSync(p))
      throw new MetadataError(
        pkgPath,
        `"charmkit.web" entry ${JSON.stringify(e)} is not a file in the charm`,
      );
    return p;
  });
}

/**
 * Bundles the charm's browser entries into `<outDir>/web/` (replacing what an earlier build left
 * there) and returns the files written, sorted. Licence comments of bundled libraries are kept at
 * the end of each file: the page redistributes them.
 */
export async function bundleWebAssets(charmDir: string, outDir: string, minify = true): Promise<string[]> {
  const dir = join(outDir, WEB_DIR);
  rmSync(dir, { recursive: true, force: true });
  const entries = webEntries(charmDir);
  if (entries.length === 0) return [];
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: entries,
    bundle: true,
    platform: "browser",
    format: "iife",
    target: ["es2022"],
    minify,
    outdir: dir,
    entryNames: "[name]",
    legalComments: "eof",
    logLevel: "silent",
  });
  if (result.errors.length > 0)
    throw new Error(`esbuild (web): ${result.errors.map((e) => e.text).join("; ")}`);
  return readdirSync(dir)
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Workload scripts of a charm that runs its own small programs in its workload container (the
 * tester charms' servers and receivers): the files its package.json lists under
 * `charmkit.workload` are bundled by esbuild for Node, each with the modules it imports, into
 * `workload/<entry name>.mjs`. The charm pushes such a file into its container and runs it with
 * the container's `node`; a bundle is one file with nothing to resolve there, while its sources
 * share code through packages like any other module.
 *
 * @example
 * // charms/testers/metrics-tester/package.json
 * { "charmkit": { "workload": ["src/workload/server.mjs"] } }
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { MetadataError } from "@charmkit/ops";

/** Where the workload bundles go, relative to the bundle's output directory. */
export const WORKLOAD_DIR = "workload";

/** The `charmkit.workload` entries of the charm's package.json, as absolute paths ([] when none). */
export function workloadEntries(charmDir: string): string[] {
  const pkgPath = join(charmDir, "package.json");
  if (!existsSync(pkgPath)) return [];
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { charmkit?: { workload?: unknown } };
  const entries = pkg.charmkit?.workload;
  if (entries === undefined) return [];
  if (!Array.isArray(entries) || !entries.every((e) => typeof e === "string"))
    throw new MetadataError(
      pkgPath,
      '"charmkit.workload" must be a list of script files, e.g. ["src/workload/server.mjs"]',
    );
  return entries.map((e) => {
    const p = resolve(charmDir, e);
    if (relative(charmDir, p).startsWith("..") || !existsSync(p))
      throw new MetadataError(
        pkgPath,
        `"charmkit.workload" entry ${JSON.stringify(e)} is not a file in the charm`,
      );
    return p;
  });
}

/**
 * Bundles the charm's workload scripts into `<outDir>/workload/` (replacing what an earlier build
 * left there) and returns the files written, sorted. Not minified: a person reading a unit's
 * container, or its workload's stack trace, reads the script as written.
 */
export async function bundleWorkloadScripts(charmDir: string, outDir: string): Promise<string[]> {
  const dir = join(outDir, WORKLOAD_DIR);
  rmSync(dir, { recursive: true, force: true });
  const entries = workloadEntries(charmDir);
  if (entries.length === 0) return [];
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: entries,
    bundle: true,
    platform: "node",
    format: "esm",
    target: ["node20"],
    outdir: dir,
    entryNames: "[name]",
    outExtension: { ".js": ".mjs" },
    legalComments: "eof",
    logLevel: "silent",
  });
  if (result.errors.length > 0)
    throw new Error(`esbuild (workload): ${result.errors.map((e) => e.text).join("; ")}`);
  return readdirSync(dir)
    .sort()
    .map((f) => join(dir, f));
}

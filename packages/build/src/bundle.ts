/**
 * Bundling a TypeScript charm for Juju: esbuild turns `<charmDir>/src/charm.ts` (default export:
 * the charm class) into one minified CommonJS file with no external dependencies
 * (`charm.bundle.js`), through a generated entry that calls `main(Charm)` with the charm's metadata
 * embedded as JSON (so a dispatch never parses YAML). `charm.js` runs it with V8's code cache (the
 * text of `code-cache.cjs` plus the call). Next to them go an executable POSIX `dispatch` script
 * and the charm's YAML files (`charmcraft.yaml` plus the generated `metadata.yaml`, `config.yaml`,
 * `actions.yaml`, as `charmcraft pack` would write them), and the browser bundles of a charm that
 * serves a page (`web/`, see web.ts) and the scripts of a charm that runs its own programs in its
 * workload container (`workload/`, see workload.ts). `pack.ts` turns this tree, with a Node
 * runtime, into a `.charm`.
 *
 * A package the charm only reaches through a dynamic `import("pkg")` (a Kubernetes client used on
 * Kubernetes only, say) goes into a file of its own, `lazy/<pkg>.cjs`, required when the import
 * runs: every hook parses the main bundle, and most hooks never need such a package.
 */

import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MetadataError } from "@charmkit/ops";
import { parseCharmMeta } from "@charmkit/ops/internal";
import { CHARM_TYPES_FILE, writeCharmTypes } from "./charm-types.js";
import { bundleWebAssets } from "./web.js";
import { bundleWorkloadScripts } from "./workload.js";
import type { Plugin } from "esbuild";

/** Options of `bundleCharm`. */
export interface BundleOptions {
  /** The charm's source directory (holds charmcraft.yaml and src/charm.ts). */
  readonly charmDir: string;
  /** Output directory; created if missing. */
  readonly outDir: string;
  /** Minify the bundle (default true). */
  readonly minify?: boolean | undefined;
  /** Also write a source map (default false). */
  readonly sourcemap?: boolean | undefined;
}

/** What `bundleCharm` wrote. */
export interface BundleResult {
  readonly bundle: string;
  readonly dispatch: string;
  readonly bytes: number;
  readonly files: readonly string[];
  /** The packages split off into `lazy/` (imported dynamically only), by specifier. */
  readonly lazy: readonly string[];
}

/** Where split-off packages go, relative to the output directory. */
export const LAZY_DIR = "lazy";
const LAZY_NAMESPACE = "charmkit-lazy";
/** Marks the plugin's own resolve calls, which are not imports of the bundle. */
const INNER = Symbol("charmkit-lazy-resolve");
/** A bare package specifier (`pkg`, `pkg/sub`, `@scope/pkg`), not a path (esbuild filters are Go regexps). */
const BARE = /^[^./]/;

/** The file name a split-off package gets: `@scope/pkg/sub` -> `scope+pkg+sub.cjs`. */
export function lazyFileName(specifier: string): string {
  return `${specifier.replace(/^@/, "").replaceAll("/", "+")}.cjs`;
}

/**
 * An esbuild plugin that leaves dynamically imported packages out of the bundle. The import gets a
 * stub module re-exporting `./lazy/<file>` (its named exports and its `default`, so the import sees
 * the namespace it would have seen bundled); esbuild initialises a dynamically imported module
 * when the import runs, so the file is read then, not at start-up. `found` collects each
 * package's resolved entry for its own build. Packages also imported statically somewhere are
 * collected in `statics` (the caller builds again with them in `keep`, so they are not carried
 * twice).
 */
function lazyPackages(found: Map<string, string>, statics: Set<string>, keep: ReadonlySet<string>): Plugin {
  return {
    name: "charmkit-lazy-packages",
    setup(b) {
      b.onResolve({ filter: BARE }, async (a) => {
        if (isBuiltin(a.path) || a.pluginData === INNER) return undefined;
        if (a.kind !== "dynamic-import") {
          statics.add(a.path);
          return undefined;
        }
        if (keep.has(a.path)) return undefined;
        const r = await b.resolve(a.path, {
          kind: "import-statement",
          resolveDir: a.resolveDir,
          pluginData: INNER,
        });
        if (r.errors.length > 0) return { errors: r.errors };
        found.set(a.path, r.path);
        return { path: a.path, namespace: LAZY_NAMESPACE };
      });
      b.onLoad({ filter: /.*/, namespace: LAZY_NAMESPACE }, (a) => {
        const file = JSON.stringify(`./${LAZY_DIR}/${lazyFileName(a.path)}`);
        return {
          contents: `export * from ${file};\nexport { default } from ${file};\n`,
          loader: "js",
          resolveDir: "/",
        };
      });
      b.onResolve({ filter: new RegExp(`^\\./${LAZY_DIR}/`), namespace: LAZY_NAMESPACE }, (a) => ({
        path: a.path,
        external: true,
      }));
    },
  };
}

/** Where a packed charm carries its Node runtime, relative to the charm directory. */
export const PACKED_NODE = "node/bin/node";

/**
 * The `dispatch` script Juju runs for every event: cd to the charm dir, keep the environment, name the event
 * from `$0` when Juju did not, and exec Node on the loader. The Node packed inside the charm
 * (`node/bin/node`, an official self-contained build) wins; a charm directory from
 * `npm run build` has none and uses the `node` on PATH.
 */
export const DISPATCH_SCRIPT = `#!/bin/sh
d="$(dirname "$(realpath "$0")")"; cd "$d" || exit 1
if [ -z "$JUJU_DISPATCH_PATH" ]; then JUJU_DISPATCH_PATH="\${0#"$d"/}"; export JUJU_DISPATCH_PATH; fi
if [ -x "$d/${PACKED_NODE}" ]; then exec "$d/${PACKED_NODE}" "$d/charm.js"; fi
exec node "$d/charm.js"
`;

/** Keys of charmcraft.yaml that belong in the generated metadata.yaml. */
const METADATA_KEYS = [
  "name",
  "display-name",
  "summary",
  "description",
  "docs",
  "issues",
  "source",
  "website",
  "maintainers",
  "assumes",
  "containers",
  "devices",
  "resources",
  "requires",
  "provides",
  "peers",
  "storage",
  "extra-bindings",
  "subordinate",
  "charm-user",
  "terms",
];

/** charmcraft.yaml's `links` keys and the metadata.yaml keys charmcraft writes them as. */
const LINK_KEYS: Readonly<Record<string, string>> = {
  documentation: "docs",
  issues: "issues",
  source: "source",
  website: "website",
  contact: "maintainers",
};

/**
 * The `metadata.yaml`, `config.yaml` and `actions.yaml` texts `charmcraft pack` generates from a
 * charmcraft.yaml: metadata keys copied, `title` as `display-name`, `links` spread out as
 * charmcraft's `CharmMetadata.from_charm` does (`documentation` → `docs`, `contact` →
 * `maintainers` as a list, `issues`/`source`/`website` as they are), `config` and `actions` as is.
 */
export function generatedYaml(
  cc: Readonly<Record<string, unknown>>,
  stringify: (v: unknown) => string,
): Record<"metadata.yaml" | "config.yaml" | "actions.yaml", string> {
  const md: Record<string, unknown> = {};
  for (const k of METADATA_KEYS) if (cc[k] !== undefined) md[k] = cc[k];
  if (cc.title !== undefined && md["display-name"] === undefined) md["display-name"] = cc.title;
  const links = cc.links;
  if (links !== null && typeof links === "object") {
    for (const [k, v] of Object.entries(links)) {
      const key = LINK_KEYS[k];
      if (key === undefined || md[key] !== undefined) continue;
      // Juju's `maintainers` is a list; charmcraft accepts one contact or several.
      md[key] = key === "maintainers" && !Array.isArray(v) ? [v] : v;
    }
  }
  return {
    "metadata.yaml": stringify(md),
    "config.yaml": stringify({ options: (cc.config as { options?: unknown } | undefined)?.options ?? {} }),
    "actions.yaml": stringify(cc.actions ?? {}),
  };
}

const here = dirname(fileURLToPath(import.meta.url));

/** Bundle a charm into `outDir`: `charm.bundle.js`, its loader `charm.js`, `dispatch`, and its metadata files. */
export async function bundleCharm(opts: BundleOptions): Promise<BundleResult> {
  const charmDir = resolve(opts.charmDir);
  const outDir = resolve(opts.outDir);
  const [{ build }, { parse, stringify }] = await Promise.all([import("esbuild"), import("yaml")]);

  const ccPath = join(charmDir, "charmcraft.yaml");
  if (!existsSync(ccPath)) throw new MetadataError(ccPath, "not found; a charm needs a charmcraft.yaml");
  const cc = parse(readFileSync(ccPath, "utf8")) as Record<string, unknown>;
  const meta = parseCharmMeta({ metadata: cc, file: "charmcraft.yaml" });
  // A charm that types its names from charmcraft.yaml (it keeps src/charmcraft.gen.ts) gets them
  // regenerated here, so a renamed endpoint or option fails the charm's type-check.
  if (existsSync(join(charmDir, CHARM_TYPES_FILE))) writeCharmTypes(charmDir);
  const entryPath = join(charmDir, "src", "charm.ts");
  if (!existsSync(entryPath))
    throw new MetadataError(entryPath, "not found; the charm's code goes in src/charm.ts");

  mkdirSync(outDir, { recursive: true });
  // Minifying renames the charm class; its source name goes in as the trace's charm_type.
  const charmType = /export\s+default\s+class\s+([A-Za-z_$][\w$]*)/.exec(
    readFileSync(entryPath, "utf8"),
  )?.[1];
  const entry = [
    `import Charm from ${JSON.stringify(entryPath)};`,
    // The SDK's entry point alone, not its root export: the bundle carries only what main() uses.
    `import { main } from "@charmkit/ops/main";`,
    `const metadata = ${JSON.stringify(meta)};`,
    `main(Charm, { metadata, charmType: ${JSON.stringify(charmType)} });`,
  ].join("\n");

  const bundle = join(outDir, "charm.bundle.js");
  let lazy = new Map<string, string>();
  const keep = new Set<string>();
  const bundleOnce = () => {
    lazy = new Map();
    const statics = new Set<string>();
    return build({
      stdin: { contents: entry, resolveDir: charmDir, sourcefile: "charmkit-entry.ts", loader: "ts" },
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      minify: opts.minify ?? true,
      sourcemap: opts.sourcemap ?? false,
      outfile: bundle,
      legalComments: "none",
      logLevel: "silent",
      plugins: [lazyPackages(lazy, statics, keep)],
    }).then((result) => ({ result, statics }));
  };
  let { result, statics } = await bundleOnce();
  // At most one more build: the second keeps every package the first found imported both ways.
  const both = [...lazy.keys()].filter((p) => statics.has(p));
  if (both.length > 0 && result.errors.length === 0) {
    for (const p of both) keep.add(p);
    ({ result } = await bundleOnce());
  }
  if (result.errors.length > 0) {
    throw new Error(`esbuild: ${result.errors.map((e) => e.text).join("; ")}`);
  }
  // Files of an earlier build's split-off packages would linger in a .charm.
  rmSync(join(outDir, LAZY_DIR), { recursive: true, force: true });
  const lazyFiles: string[] = [];
  for (const [specifier, entry] of [...lazy].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const file = join(outDir, LAZY_DIR, lazyFileName(specifier));
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      minify: opts.minify ?? true,
      sourcemap: opts.sourcemap ?? false,
      outfile: file,
      legalComments: "none",
      logLevel: "silent",
    });
    if (r.errors.length > 0) {
      throw new Error(`esbuild (${specifier}): ${r.errors.map((e) => e.text).join("; ")}`);
    }
    lazyFiles.push(file);
  }

  const loader = join(outDir, "charm.js");
  writeFileSync(
    loader,
    `${readFileSync(join(here, "code-cache.cjs"), "utf8")}\nrunWithCodeCache(nodePath.join(__dirname, "charm.bundle.js"), process.env.JUJU_DISPATCH_PATH);\n`,
  );
  // A cache of an earlier build would only be rejected; drop it now.
  rmSync(join(outDir, ".charm.bundle.js.v8cache"), { force: true });
  const dispatch = join(outDir, "dispatch");
  writeFileSync(dispatch, DISPATCH_SCRIPT);
  chmodSync(dispatch, 0o755);

  const files = [bundle, loader, dispatch, ...lazyFiles];
  const write = (name: string, content: string) => {
    const p = join(outDir, name);
    writeFileSync(p, content);
    files.push(p);
  };
  copyFileSync(ccPath, join(outDir, "charmcraft.yaml"));
  files.push(join(outDir, "charmcraft.yaml"));
  for (const [name, text] of Object.entries(generatedYaml(cc, stringify))) write(name, text);
  // The bundle is CommonJS: a `"type": "module"` package.json copied from the charm's sources
  // would make Node load it as ESM and fail on `require`.
  write("package.json", `${JSON.stringify({ type: "commonjs" })}\n`);
  files.push(...(await bundleWebAssets(charmDir, outDir, opts.minify ?? true)));
  files.push(...(await bundleWorkloadScripts(charmDir, outDir)));

  return { bundle, dispatch, bytes: readFileSync(bundle).length, files, lazy: [...lazy.keys()].sort() };
}

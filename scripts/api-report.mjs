#!/usr/bin/env node
// API reports of the public packages, kept under review in etc/api/: one `.api.md` per package
// export (api-extractor's report of every exported name and its signature), so a change of
// public surface shows up as a diff of a committed file. Internal subpaths (`./internal`) and
// non-TypeScript exports are not reported.
//
//   node scripts/api-report.mjs            fail (exit 1) when a report differs from the code
//   node scripts/api-report.mjs --fast     the same, but done in seconds when the emitted
//                                          declarations are those the reports were made from
//                                          (etc/api/declarations.sha256); scripts/test.mjs uses it
//   node scripts/api-report.mjs --update   rewrite etc/api/ from the code (then commit it)
//
// Steps: the TypeScript compiler emits declarations of packages/*/src (tsconfig.api.json, into
// .api-dts/), then api-extractor reads each export's entry declaration file.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { CompilerState, Extractor, ExtractorConfig } from "@microsoft/api-extractor";

const root = resolve(import.meta.dirname, "..");
const update = process.argv.includes("--update");
const fast = process.argv.includes("--fast");
const dts = join(root, ".api-dts");
const reports = join(root, "etc/api");
const temp = join(dts, ".reports");
const digestFile = join(reports, "declarations.sha256");

/**
 * A digest of every emitted declaration file (path and text without comments, in path order):
 * the reports carry no doc text, so editing a comment does not make the next check slow.
 */
function declarationsDigest() {
  const hash = createHash("sha256");
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".d.ts")) {
        const text = readFileSync(p, "utf8")
          .replace(/\/\*[\s\S]*?\*\//g, "")
          .replace(/^\s*\/\/.*$/gm, "");
        hash.update(`${p.slice(dts.length)}\0${text}\0`);
      }
    }
  };
  walk(join(dts, "packages"));
  return hash.digest("hex");
}

/** The package exports worth a report: TypeScript sources, not internal subpaths. */
export function entries() {
  const out = [];
  for (const dir of readdirSync(join(root, "packages")).sort()) {
    const pkgPath = join(root, "packages", dir, "package.json");
    if (!existsSync(pkgPath)) continue;
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
    for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
      if (typeof target !== "string" || !target.endsWith(".ts")) continue;
      if (sub === "./internal" || sub.startsWith("./internal/")) continue;
      const name = sub === "." ? dir : `${dir}-${sub.slice(2).replaceAll("/", "-")}`;
      out.push({ dir, pkg, sub, name, entry: join(dts, "packages", dir, target.replace(/\.ts$/, ".d.ts")) });
    }
  }
  return out;
}

function emitDeclarations() {
  rmSync(dts, { recursive: true, force: true });
  const tsc = spawnSync(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.api.json")],
    { stdio: "inherit" },
  );
  if (tsc.status !== 0) throw new Error("declaration emit failed");
  // api-extractor names the package from the package.json above the entry point.
  for (const dir of readdirSync(join(dts, "packages"))) {
    copyFileSync(join(root, "packages", dir, "package.json"), join(dts, "packages", dir, "package.json"));
  }
}

function configOf(e) {
  const packageJsonFullPath = join(dts, "packages", e.dir, "package.json");
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: e.entry,
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: "ES2022",
            module: "NodeNext",
            moduleResolution: "NodeNext",
            lib: ["ES2023"],
            types: ["node"],
            strict: true,
            skipLibCheck: true,
          },
          include: [e.entry],
        },
      },
      apiReport: {
        enabled: true,
        reportFolder: temp,
        reportTempFolder: join(temp, "tmp"),
        reportFileName: e.name,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        // The report is the product; TSDoc style and forgotten exports are other checks' business.
        extractorMessageReporting: { default: { logLevel: "none" } },
        tsdocMessageReporting: { default: { logLevel: "none" } },
        compilerMessageReporting: { default: { logLevel: "warning" } },
      },
    },
    configObjectFullPath: join(root, "tsconfig.api.json"),
    packageJsonFullPath,
  });
  return config;
}

/** api-extractor's console messages that say nothing about the surfaces. */
const QUIET = new Set(["console-api-report-created", "console-preamble"]);

/** One report; `compilerState` is the program every report shares (built once). */
function report(e, config, compilerState) {
  const result = Extractor.invoke(config, {
    localBuild: true,
    showVerboseMessages: false,
    compilerState,
    // Its report folder is a scratch copy, empty on every run: "the report file was missing, add it
    // to Git" would be said of every export and mean nothing (the comparison with etc/api/ is
    // below), and so would the notice of its bundled compiler's version, once per export.
    messageCallback: (m) => {
      if (QUIET.has(m.messageId)) m.handled = true;
    },
  });
  if (!result.succeeded) throw new Error(`api-extractor failed on ${e.dir} ${e.sub}`);
  return readFileSync(join(temp, `${e.name}.api.md`), "utf8");
}

/** Exported names in a report (one `export` declaration line each). */
export function countExports(text) {
  return text
    .split("\n")
    .filter((l) =>
      /^export (declare )?(abstract )?(class|function|const|let|interface|type|enum|namespace) /.test(l),
    ).length;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  emitDeclarations();
  const digest = declarationsDigest();
  if (fast && !update && existsSync(digestFile) && readFileSync(digestFile, "utf8").trim() === digest) {
    rmSync(dts, { recursive: true, force: true });
    console.error("api-report: declarations unchanged since etc/api/ was written");
    process.exit(0);
  }
  mkdirSync(temp, { recursive: true });
  mkdirSync(reports, { recursive: true });
  const stale = [];
  const seen = new Set();
  const all = entries().map((e) => ({ ...e, config: configOf(e) }));
  const first = all[0];
  if (!first) throw new Error("no package exports found");
  const compilerState = CompilerState.create(first.config, {
    additionalEntryPoints: all.map((e) => e.entry),
  });
  for (const e of all) {
    const text = report(e, e.config, compilerState);
    const file = join(reports, `${e.name}.api.md`);
    seen.add(`${e.name}.api.md`);
    const was = existsSync(file) ? readFileSync(file, "utf8") : undefined;
    console.error(
      `${e.pkg.name}${e.sub === "." ? "" : e.sub.slice(1)}: ${countExports(text)} exported names`,
    );
    if (was === text) continue;
    if (update) writeFileSync(file, text);
    else stale.push(`etc/api/${e.name}.api.md`);
  }
  if (update) writeFileSync(digestFile, `${digest}\n`);
  for (const f of readdirSync(reports)) {
    if (!f.endsWith(".api.md") || seen.has(f)) continue;
    if (update) rmSync(join(reports, f));
    else stale.push(`etc/api/${f} (no such export any more)`);
  }
  rmSync(dts, { recursive: true, force: true });
  if (fast && !update && !stale.length) {
    console.error(
      "api-report: public surfaces unchanged; `npm run api:update` records the new declarations so the next check is quick",
    );
  }
  if (stale.length) {
    console.error(
      `the public API changed without its report:\n  ${stale.join("\n  ")}\n` +
        "review the change, run `npm run api:update` and commit etc/api/",
    );
    process.exit(1);
  }
}

// `npm run pack`: packs charms into .charm files with a self-contained Node runtime (see
// packages/build/src/pack.ts). Usage:
//   npm run pack -- [CHARM_DIR...] [--arch amd64|arm64]... [--out DIR] [--cache DIR]
// Without CHARM_DIR it packs charms/prometheus-k8s; without --arch, amd64; without --out, dist/.
// Writes <out>/<name>_ubuntu@24.04-<arch>.charm and stages the tree in <charm>/dist/<arch>/
// (what charmcraft.yaml's part dumps).
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { packCharm } from "@charmkit/build/pack";

const root = resolve(import.meta.dirname, "..");
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      arch: { type: "string", multiple: true },
      out: { type: "string" },
      cache: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
} catch (e) {
  console.error(
    `${e.message}\nusage: npm run pack -- [CHARM_DIR...] [--arch amd64|arm64] [--out DIR] [--cache DIR]`,
  );
  process.exit(2);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log("usage: npm run pack -- [CHARM_DIR...] [--arch amd64|arm64]... [--out DIR] [--cache DIR]");
  process.exit(0);
}
const dirs =
  positionals.length > 0 ? positionals.map((d) => resolve(d)) : [resolve(root, "charms/prometheus-k8s")];
const arches = values.arch ?? ["amd64"];
const outDir = resolve(values.out ?? resolve(root, "dist"));
let failed = false;
for (const charmDir of dirs) {
  for (const arch of arches) {
    const t0 = performance.now();
    try {
      const r = await packCharm({
        charmDir,
        arch,
        outDir,
        cacheDir: values.cache,
        log: (line) => console.error(line),
      });
      const ms = (performance.now() - t0).toFixed(0);
      console.log(
        `${relative(process.cwd(), r.charm) || r.charm} (${(r.bytes / 1048576).toFixed(1)} MiB, ${ms} ms)`,
      );
    } catch (e) {
      failed = true;
      console.error(`${relative(root, charmDir)} (${arch}): ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
process.exit(failed ? 1 : 0);

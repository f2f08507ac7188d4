// Bundles every TypeScript charm of the repository into dist/<charm name>/: one self-contained
// `charm.js`, the `dispatch` script and the charm's metadata files, ready for `charmcraft pack`
// (which adds the Node runtime) or for the local runtime. Without arguments it also bundles the
// `prometheus-scrape` command (packages/interfaces/dist/). Usage: npm run build [-- CHARM_DIR...]
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleCharm } from "@charmkit/build/bundle";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function charmDirs() {
  const dirs = [join(root, "charms/prometheus-k8s")];
  const testers = join(root, "charms/testers");
  if (existsSync(testers)) for (const d of readdirSync(testers).sort()) dirs.push(join(testers, d));
  return dirs.filter((d) => existsSync(join(d, "src/charm.ts")));
}

const args = process.argv.slice(2);
const dirs = args.length > 0 ? args.map((a) => resolve(a)) : charmDirs();
let failed = false;
for (const dir of dirs) {
  const outDir = join(root, "dist", basename(dir));
  const t0 = performance.now();
  try {
    const r = await bundleCharm({ charmDir: dir, outDir });
    const ms = (performance.now() - t0).toFixed(0);
    console.log(
      `${relative(root, dir)} -> ${relative(root, r.bundle)} (${(r.bytes / 1024).toFixed(0)} KiB, ${ms} ms)`,
    );
  } catch (e) {
    failed = true;
    console.error(`${relative(root, dir)}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
if (args.length === 0) {
  const t0 = performance.now();
  try {
    execFileSync(process.execPath, [join(root, "packages/interfaces/bin/prometheus-scrape.cjs"), "--build"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    console.log(
      `prometheus-scrape command -> packages/interfaces/dist/prometheus-scrape-cli.cjs (${(performance.now() - t0).toFixed(0)} ms)`,
    );
  } catch (e) {
    failed = true;
    console.error(`prometheus-scrape command: ${e instanceof Error ? e.message : String(e)}`);
  }
}
process.exit(failed ? 1 : 0);

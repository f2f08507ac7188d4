// A charm's workload scripts (package.json `charmkit.workload`) bundled by esbuild into workload/:
// one file each, with what it imports, that Node runs where nothing else is installed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { MetadataError } from "@charmkit/ops";
import { charmSources } from "./charm-source.test-support.js";
import { bundleWorkloadScripts, workloadEntries } from "./workload.js";

const { work, charm } = charmSources("charmkit-workload-");

test("each workload entry becomes workload/<name>.mjs, its imports bundled in, runnable on its own", async () => {
  const dir = charm(
    "serving",
    { name: "serving", type: "module", charmkit: { workload: ["src/workload/server.mjs"] } },
    {
      "src/workload/server.mjs":
        'import { greet } from "../shared.ts";\nconsole.log(greet(process.argv[2] ?? "nobody"));\n',
      "src/shared.ts": 'export const greet = (n: string): string => "hello " + n;\n',
    },
  );
  const out = join(work, "out");
  mkdirSync(join(out, "workload"), { recursive: true });
  writeFileSync(join(out, "workload", "stale.mjs"), "left by an earlier build");
  const files = await bundleWorkloadScripts(dir, out);
  assert.deepEqual(files, [join(out, "workload", "server.mjs")]);
  assert.deepEqual(readdirSync(join(out, "workload")), ["server.mjs"]);
  // Alone in a directory, as in a workload container: nothing to resolve.
  const alone = mkdtempSync(join(work, "container-"));
  copyFileSync(files[0]!, join(alone, "server.mjs"));
  const r = spawnSync(process.execPath, [join(alone, "server.mjs"), "pod"], { encoding: "utf8", cwd: alone });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "hello pod\n");
});

test("no entries, no workload/ written; a bad list is refused naming package.json", async () => {
  const plain = charm("plain", { name: "plain" }, {});
  assert.deepEqual(workloadEntries(plain), []);
  assert.deepEqual(await bundleWorkloadScripts(plain, join(work, "out-plain")), []);
  const bad = charm("bad", { charmkit: { workload: "src/workload/server.mjs" } }, {});
  assert.throws(
    () => workloadEntries(bad),
    (e: unknown) => e instanceof MetadataError && /charmkit\.workload/.test(e.message),
  );
  const missing = charm("missing", { charmkit: { workload: ["src/workload/nope.mjs"] } }, {});
  assert.throws(() => workloadEntries(missing), /"src\/workload\/nope.mjs" is not a file in the charm/);
  const outside = charm("outside", { charmkit: { workload: ["../serving/src/workload/server.mjs"] } }, {});
  assert.throws(() => workloadEntries(outside), /is not a file in the charm/);
});

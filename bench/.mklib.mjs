import { build } from "esbuild";
const [root, out] = process.argv.slice(2);
await build({ entryPoints: [`${root}/packages/interfaces/src/prometheus-scrape/index.ts`], bundle: true, platform: "node", format: "esm", outfile: out,
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" }, logLevel: "error" });

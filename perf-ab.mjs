import { performance } from "node:perf_hooks";
import { generate } from "./bench/scrape-model.mjs";
const { renderFromState } = await import(process.argv[2]);
const st = generate(Number(process.argv[3]));
let t = performance.now(); renderFromState(st); const first = performance.now() - t;
const ts = []; for (let i = 0; i < Number(process.argv[4]); i++) { t = performance.now(); renderFromState(st); ts.push(performance.now() - t); }
ts.sort((a, b) => a - b);
console.log(JSON.stringify({ first, warm: ts[ts.length >> 1] }));

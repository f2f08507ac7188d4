import { generate } from "./scrape-model.mjs";
const { renderFromState } = await import(process.argv[2]);
const state = generate(Number(process.argv[3] ?? 500));
renderFromState(state);
const xs = [];
for (let i = 0; i < 15; i++) { const t = performance.now(); renderFromState(state); xs.push(performance.now() - t); }
xs.sort((a, b) => a - b);
console.log(process.argv[2].includes("base") ? "base " : "trust", "min", xs[0].toFixed(1), "median", xs[7].toFixed(1));

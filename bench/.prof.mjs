import { generate } from "./scrape-model.mjs";
const lib = process.argv[2];
const { renderFromState } = await import(lib);
const state = generate(500);
renderFromState(state);
const t = performance.now();
for (let i = 0; i < 10; i++) renderFromState(state);
console.log("per call", ((performance.now() - t) / 10).toFixed(1));

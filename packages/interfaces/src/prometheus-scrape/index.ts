/**
 * prometheus_scrape interface library, both sides (`@charmkit/interfaces/prometheus-scrape`).
 *
 * - topology.ts: `JujuTopology`, the identity everything is named after;
 * - jobs.ts, job-validation.ts, limits.ts, consumer.ts: the Prometheus side (`consume`);
 * - promql.ts, promql-check.ts, templates.ts, re2.ts: in-process PromQL topology injection and
 *   rule validation with Prometheus' own rules (types, Go templates, RE2 regexes);
 * - rules.ts, provider.ts: the scrape-target side (rule loading, the bags it writes, feedback);
 * - cli.ts, provide-state.ts, state-format.ts: the functions behind the `prometheus-scrape` command.
 */
export {
  type CliIo,
  consumerSnapshots,
  main as prometheusScrapeCli,
  type RenderOutput,
  renderFromState,
  StateFormatError,
} from "./cli.js";
export { type ProvideEnv, type ProvideOutput, provideFromState } from "./provide-state.js";
export * from "./consumer.js";
export * from "./job-validation.js";
export * from "./jobs.js";
export * from "./limits.js";
export * from "./parse-cache-file.js";
export * from "./promql.js";
export { type ExprFacts, MAX_EXPR_DEPTH } from "./promql-check.js";
export { type FullMatcher, fullMatcher, re2Problem } from "./re2.js";
export { checkTemplate, type TemplateCheck } from "./templates.js";
export * from "./provider.js";
export * from "./rules.js";
export * from "./topology.js";

/**
 * prometheus_scrape interface library, both sides (`@charmkit/interfaces/prometheus-scrape`).
 *
 * What charms use: `consume` (the Prometheus side: every related target's jobs and rules,
 * validated, with what was rejected and why), `MetricsEndpointProvider` (the target side),
 * `JujuTopology`, rule-file reading and PromQL topology injection for a charm's own rules, the
 * parse cache a charm keeps between hooks, and the functions behind the `prometheus-scrape`
 * command. The modules behind it:
 *
 * - topology.ts: `JujuTopology`, the identity everything is named after;
 * - jobs.ts, job-validation.ts, limits.ts, consumer.ts: the Prometheus side (`consume`);
 * - promql.ts, promql-check.ts, templates.ts, re2.ts: in-process PromQL topology injection and
 *   rule validation with Prometheus' own rules (types, Go templates, RE2 regexes);
 * - rules.ts, provider.ts: the scrape-target side (rule loading, the bags it writes, feedback);
 * - cli.ts, provide-state.ts, state-format.ts: the `prometheus-scrape` command.
 *
 * The other libraries of this package reach the modules' remaining exports by relative path;
 * they are not part of this surface (etc/api/interfaces-prometheus-scrape.api.md).
 */
export { type RenderOutput, renderFromState, StateFormatError } from "./cli.js";
export {
  type ConsumerOptions,
  type ConsumerRejection,
  type ConsumerResult,
  type ConsumeCache,
  type ConsumeMemo,
  consume,
  type RelationHead,
  type RelationOutcome,
  relationOutcomeKey,
  type RuleFile,
  type ScrapeRelation,
} from "./consumer.js";
export { compactUnitJobs, type ScrapeJob } from "./jobs.js";
export { DEFAULT_LIMITS, type Limits } from "./limits.js";
export { loadParseCacheFile, saveParseCacheFile } from "./parse-cache-file.js";
export { injectTopology, PromQLError, stripTopologyPlaceholder } from "./promql.js";
export { type ProvideEnv, type ProvideOutput, provideFromState } from "./provide-state.js";
export {
  type FeedbackParse,
  MetricsEndpointProvider,
  type MetricsEndpointProviderOptions,
  type ProviderFeedback,
} from "./provider.js";
export { readRuleFiles, type RuleFileSource, type RulesProblem } from "./rules.js";
export { JujuTopology, type TopologyDict, TopologyError } from "./topology.js";

/**
 * prometheus_scrape interface library, both sides: PromQL topology injection and rule validation,
 * alert rule loading (provider), the provider's databags, and (from the consumer files) topology,
 * job sanitising and the consumer's scrape configs and rule files.
 */
export {
  checkExpression,
  injectTopology,
  isPromDuration,
  PromQLError,
  quotePromQLString,
  stripTopologyPlaceholder,
  unquotePromQLString,
  validateGroups,
  validateRule,
} from "./promql.js";

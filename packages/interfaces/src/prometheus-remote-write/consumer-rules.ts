/**
 * The alert rules a remote-write client forwards (`PrometheusRemoteWriteConsumer`, LIBPATCH 15):
 * cosl's `AggregatorHostHealth` group, with `HostMetricsMissing` repeated for every unit of the
 * client (and its peers) and scoped to it by `juju_unit`, then the rules of the charm's own rule
 * files; every group named, labelled and injected with the client's topology as cosl `AlertRules`
 * does for providers.
 */
import { stringify } from "yaml";
import { injectTopology } from "../prometheus-scrape/promql.js";
import {
  buildRuleGroups,
  type RuleFileSource,
  type RuleGroup,
  type RulesProblem,
} from "../prometheus-scrape/rules.js";
import type { JujuTopology } from "../prometheus-scrape/topology.js";

const HOST_METRICS_MISSING = {
  alert: "HostMetricsMissing",
  expr: "absent(up)",
  for: "5m",
  labels: { severity: "warning" },
  annotations: {
    summary:
      "Unit '{{ $labels.juju_unit }}' of application '{{ $labels.juju_application }}' is down or failing to remote write.",
    description:
      "`Up` missing for unit '{{ $labels.juju_unit }}' of application {{ $labels.juju_application }} in model {{ $labels.juju_model }}. Please ensure the unit or the collector scraping it is up and is able to successfully reach the metrics backend.",
  },
} as const;

const AGGREGATOR_METRICS_MISSING = {
  alert: "AggregatorMetricsMissing",
  expr: "absent(up)",
  for: "5m",
  labels: { severity: "critical" },
  annotations: {
    summary:
      "Metrics not received from application '{{ $labels.juju_application }}'. All units are down or failing to remote write.",
    description:
      "`Up` missing for ALL units of application {{ $labels.juju_application }} in model {{ $labels.juju_model }}. This can also mean the units or the collector scraping them are unable to reach the remote write endpoint of the metrics backend. Please ensure the correct firewall rules are applied.",
  },
} as const;

/**
 * cosl's `aggregator_rules` after the consumer's `_duplicate_rules_per_unit`: one
 * `HostMetricsMissing` per unit name (sorted), labelled and matched by `juju_unit`, severity
 * `critical` for subordinate charms and `warning` otherwise; then `AggregatorMetricsMissing`.
 */
export function aggregatorRules(unitNames: Iterable<string>, isSubordinate = false): { groups: RuleGroup[] } {
  const perUnit = [...new Set(unitNames)].sort().map((unit) => ({
    ...HOST_METRICS_MISSING,
    expr: injectTopology(HOST_METRICS_MISSING.expr, { juju_unit: unit }),
    labels: {
      ...HOST_METRICS_MISSING.labels,
      juju_unit: unit,
      severity: isSubordinate ? "critical" : "warning",
    },
    annotations: { ...HOST_METRICS_MISSING.annotations },
  }));
  return {
    groups: [
      {
        name: "AggregatorHostHealth",
        rules: [
          ...perUnit,
          { ...AGGREGATOR_METRICS_MISSING, labels: { ...AGGREGATOR_METRICS_MISSING.labels } },
        ],
      },
    ],
  };
}

/** Options of {@link remoteWriteConsumerRules}. */
export interface ConsumerRulesOptions {
  readonly topology: JujuTopology;
  /** This unit and its peers (the consumer reads them from its peer relation). */
  readonly unitNames: Iterable<string>;
  /** The charm's own rule files (as read by `readRuleFiles`). */
  readonly files?: readonly RuleFileSource[] | undefined;
  readonly isSubordinate?: boolean | undefined;
  /** cosl `forward_alert_rules` (default true): when false only an empty rule set is sent. */
  readonly forwardAlertRules?: boolean | undefined;
}

/** The groups a remote-write client publishes as `alert_rules`, and the files it had to skip. */
export function remoteWriteConsumerRules(opts: ConsumerRulesOptions): {
  groups: RuleGroup[];
  problems: RulesProblem[];
} {
  if (opts.forwardAlertRules === false) return { groups: [], problems: [] };
  const generated: RuleFileSource = {
    // A root-level file named after nothing: its official-format group keeps its own name, prefixed
    // with the topology, as `AlertRules.add(..., group_name_prefix=identifier)` does.
    path: "AggregatorHostHealth.rules",
    text: stringify(aggregatorRules(opts.unitNames, opts.isSubordinate)),
  };
  const fromGenerated = buildRuleGroups([generated], { topology: opts.topology });
  const fromFiles = buildRuleGroups(opts.files ?? [], { topology: opts.topology });
  return {
    groups: [...fromGenerated.groups, ...fromFiles.groups],
    problems: [...fromGenerated.problems, ...fromFiles.problems],
  };
}

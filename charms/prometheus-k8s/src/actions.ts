/**
 * Results of the two actions, as pure functions of what the charm observed, so the handlers in
 * the charm only run the command or the decision and pass the values through.
 */
import type { ExecResult } from "./apply.js";
import type { Decision } from "./decide.js";
import { allStatuses, type Findings } from "./status.js";

/** Action results as `action-set` takes them (flat string values). */
export type ActionResults = Readonly<Record<string, string>>;

/** `validate-configuration`: promtool's stdout and stderr; valid when it exited 0 with no stderr. */
export function validateConfigurationResult(r: ExecResult): ActionResults {
  const valid = r.exitCode === 0 && r.stderr.trim() === "";
  return { result: r.stdout, "error-message": r.stderr, valid: valid ? "True" : "False" };
}

/** Message used when the workload cannot be reached for `validate-configuration`. */
export const NO_WORKLOAD = "Could not connect to the Prometheus workload!";

/**
 * `show-config`: the rendered config, the command line, the rule files, and every rejection
 * (options, relations, jobs) with its reason.
 */
export function showConfigResult(decision: Decision, findings: Findings): ActionResults {
  const rejected = [
    ...decision.configProblems.map((p) => `option ${p.option}: ${p.message}`),
    ...[...decision.rejected]
      .sort((a, b) => a.relation.localeCompare(b.relation))
      .map((r) => `relation ${r.relation}${r.remoteApp ? ` (${r.remoteApp})` : ""}: ${r.reason}`),
    ...decision.renderRejected.map((j) => `job ${j.job}: ${j.reason}`),
  ];
  if (decision.retentionSizeError !== undefined) rejected.push(`storage: ${decision.retentionSizeError}`);
  return {
    "prometheus-yml": decision.desired.config,
    command: decision.command,
    "retention-size-from": decision.retentionSizeSource ?? "",
    "rule-files": Object.keys(decision.desired.ruleFiles).join("\n"),
    rejected: rejected.join("\n"),
    statuses: allStatuses(findings)
      .map((s) => `${s.name}: ${s.message}`)
      .join("\n"),
  };
}

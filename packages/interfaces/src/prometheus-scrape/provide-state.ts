/**
 * `prometheus-scrape provide`: what a scrape target's units would write for a provider state file
 * (the fixtures' provider format). Kept apart from the `render` path so that a render run does not
 * load the YAML parser the rule-file loader needs.
 */

import { isAbsolute, resolve } from "node:path";
import { isRecord } from "../common/result.js";
import type { ScrapeJob } from "./jobs.js";
import {
  buildProviderAppData,
  buildProviderUnitData,
  type FeedbackParse,
  parseProviderFeedback,
  visibleKeys,
} from "./provider.js";
import { providerAlertRules, type RuleFileSource, type RulesProblem } from "./rules.js";
import { bag, optStr, relationId, relationsOf, StateFormatError, str } from "./state-format.js";
import { JujuTopology } from "./topology.js";

/** Environment facts a provider state file may leave out, and where `@prom_tests/` points. */
export interface ProvideEnv {
  /** Directory that `@prom_tests/DIR` rule paths resolve in. */
  readonly rulesRoot: string;
  /** Directory relative `alert_rules_path` values resolve against. */
  readonly baseDir: string;
  /** Charm name when the state has no `charm_name`. */
  readonly charmName?: string | undefined;
  /** Bind address when the state has no `bind_address`. */
  readonly bindAddress?: string | undefined;
  /** `socket.getfqdn()` of the target when the state has no `fqdn`. */
  readonly fqdn: string;
}

/** What `provide` prints: per relation id, the bags the target writes (only non-empty keys). */
export interface ProvideOutput {
  relations: Record<string, { app_data?: Record<string, string>; unit_data: Record<string, string> }>;
  problems: RulesProblem[];
  feedback: Record<string, FeedbackParse>;
}

/**
 * Computes what a `MetricsEndpointProvider` unit would write for a provider state:
 * `{model:{name,uuid}, app, unit_id?, leader? (default true), charm_name?, bind_address?, fqdn?,
 * external_url?, jobs?, alert_rules_path?, alert_rule_files?: {relpath: text},
 * forward_alert_rules?, recursive?, relations:[{id, remote_app, units, app_data?}]}`.
 *
 * @throws StateFormatError when the state is malformed (bad rule files are `problems`, not errors).
 */
export function provideFromState(state: unknown, env: ProvideEnv): ProvideOutput {
  if (!isRecord(state)) throw new StateFormatError("state must be a JSON object");
  if (!isRecord(state.model)) throw new StateFormatError("'model' must be an object");
  const app = str(state.app, "app");
  const unitId = state.unit_id ?? 0;
  if (!Number.isInteger(unitId)) throw new StateFormatError("'unit_id' must be an integer");
  const unitName = `${app}/${unitId as number}`;
  const leader = state.leader === undefined ? true : state.leader === true;
  const charmName = optStr(state.charm_name, "charm_name") ?? env.charmName ?? app;
  const topology = new JujuTopology(
    str(state.model.name, "model.name"),
    str(state.model.uuid, "model.uuid"),
    app,
    unitName,
    charmName,
  );
  const jobs = state.jobs ?? [];
  if (!Array.isArray(jobs) || !jobs.every(isRecord))
    throw new StateFormatError("'jobs' must be a list of objects");

  let files: RuleFileSource[] | undefined;
  if (state.alert_rule_files !== undefined) {
    files = Object.entries(bag(state.alert_rule_files, "alert_rule_files")).map(([path, text]) => ({
      path,
      text,
    }));
  }
  const rulesPath = optStr(state.alert_rules_path, "alert_rules_path") ?? "./src/prometheus_alert_rules";
  const rulesDir = rulesPath.startsWith("@prom_tests/")
    ? resolve(env.rulesRoot, rulesPath.slice("@prom_tests/".length))
    : isAbsolute(rulesPath)
      ? rulesPath
      : resolve(env.baseDir, rulesPath);
  const rules = leader
    ? providerAlertRules({
        topology,
        files,
        rulesDir,
        forwardAlertRules: state.forward_alert_rules !== false,
        recursive: state.recursive !== false,
      })
    : { groups: [], problems: [] };
  const appData = leader
    ? buildProviderAppData({ topology, jobs: jobs as ScrapeJob[], alertRules: rules.groups })
    : undefined;
  const unitData = visibleKeys(
    buildProviderUnitData({
      address: optStr(state.bind_address, "bind_address") ?? env.bindAddress,
      unitName,
      externalUrl: optStr(state.external_url, "external_url"),
      fqdn: optStr(state.fqdn, "fqdn") ?? env.fqdn,
    }),
  );
  const out: ProvideOutput = { relations: {}, problems: rules.problems, feedback: {} };
  relationsOf(state).forEach((rel, i) => {
    const id = String(relationId(rel, i));
    out.relations[id] = appData ? { app_data: { ...appData }, unit_data: unitData } : { unit_data: unitData };
    if (leader && rel.app_data !== undefined)
      out.feedback[id] = parseProviderFeedback(bag(rel.app_data, "app_data"));
  });
  return out;
}

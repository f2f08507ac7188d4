/**
 * The unit status, derived from what one reconcile found (collect, render, apply, publish).
 * Blocked beats maintenance beats waiting beats active, as ops' collect-status does; the message
 * names the worst problem and what to do about it, plus how many more there are.
 */
import type { SettableStatusName, Status } from "@charmkit/ops";
import type { ConfigProblem } from "./config.js";

/** The status names a charm sets (the SDK's). */
export type StatusName = SettableStatusName;

/** A unit status: the SDK's `Status`, narrowed to the names a charm sets. */
export type UnitStatus = Status & { readonly name: StatusName };

/** A relation whose data (or part of it) was rejected. */
export interface RejectedRelation {
  /** `endpoint:id`, e.g. `metrics-endpoint:7`. */
  readonly relation: string;
  readonly remoteApp?: string | undefined;
  readonly reason: string;
}

/** Outcome of the apply step. */
export type ApplyOutcome =
  | { readonly kind: "ok" }
  | { readonly kind: "no-container" }
  | { readonly kind: "push-failed"; readonly detail: string }
  | { readonly kind: "invalid-config"; readonly detail: string }
  | { readonly kind: "validate-failed"; readonly detail: string }
  | { readonly kind: "restart-failed"; readonly detail: string }
  | { readonly kind: "reload-pending" }
  | { readonly kind: "reload-failed"; readonly detail: string };

/** What the reconcile found. */
export interface Findings {
  readonly configProblems: readonly ConfigProblem[];
  /** Why the retention size could not be computed, if so. */
  readonly retentionSizeError?: string | undefined;
  readonly rejected: readonly RejectedRelation[];
  readonly apply: ApplyOutcome;
  /**
   * Other findings with their own status: a certificate not issued yet, resource limits that cannot
   * be applied on this platform, a trust store that could not be updated.
   */
  readonly other?: readonly UnitStatus[] | undefined;
}

const RANK: Record<StatusName, number> = { blocked: 3, maintenance: 2, waiting: 1, active: 0 };

function firstLine(s: string): string {
  const line = s.split("\n").find((l) => l.trim() !== "") ?? "";
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

function applyStatus(a: ApplyOutcome): UnitStatus | undefined {
  switch (a.kind) {
    case "ok":
      return undefined;
    case "no-container":
      return { name: "waiting", message: "Waiting for the prometheus container (Pebble) to be ready" };
    case "push-failed":
      return {
        name: "blocked",
        message: `Could not write files to the workload (${firstLine(a.detail)}); check the container, then run juju resolve or wait for update-status`,
      };
    case "invalid-config":
      return {
        name: "blocked",
        message: `promtool rejected the new config, previous config kept: ${firstLine(a.detail)}; run the show-config action for details`,
      };
    case "validate-failed":
      return {
        name: "blocked",
        message: `Could not run promtool in the workload (${firstLine(a.detail)}); check the workload image`,
      };
    case "restart-failed":
      return {
        name: "blocked",
        message: `Prometheus failed to start (${firstLine(a.detail)}); run the validate-configuration action and check the workload logs`,
      };
    case "reload-pending":
      return {
        name: "maintenance",
        message: "Waiting for Prometheus to load its configuration; will retry on update-status",
      };
    case "reload-failed":
      return {
        name: "blocked",
        message: `Prometheus did not load the new configuration (${firstLine(a.detail)}); run the validate-configuration action`,
      };
  }
}

/** Every problem as a status, in a stable order (apply, config, retention, other findings, relations). */
export function allStatuses(f: Findings): UnitStatus[] {
  const out: UnitStatus[] = [];
  const a = applyStatus(f.apply);
  if (a) out.push(a);
  for (const p of f.configProblems) out.push({ name: "blocked", message: p.message });
  if (f.retentionSizeError !== undefined)
    out.push({
      name: "blocked",
      message: `Cannot size retention from the database storage (${f.retentionSizeError}); only metrics_retention_time applies`,
    });
  for (const s of f.other ?? []) out.push(s);
  const rejected = [...f.rejected].sort((x, y) => x.relation.localeCompare(y.relation));
  for (const r of rejected) {
    const who = r.remoteApp ? `${r.relation} (${r.remoteApp})` : r.relation;
    out.push({
      name: "blocked",
      message: `Rejected data from ${who}: ${firstLine(r.reason)}; fix that application's data or remove the relation`,
    });
  }
  return out;
}

/** The unit status: the worst finding, with a count of the others. Active with no message if none. */
export function deriveStatus(f: Findings): UnitStatus {
  const all = allStatuses(f);
  if (all.length === 0) return { name: "active", message: "" };
  let worst = all[0]!;
  for (const s of all) if (RANK[s.name] > RANK[worst.name]) worst = s;
  const more = all.length - 1;
  if (more === 0) return worst;
  return { name: worst.name, message: `${worst.message} (+${more} more; run the show-config action)` };
}

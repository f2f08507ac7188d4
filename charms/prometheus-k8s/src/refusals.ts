/**
 * Relation parts promtool refused, remembered between hooks (in stored state) with a digest of
 * what was refused: while a relation's jobs or rule file stay the same, they stay left out without
 * running promtool again; once they change, they are tried again.
 */
import { createHash } from "node:crypto";
import type { IsolatedPart } from "./apply.js";
import type { Collected, Exclusion } from "./decide.js";
import type { RejectedRelation } from "./status.js";

/** A relation part promtool refused, with a digest of what it was. */
export interface RememberedRefusal extends IsolatedPart {
  readonly digest: string;
}

/** The refusals of a stored JSON list; anything malformed is dropped (it only costs promtool runs). */
export function parseRefusals(text: string): RememberedRefusal[] {
  try {
    const v = JSON.parse(text || "[]") as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter(
      (r): r is RememberedRefusal =>
        typeof r === "object" &&
        r !== null &&
        Number.isInteger(r.relationId) &&
        (r.part === "jobs" || r.part === "rules") &&
        typeof r.reason === "string" &&
        typeof r.digest === "string",
    );
  } catch {
    return [];
  }
}

/** A digest of one relation's jobs, or rule files, as collected. */
export function partDigest(c: Collected, relationId: number, part: "jobs" | "rules"): string {
  const h = createHash("sha256");
  if (part === "jobs") {
    c.jobs.forEach((j, i) => {
      if (c.jobRelations?.[i] === relationId) h.update(JSON.stringify(j));
    });
  } else {
    for (const [key, doc] of Object.entries(c.ruleFiles))
      if (c.ruleFileRelations?.[key] === relationId) h.update(key).update(JSON.stringify(doc));
  }
  return h.digest("hex");
}

/** The refusals that still hold for what was collected now. */
export function currentRefusals(c: Collected, remembered: readonly RememberedRefusal[]): RememberedRefusal[] {
  return remembered.filter((r) => r.digest === partDigest(c, r.relationId, r.part));
}

/** What to leave out for these refusals. */
export function toExclusion(refused: readonly IsolatedPart[]): Exclusion {
  return {
    jobs: new Set(refused.filter((r) => r.part === "jobs").map((r) => r.relationId)),
    rules: new Set(refused.filter((r) => r.part === "rules").map((r) => r.relationId)),
  };
}

/** A refusal as the status and show-config name it. */
export function refusedRelation(r: IsolatedPart, apps: ReadonlyMap<number, string>): RejectedRelation {
  const app = apps.get(r.relationId);
  return {
    relation: `metrics-endpoint:${r.relationId}`,
    remoteApp: app,
    reason: `relation metrics-endpoint:${r.relationId}${app === undefined ? "" : ` (${app})`}: ${r.reason}`,
  };
}

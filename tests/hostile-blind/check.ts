/**
 * The checks every case gets, on the output of either entry point once it is in a common shape
 * (`Output`: scrape jobs, rule files by name, rejection texts): the good relation's jobs and rule
 * files identical to the reference run, the hostile relations' labels consistent with their true
 * topology, the case's own expectations, and promtool's verdict on everything written.
 * Each check returns the list of what is wrong (empty when the behaviour is right).
 */
import { isDeepStrictEqual } from "node:util";
import { type Case, GOOD_ID, type Truth, truths } from "./corpus.js";
import {
  jobTopologyViolations,
  rulesOf,
  ruleStaticViolations,
  targetGroups,
  unbracketedIpv6,
} from "./topology.js";

/** A job as written: a plain object with job_name. */
export type Job = Record<string, unknown>;

/** A rule file as written (render: the JSON of an alert_rules entry) and as parsed. */
export interface RuleFile {
  raw: string;
  parsed: unknown;
}

/** The output of one entry point, in the shape the checks read. */
export interface Output {
  jobs: Job[];
  /** Rule files by name (render: alert_rules keys; charm: file paths): the text and its parse. */
  rules: Map<string, RuleFile>;
  /** Texts that must name rejected relations and must not name the good one. */
  reports: { text: string; relationId?: number | undefined }[];
}

function jobName(j: Job): string {
  return String(j.job_name);
}

/** The good relation's jobs and rule files must be exactly those of the reference run. */
export function goodUnchanged(out: Output, ref: Output, equal: (a: Job, b: Job) => boolean): string[] {
  const problems: string[] = [];
  const refNames = ref.jobs.map(jobName);
  for (const rj of ref.jobs) {
    const same = out.jobs.filter((j) => jobName(j) === jobName(rj));
    if (same.length === 0) problems.push(`good job ${JSON.stringify(jobName(rj))} is missing`);
    else if (same.length > 1)
      problems.push(`good job ${JSON.stringify(jobName(rj))} is shadowed: ${same.length} jobs have its name`);
    else if (!equal(same[0] as Job, rj))
      problems.push(
        `good job ${JSON.stringify(jobName(rj))} changed: ${JSON.stringify(same[0]).slice(0, 300)}`,
      );
  }
  const order = out.jobs.map(jobName).filter((n) => refNames.includes(n));
  if (problems.length === 0 && !isDeepStrictEqual(order, refNames))
    problems.push(`good jobs reordered: ${order.join(", ")}`);
  for (const [name, file] of ref.rules) {
    if (!out.rules.has(name)) problems.push(`good rule file ${name} is missing`);
    else if (out.rules.get(name)?.raw !== file.raw) problems.push(`good rule file ${name} changed`);
  }
  return problems;
}

/** Jobs and rule files that are not the good relation's (as the reference run has them). */
export function hostileParts(out: Output, ref: Output, equal: (a: Job, b: Job) => boolean) {
  const jobs = out.jobs.filter((j) => !ref.jobs.some((rj) => jobName(rj) === jobName(j) && equal(j, rj)));
  const rules = new Map([...out.rules].filter(([name, f]) => ref.rules.get(name)?.raw !== f.raw));
  return { jobs, rules };
}

/**
 * Which hostile relation a job belongs to: the only hostile one, else the one whose application
 * the job's labels name (the first, when one application has several relations with the same
 * topology), else the first trusted aggregator (whose jobs may name any application).
 * undefined when no relation can be told.
 */
function jobOwner(job: Job, hostile: Truth[]): Truth | undefined {
  if (hostile.length === 1) return hostile[0];
  const apps = new Set(targetGroups(job).map((g) => String(g.labels.juju_application ?? "")));
  const owners = hostile.filter((t) => apps.has(t.app));
  const first = owners[0];
  if (!first) return hostile.find((t) => t.trusted);
  const same = owners.every(
    (t) => t.uuid === first.uuid && t.model === first.model && t.trusted === first.trusted,
  );
  return same ? first : undefined;
}

const GOOD_NAMED = new RegExp(`metrics-endpoint:${GOOD_ID}(?!\\d)`);

/** Rejections: the expected ones named with endpoint:id and application, the good and accepted ones silent. */
export function reportChecks(c: Case, out: Output, where: "render" | "charm"): string[] {
  const problems: string[] = [];
  const apps = new Map(c.state.relations.map((r) => [r.id, r.remote_app]));
  const silent = [GOOD_ID, ...(c.expect.accepted ?? [])];
  for (const id of silent) {
    const re = new RegExp(`metrics-endpoint:${id}(?!\\d)`);
    const hits = out.reports.filter((r) => r.relationId === id || re.test(r.text));
    if (hits.length)
      problems.push(
        `relation ${id} (${apps.get(id)}) must be silent but ${where} says: ${JSON.stringify(hits[0]?.text).slice(0, 300)}`,
      );
  }
  const rejected = c.expect.rejected ?? [];
  if (where === "render") {
    for (const id of rejected) {
      const named = out.reports.some(
        (r) => r.text.includes(`metrics-endpoint:${id}`) && r.text.includes(apps.get(id) ?? "\u0000"),
      );
      if (!named)
        problems.push(
          `relation ${id} (${apps.get(id)}) must be rejected with a reason naming metrics-endpoint:${id} and ${apps.get(id)}; rejected: ${JSON.stringify(out.reports.map((r) => r.text)).slice(0, 300)}`,
        );
    }
  } else if (rejected.length) {
    // One status line cannot list everything: it must name a rejected relation, and the only one if there is one.
    const text = out.reports.map((r) => r.text).join("\n");
    const named = rejected.filter((id) => new RegExp(`metrics-endpoint:${id}(?!\\d)`).test(text));
    if (named.length === 0)
      problems.push(
        `unit status must name metrics-endpoint:${rejected.join("/")}; it is ${JSON.stringify(text).slice(0, 300)}`,
      );
  }
  if (
    GOOD_NAMED.test(out.reports.map((r) => r.text).join("\n")) &&
    !problems.some((p) => p.startsWith(`relation ${GOOD_ID} `))
  )
    problems.push(`${where} names the good relation metrics-endpoint:${GOOD_ID}`);
  return problems;
}

function localFileRefs(v: unknown, path: string, out: { path: string; value: string }[], depth = 0): void {
  if (depth > 6 || typeof v !== "object" || v === null) return;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    if (k.endsWith("_file") && typeof x === "string") out.push({ path: p, value: x });
    else localFileRefs(x, p, out, depth + 1);
  }
}

/**
 * The hostile relations' jobs and rules against their true topology and the case's expectations.
 * `fileWritten(path)` says whether a `*_file` path is one the charm wrote from relation data;
 * undefined means the output carries file contents, not paths (render), so only non-TLS file
 * fields count as local reads.
 */
export function hostileChecks(
  c: Case,
  parts: { jobs: Job[]; rules: Map<string, RuleFile> },
  ruleOwner: (name: string) => number | undefined,
  fileWritten: ((path: string) => boolean) | undefined,
): string[] {
  const problems: string[] = [];
  const all = truths(c.state);
  const hostile = [...all.values()].filter((t) => t.id !== GOOD_ID);
  const jobsOf = new Map<number, Job[]>();
  for (const job of parts.jobs) {
    const owner = jobOwner(job, hostile);
    if (!owner) {
      problems.push(
        `job ${JSON.stringify(jobName(job)).slice(0, 100)} belongs to no hostile relation: its labels name no relation's application`,
      );
      continue;
    }
    jobsOf.set(owner.id, [...(jobsOf.get(owner.id) ?? []), job]);
    if (!owner.trusted) problems.push(...jobTopologyViolations(job, owner));
    for (const g of targetGroups(job))
      for (const t of g.targets)
        if (unbracketedIpv6(t))
          problems.push(
            `job ${JSON.stringify(jobName(job)).slice(0, 80)}: target ${JSON.stringify(t)} is an IPv6 address without brackets`,
          );
  }
  for (const id of c.expect.noLocalFileReads ?? []) {
    for (const job of jobsOf.get(id) ?? []) {
      const refs: { path: string; value: string }[] = [];
      localFileRefs(job, "", refs);
      for (const r of refs) {
        const tls = r.path.startsWith("tls_config.");
        const ok = fileWritten ? fileWritten(r.value) : tls;
        if (!ok)
          problems.push(
            `job ${JSON.stringify(jobName(job)).slice(0, 80)} makes Prometheus read local file ${r.value} (${r.path})`,
          );
      }
    }
  }
  const rulesOfRel = new Map<number, Record<string, unknown>[]>();
  for (const [name, file] of parts.rules) {
    const id = ruleOwner(name) ?? (hostile.length === 1 ? hostile[0]?.id : undefined);
    const owner = id === undefined ? undefined : all.get(id);
    if (!owner || owner.id === GOOD_ID) {
      problems.push(`rule file ${name.slice(0, 120)} belongs to no hostile relation`);
      continue;
    }
    const rules = rulesOf(file.parsed);
    rulesOfRel.set(owner.id, [...(rulesOfRel.get(owner.id) ?? []), ...rules]);
    if (!owner.trusted) for (const r of rules) problems.push(...ruleStaticViolations(r, owner));
  }
  for (const [id, want] of Object.entries(c.expect.jobs ?? {})) {
    const n = jobsOf.get(Number(id))?.length ?? 0;
    if (want === "none" && n) problems.push(`relation ${id} must contribute no job, it has ${n}`);
    if (want === "some" && !n) problems.push(`relation ${id} must keep its jobs, it has none`);
  }
  for (const [id, want] of Object.entries(c.expect.rules ?? {})) {
    const n = rulesOfRel.get(Number(id))?.length ?? 0;
    if (want === "none" && n) problems.push(`relation ${id} must contribute no rule, it has ${n}`);
    if (want === "some" && !n) problems.push(`relation ${id} must keep its rules, it has none`);
  }
  const targetsOf = (id: number) =>
    new Set((jobsOf.get(id) ?? []).flatMap((j) => targetGroups(j).flatMap((g) => g.targets)));
  for (const [id, ts] of Object.entries(c.expect.targets ?? {})) {
    const have = targetsOf(Number(id));
    for (const t of ts)
      if (!have.has(t))
        problems.push(
          `relation ${id} must scrape ${t}; it scrapes ${[...have].slice(0, 5).join(", ") || "nothing"}`,
        );
  }
  for (const [id, ts] of Object.entries(c.expect.absentTargets ?? {})) {
    const have = targetsOf(Number(id));
    for (const t of ts) if (have.has(t)) problems.push(`relation ${id} must not scrape ${t}`);
  }
  for (const [id, ls] of Object.entries(c.expect.labels ?? {})) {
    const groups = (jobsOf.get(Number(id)) ?? []).flatMap((j) => targetGroups(j));
    const found = groups.some((g) =>
      Object.entries(ls).every(
        ([k, v]) => g.labels[k] !== undefined && g.labels[k] !== null && String(g.labels[k]) === v,
      ),
    );
    if (!found)
      problems.push(`relation ${id} must have a target group labelled ${JSON.stringify(ls).slice(0, 200)}`);
  }
  return problems;
}

/**
 * Rule-file attribution from the file's name: the Python consumer's `alerts` keys a relation's
 * rules `<identifier>_<relation name>_<relation id>`, so its files end `_metrics-endpoint_<id>`.
 */
export function ownerFromName(name: string): number | undefined {
  const m = /_metrics-endpoint_(\d+)(?:\.rules)?$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * The metrics-endpoint relations' part of the configuration, kept per relation between hooks
 * (issue 13): each relation's rendered scrape jobs, rule file text, rejections and feedback,
 * keyed by everything they derive from (the relation's remote data through the SDK view's digest,
 * its id, application, model, the `event` last written, and every consumer option; see
 * `relationOutcomeKey`). A hook runs the scrape library and the renderer only over the relations
 * whose key changed, so a one-unit change costs that relation, not the model: the others'
 * texts are taken as they are, neither parsed nor validated nor serialised again.
 *
 * Exactness: the result is what {@link consume} over every relation followed by compaction and
 * rendering gives, byte for byte, because everything the library does across relations is
 * checked here first:
 * - the dedupe across relations renames or drops only jobs whose names are shared; each
 *   fragment keeps its jobs' names as the library made them, and when any name is shared by two
 *   relations the whole model is computed again (the library's own dedupe then decides) and no
 *   fragment is kept;
 * - compaction applies above a number of jobs of the whole model: fragments rendered with the
 *   other setting are computed again;
 * - rendering a job depends on the job and the Prometheus major version (in the key) only.
 * They live in a directory of the charm's cache directory, one file per relation and an index
 * of their keys, so a hook writes only the relations it computed (at 2,000 applications all
 * fragments take ~20 MB). A lost, damaged or foreign file (another {@link FORMAT}, another key
 * than the index's) costs computing its relation, or every relation for the index, once; nothing
 * else.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type ConsumerOptions,
  type ConsumerRejection,
  compactUnitJobs,
  consume,
  type RelationHead,
  type RelationOutcome,
  relationOutcomeKey,
  type ScrapeJob,
  type ScrapeRelation,
} from "@charmkit/interfaces/prometheus-scrape";
import { type RenderedJob, renderJob } from "./render.js";
import { renderRulesDoc } from "./rules.js";

/** The directory in the charm's cache directory. */
export const FRAGMENTS_DIR = ".scrape-fragments";
const INDEX = "index.json";
// Bumped whenever what a fragment holds or how it is rendered changes: fragments of another
// format are never reused (an upgraded charm computes every relation once).
const FORMAT = 1;

/** One relation's part, as kept. */
interface Fragment {
  readonly key: string;
  /** The job names the library made, before the dedupe across relations. */
  readonly names: readonly string[];
  readonly jobs: readonly RenderedJob[];
  readonly rule?: { readonly key: string; readonly text: string } | undefined;
  readonly rejected: readonly ConsumerRejection[];
  readonly feedback?: string | undefined;
}

/** What is kept between hooks. */
export interface FragmentDoc {
  readonly format: number;
  /** Whether the jobs were compacted (see {@link ScrapeConfiguration}). */
  readonly compact: boolean;
  readonly relations: Readonly<Record<string, Fragment>>;
}

/** One relation as the charm read it, with the view's digest of its remote data. */
export interface ScrapeInput {
  /** What the relation's key takes from it besides its remote data. */
  readonly rel: RelationHead;
  /** The whole relation, made only for relations that are computed. */
  snapshot(): ScrapeRelation;
  /** `undefined` when unknown: the relation is computed in every hook. */
  readonly dataKey: string | undefined;
}

/** The scrape relations' jobs, rule files, rejections and feedback, in relation order. */
export interface ScrapeConfiguration {
  readonly jobs: readonly RenderedJob[];
  /** The relation each of `jobs` came from. */
  readonly jobRelations: readonly number[];
  readonly ruleFiles: readonly { readonly key: string; readonly relationId: number; readonly text: string }[];
  readonly rejected: readonly ConsumerRejection[];
  readonly feedback: ReadonlyMap<number, string>;
  /** Relations run through the scrape library in this call. */
  readonly computed: number;
  /** What to keep for the next call; `undefined`: keep nothing. */
  readonly next: FragmentDoc | undefined;
  /** Whether `next` differs from what was passed in. */
  readonly changed: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isStringRecord(v: unknown): boolean {
  return isRecord(v) && Object.values(v).every((x) => typeof x === "string");
}

function validJob(j: unknown): boolean {
  return (
    isRecord(j) &&
    j.rendered === true &&
    typeof j.name === "string" &&
    (j.text === undefined || typeof j.text === "string") &&
    (j.reason === undefined || typeof j.reason === "string") &&
    (j.files === undefined || isStringRecord(j.files))
  );
}

function validFragment(f: unknown): boolean {
  if (!isRecord(f) || typeof f.key !== "string") return false;
  if (!Array.isArray(f.names) || !f.names.every((n) => typeof n === "string")) return false;
  if (!Array.isArray(f.jobs) || !f.jobs.every(validJob)) return false;
  if (
    f.rule !== undefined &&
    !(isRecord(f.rule) && typeof f.rule.key === "string" && typeof f.rule.text === "string")
  )
    return false;
  if (f.feedback !== undefined && typeof f.feedback !== "string") return false;
  return (
    Array.isArray(f.rejected) &&
    f.rejected.every((r) => isRecord(r) && typeof r.relationId === "number" && typeof r.reason === "string")
  );
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * The fragments a previous hook kept in `dir`; `undefined` when its index is missing, damaged or
 * of another format. A relation whose file is missing, damaged or holds another key than the
 * index is left out (it is computed again).
 */
export function loadFragments(dir: string): FragmentDoc | undefined {
  const index = readJson(join(dir, INDEX));
  if (
    !isRecord(index) ||
    index.format !== FORMAT ||
    typeof index.compact !== "boolean" ||
    !isRecord(index.keys)
  )
    return undefined;
  const relations: Record<string, Fragment> = {};
  for (const [id, key] of Object.entries(index.keys)) {
    if (!/^\d+$/.test(id) || typeof key !== "string") continue;
    const f = readJson(join(dir, `${id}.json`));
    if (validFragment(f) && (f as Fragment).key === key) relations[id] = f as Fragment;
  }
  return { format: FORMAT, compact: index.compact, relations };
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/**
 * Keeps `doc` in `dir`, writing only the relations whose fragment is not the one `previous` (what
 * {@link loadFragments} gave) holds, and removing the others'; `undefined` removes everything.
 * Failing to write only costs work.
 */
export function saveFragments(dir: string, doc: FragmentDoc | undefined, previous?: FragmentDoc): void {
  try {
    if (doc === undefined) {
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keys: Record<string, string> = {};
    for (const [id, f] of Object.entries(doc.relations)) {
      keys[id] = f.key;
      if (previous?.relations[id] !== f) writeAtomic(join(dir, `${id}.json`), JSON.stringify(f));
    }
    // The index last: a relation file it names is complete (or its key tells it is not).
    writeAtomic(join(dir, INDEX), JSON.stringify({ format: FORMAT, compact: doc.compact, keys }));
    for (const name of readdirSync(dir)) {
      const id = /^(\d+)\.json$/.exec(name)?.[1];
      if (id !== undefined && !(id in keys)) rmSync(join(dir, name), { force: true });
    }
  } catch {
    // Only a cache.
  }
}

function fragmentOf(
  key: string,
  outcome: RelationOutcome | undefined,
  finalJobs: readonly ScrapeJob[],
  compact: boolean,
  major: number,
): Fragment {
  const jobs = (compact ? compactUnitJobs(finalJobs) : finalJobs).map((j) => renderJob(j, major));
  const file = outcome?.ruleFile;
  const text = file === undefined ? undefined : renderRulesDoc({ groups: file.groups });
  return {
    key,
    names: (outcome?.jobs ?? []).map((j) => String(j.job_name)),
    jobs,
    rule: file !== undefined && text !== undefined ? { key: file.key, text } : undefined,
    rejected: outcome?.rejected ?? [],
    feedback: outcome?.feedback,
  };
}

/**
 * The scrape relations' configuration, from the fragments of `previous` where a relation's key is
 * unchanged and from the scrape library for the others. `compactAbove`: jobs are compacted per
 * relation (`compactUnitJobs`) when the model has more than this many.
 */
export function scrapeConfiguration(
  inputs: readonly ScrapeInput[],
  opts: ConsumerOptions,
  previous: FragmentDoc | undefined,
  compactAbove: number,
): ScrapeConfiguration {
  const sorted = [...inputs].sort((a, b) => a.rel.id - b.rel.id);
  const keys = new Map<number, string>();
  for (const i of sorted)
    if (i.dataKey !== undefined) keys.set(i.rel.id, relationOutcomeKey(i.rel, i.dataKey, opts));
  const reuse = new Map<number, Fragment>();
  const kept = previous?.relations ?? {};
  for (const i of sorted) {
    const f = kept[String(i.rel.id)];
    if (f !== undefined && f.key === keys.get(i.rel.id)) reuse.set(i.rel.id, f);
  }
  let attempt = incremental(sorted, keys, reuse, previous, opts, compactAbove);
  // Compaction switched: every relation through the library.
  if (attempt.kind === "compact")
    attempt = incremental(sorted, keys, new Map(), previous, opts, compactAbove);
  if (attempt.kind === "done") return attempt.config;
  // Names shared across relations: the library's own dedupe decides, over the whole model.
  return whole(sorted, opts, compactAbove, previous, attempt.kind === "shared" ? attempt.all : undefined);
}

interface Consumed {
  readonly result: ReturnType<typeof consume>;
  readonly outcomes: ReadonlyMap<number, RelationOutcome>;
}

/** The library over these relations, with each relation's own outcome (before the dedupe). */
function consumeSeeing(rels: readonly ScrapeRelation[], opts: ConsumerOptions): Consumed {
  const outcomes = new Map<number, RelationOutcome>();
  // The memo is used only to see the outcomes: it never answers.
  const result = consume(rels, opts, {
    memo: { get: () => undefined, set: (id, _key, o) => outcomes.set(id, o) },
    dataKey: () => "",
  });
  return { result, outcomes };
}

type Attempt =
  | { readonly kind: "done"; readonly config: ScrapeConfiguration }
  | { readonly kind: "compact" }
  /** `all`: the library's run over every relation, when that is what this attempt made. */
  | { readonly kind: "shared"; readonly all: Consumed | undefined };

/** The relations not in `reuse` through the library, unless its dedupe or compaction would act. */
function incremental(
  sorted: readonly ScrapeInput[],
  keys: ReadonlyMap<number, string>,
  reuse: ReadonlyMap<number, Fragment>,
  previous: FragmentDoc | undefined,
  opts: ConsumerOptions,
  compactAbove: number,
): Attempt {
  const stale = sorted.filter((i) => !reuse.has(i.rel.id));
  const consumed = consumeSeeing(
    stale.map((i) => i.snapshot()),
    opts,
  );
  const { result, outcomes } = consumed;
  const names = new Set<string>();
  let total = 0;
  for (const i of sorted) {
    const own =
      reuse.get(i.rel.id)?.names ?? (outcomes.get(i.rel.id)?.jobs ?? []).map((j) => String(j.job_name));
    for (const n of own) {
      if (names.has(n)) return { kind: "shared", all: reuse.size === 0 ? consumed : undefined };
      names.add(n);
    }
    total += own.length;
  }
  const compact = total > compactAbove;
  if (reuse.size > 0 && previous?.compact !== compact) return { kind: "compact" };
  // Every name is distinct: the library's dedupe kept each job as it was, in relation order.
  const finals = new Map<number, ScrapeJob[]>();
  result.jobs.forEach((job, n) => {
    const id = result.jobRelations[n]!;
    const list = finals.get(id) ?? [];
    list.push(job);
    finals.set(id, list);
  });
  const major = opts.prometheusMajor ?? 3;
  const relations: Record<string, Fragment> = {};
  const out = emptyOutput();
  let changed = previous === undefined || previous.compact !== compact;
  for (const i of sorted) {
    const id = i.rel.id;
    const key = keys.get(id);
    let f = reuse.get(id);
    if (f === undefined) {
      f = fragmentOf(key ?? "", outcomes.get(id), finals.get(id) ?? [], compact, major);
      changed = true;
    }
    if (key !== undefined) relations[String(id)] = f;
    add(out, id, f);
  }
  if (Object.keys(previous?.relations ?? {}).length !== Object.keys(relations).length) changed = true;
  const next: FragmentDoc = { format: FORMAT, compact, relations };
  return { kind: "done", config: { ...out, computed: stale.length, next, changed } };
}

/** The whole model through the library (its dedupe decides), nothing kept. */
function whole(
  sorted: readonly ScrapeInput[],
  opts: ConsumerOptions,
  compactAbove: number,
  previous: FragmentDoc | undefined,
  all: Consumed | undefined,
): ScrapeConfiguration {
  const { result, outcomes } =
    all ??
    consumeSeeing(
      sorted.map((i) => i.snapshot()),
      opts,
    );
  const compact = result.jobs.length > compactAbove;
  const major = opts.prometheusMajor ?? 3;
  const out = emptyOutput();
  const finals = new Map<number, ScrapeJob[]>();
  result.jobs.forEach((job, n) => {
    const id = result.jobRelations[n]!;
    finals.set(id, [...(finals.get(id) ?? []), job]);
  });
  for (const i of sorted) {
    const id = i.rel.id;
    const f = fragmentOf("", outcomes.get(id), finals.get(id) ?? [], compact, major);
    add(out, id, f);
  }
  return { ...out, computed: sorted.length, next: undefined, changed: previous !== undefined };
}

interface Output {
  jobs: RenderedJob[];
  jobRelations: number[];
  ruleFiles: { key: string; relationId: number; text: string }[];
  rejected: ConsumerRejection[];
  feedback: Map<number, string>;
}

function emptyOutput(): Output {
  return { jobs: [], jobRelations: [], ruleFiles: [], rejected: [], feedback: new Map() };
}

function add(out: Output, id: number, f: Fragment): void {
  for (const j of f.jobs) {
    out.jobs.push(j);
    out.jobRelations.push(id);
  }
  if (f.rule !== undefined) out.ruleFiles.push({ key: f.rule.key, relationId: id, text: f.rule.text });
  out.rejected.push(...f.rejected);
  if (f.feedback !== undefined) out.feedback.set(id, f.feedback);
}

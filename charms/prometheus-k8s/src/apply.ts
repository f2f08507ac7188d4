/**
 * The apply step of a reconcile: bring the workload to the rendered state with the least
 * disruption, and never replace a good config with a bad one.
 *
 * 1. Diff the wanted files against the workload's disk; push nothing if nothing changed. With a
 *    {@link PushedStore}, what apply last pushed is remembered by digest with each file's size
 *    and modification time as Pebble lists them: a file whose size and time are the recorded
 *    ones is compared by digest instead of being read back (the 5.7 MiB prometheus.yml and 2,000
 *    rule files of a large model); any other file (a lost record, a restarted workload, a file
 *    someone else wrote) is read and compared as before. Pebble lists times to the second
 *    (api_files.go fileInfoToResult, RFC 3339), so a foreign rewrite of the same size within the
 *    second of our push would go unseen until the next change.
 * 2. Stage the candidate config and rules (`prometheus.yml.new`, `rules.new/`) and check them with
 *    `promtool check config` when the workload has promtool. A rejected candidate is deleted and
 *    the files Prometheus runs with stay as they were (pain point: invalid file left on disk).
 *    With a {@link VerifiedStore}, what promtool accepted is remembered by digest (the document
 *    without its jobs, each job's text, each rule file, the other files); when only jobs and rule
 *    files differ from an accepted candidate, promtool checks the document with the new jobs and
 *    the new rule files alone. That is the whole check: Prometheus validates each scrape job on
 *    its own against the document's globals, job names are unique by construction (render
 *    drops a repeated name), and each rule file is parsed and checked on its own. Any doubt (a
 *    changed document, other files or promtool version, no record, a refusal of the reduced
 *    candidate) checks the whole candidate, whose verdict is the one that counts.
 * 3. When promtool refuses the candidate and the caller says which relation each job and rule
 *    file came from, find the relations responsible (rule files checked one by one with
 *    `promtool check rules`, jobs by bisection over relations with `promtool check config`),
 *    leave those parts out with promtool's message, and apply the rest: one relation's data never
 *    freezes everybody's configuration.
 * 4. Move the candidate into place; replan only when the Pebble service changed (restart), else
 *    `POST /-/reload` with a generous timeout and confirm it (pain points 1, 2 and 8).
 *
 * I/O goes through the small {@link Workload} and {@link PrometheusApi} ports so this logic runs
 * unchanged over Pebble, in the state-transition harness and against in-memory fakes.
 */
import { createHash } from "node:crypto";
import type { LokiLogTarget, LokiTopology } from "@charmkit/interfaces/loki-push-api";
import { applyTrustStore, type TrustStoreResult } from "./ca_store.js";
import { PATHS } from "./flags.js";
import { applyLogForwarding } from "./logging.js";
import { type PrometheusLayer, SERVICE_NAME, serviceChanged } from "./layer.js";
import { assembleConfig, type ConfigParts, configParts, RULE_FILES_GLOB } from "./render.js";
import { diffFiles, noFileChanges, RULES_DIR } from "./rules.js";
import type { ApplyOutcome } from "./status.js";

export const PROMTOOL = "/usr/bin/promtool";
/** The rule files this charm wrote (a JSON list of paths), so cleanup never deletes others'. */
export const RULES_MANIFEST = "/etc/prometheus/rules.managed.json";

function parseManifest(text: string | undefined): Set<string> {
  if (text === undefined) return new Set();
  try {
    const v = JSON.parse(text) as unknown;
    return new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  } catch {
    return new Set();
  }
}
export const STAGED_CONFIG = `${PATHS.config}.new`;
export const STAGED_RULES_DIR = `${RULES_DIR}.new`;

/** Result of running a command in the workload. */
export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What apply needs from the workload container (implemented over Pebble by the charm). */
export interface Workload {
  /** File content, or `undefined` when it does not exist. */
  read(path: string): Promise<string | undefined>;
  /**
   * Size and modification time of the regular files directly in `dir` (none when it does not
   * exist), for the {@link PushedStore}; without it every file is read back.
   */
  stamps?(dir: string): Promise<Map<string, string>>;
  /** {@link read} of several files, in fewer round trips when the workload can. */
  readMany?(paths: readonly string[]): Promise<Map<string, string | undefined>>;
  /** Writes a file, creating parent directories. */
  write(path: string, content: string): Promise<void>;
  /** Removes a file or a directory tree; missing is not an error. */
  remove(path: string): Promise<void>;
  /** Absolute paths of the regular files directly in `dir` (empty when it does not exist). */
  list(dir: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  exec(argv: readonly string[], timeoutMs: number): Promise<ExecResult>;
  /** The planned definition of a service, as Pebble's plan reports it. */
  plannedService(name: string): Promise<Readonly<Record<string, unknown>> | undefined>;
  serviceRunning(name: string): Promise<boolean>;
  addLayer(label: string, layer: PrometheusLayer): Promise<void>;
  replan(): Promise<void>;
  /** Restarts a running service (its definition unchanged). */
  restart(name: string): Promise<void>;
  /** The `log-targets` of the current plan. */
  plannedLogTargets(): Promise<Readonly<Record<string, { services?: readonly string[] | undefined }>>>;
  /** Adds (combines) a layer holding only these log targets. */
  addLogTargets(label: string, targets: Readonly<Record<string, LokiLogTarget>>): Promise<void>;
}

/** Outcome of asking Prometheus to reload. */
export type ReloadResult =
  | { readonly kind: "ok" }
  | { readonly kind: "timeout" }
  | { readonly kind: "failed"; readonly detail: string };

/** What apply needs from Prometheus' HTTP API. */
export interface PrometheusApi {
  /** `POST /-/reload`; Prometheus answers once the reload finished (200) or failed (500). */
  reload(timeoutMs: number): Promise<ReloadResult>;
}

/** The full wanted state of the workload. */
export interface Desired {
  readonly config: string;
  /** Rule files by absolute path under {@link RULES_DIR}. */
  readonly ruleFiles: Readonly<Record<string, string>>;
  /** Other files (TLS material, web config) by absolute path. */
  readonly extraFiles: Readonly<Record<string, string>>;
  /** Files that must not exist (e.g. the web config without TLS). */
  readonly absentFiles: readonly string[];
  /** The CA files of the workload's trust store we manage (see ca_store.ts). */
  readonly trustStore?: Readonly<Record<string, string>> | undefined;
  /** Loki endpoints to forward the workload's logs to (unit name to push URL), when related. */
  readonly logForwarding?:
    | { readonly active: Readonly<Record<string, string>>; readonly topology: LokiTopology }
    | undefined;
  readonly layer: PrometheusLayer;
}

/** Relations whose jobs, or whose rule file, are left out of a candidate. */
export interface Exclusion {
  readonly jobs: ReadonlySet<number>;
  readonly rules: ReadonlySet<number>;
}

/** How to take a candidate apart by relation when promtool refuses it. */
export interface Isolation {
  /** Relations that contribute jobs to the candidate. */
  readonly jobRelations: readonly number[];
  /** Rule file path (under {@link RULES_DIR}) to the relation it came from. */
  readonly ruleFileRelations: ReadonlyMap<string, number>;
  /** The wanted state without the excluded relations' parts. */
  candidate(exclude: Exclusion): Desired;
}

/** A relation's part that promtool refused and that was left out, with promtool's words. */
export interface IsolatedPart {
  readonly relationId: number;
  readonly part: "jobs" | "rules";
  readonly reason: string;
}

/**
 * Where apply keeps what promtool last accepted (see the module comment, step 2). The caller
 * keeps the text (the charm in its cache directory); a lost or damaged record only costs a check
 * of the whole candidate.
 */
export interface VerifiedStore {
  /** What a verdict also depends on: the promtool (workload) version. */
  readonly key: string;
  read(): string | undefined;
  write(text: string): void;
}

/**
 * Where apply keeps what it last pushed (see the module comment, step 1): the caller keeps the
 * text (the charm in its cache directory); a lost or damaged record only costs reading back.
 */
export interface PushedStore {
  read(): string | undefined;
  write(text: string): void;
}

/** Options of {@link apply}. */
export interface ApplyOptions {
  /** A previous reload did not complete: reload even if the files are unchanged. */
  readonly reloadPending?: boolean | undefined;
  readonly reloadTimeoutMs?: number | undefined;
  readonly promtoolTimeoutMs?: number | undefined;
  /** Lets a refused candidate be taken apart by relation (see the module comment). */
  readonly isolate?: Isolation | undefined;
  /** Lets promtool check only what changed since a candidate it accepted. */
  readonly verified?: VerifiedStore | undefined;
  /** Lets unchanged files be compared by digest instead of read back. */
  readonly pushed?: PushedStore | undefined;
}

const PUSHED_FORMAT = 1;

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("base64");
}

/** Path to `[digest, stamp]` of what apply last pushed or found equal; empty when unusable. */
function readPushed(store: PushedStore): Map<string, [string, string]> {
  const out = new Map<string, [string, string]>();
  try {
    const doc = JSON.parse(store.read() ?? "null") as unknown;
    if (typeof doc !== "object" || doc === null || (doc as { format?: unknown }).format !== PUSHED_FORMAT)
      return out;
    const files = (doc as { files?: unknown }).files;
    if (typeof files !== "object" || files === null) return out;
    for (const [p, v] of Object.entries(files)) {
      if (Array.isArray(v) && typeof v[0] === "string" && typeof v[1] === "string") out.set(p, [v[0], v[1]]);
    }
  } catch {
    // A damaged record: everything is read back.
  }
  return out;
}

/** The files whose size and time on disk are the recorded ones: path to recorded digest. */
async function knownFiles(
  w: Workload,
  store: PushedStore | undefined,
): Promise<{ digests: Map<string, string>; stamps: Map<string, string> } | undefined> {
  if (store === undefined || w.stamps === undefined) return undefined;
  const stamps = new Map<string, string>();
  for (const dir of [PATHS.config.slice(0, PATHS.config.lastIndexOf("/")), RULES_DIR])
    for (const [p, st] of await w.stamps(dir)) stamps.set(p, st);
  const digests = new Map<string, string>();
  for (const [p, [digest, stamp]] of readPushed(store)) if (stamps.get(p) === stamp) digests.set(p, digest);
  return { digests, stamps };
}

/** Records the wanted config and rule files as on disk now (call only when they are). */
async function recordPushed(w: Workload, store: PushedStore, desired: Desired): Promise<void> {
  const known = await knownFiles(w, store);
  if (known === undefined) return;
  const files: Record<string, [string, string]> = {};
  for (const [p, content] of [
    [PATHS.config, desired.config],
    ...Object.entries(desired.ruleFiles),
  ] as const) {
    const stamp = known.stamps.get(p);
    if (stamp !== undefined) files[p] = [sha256(content), stamp];
  }
  store.write(JSON.stringify({ format: PUSHED_FORMAT, files }));
}

/** What apply did, for status and for stored state. */
export interface ApplyResult {
  readonly outcome: ApplyOutcome;
  /** Files were pushed or removed. */
  readonly changed: boolean;
  readonly restarted: boolean;
  readonly reloaded: boolean;
  /** The reload must be retried (store it; update-status retries). */
  readonly reloadPending: boolean;
  /** promtool's output for the candidate, when it ran. */
  readonly promtoolOutput?: string | undefined;
  /** Parts left out because promtool refused them; what was applied is the rest. */
  readonly isolated?: readonly IsolatedPart[] | undefined;
  /** What happened to the trust store (a change restarts Prometheus, which reads it at start). */
  readonly trustStore?: TrustStoreResult | undefined;
  /** Why the log forwarding layer could not be set, if so. */
  readonly logForwardingError?: string | undefined;
}

/** Generous by default: large configs take long to load (upstream issue 700). */
export const DEFAULT_RELOAD_TIMEOUT_MS = 120_000;

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function readAll(w: Workload, paths: readonly string[]): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  // One request per hundred files rather than one per file: a rule file per related application.
  if (w.readMany !== undefined && paths.length > 1) {
    const got = await w.readMany(paths);
    for (const p of paths) out[p] = got.get(p);
    return out;
  }
  await Promise.all(
    paths.map(async (p) => {
      out[p] = await w.read(p);
    }),
  );
  return out;
}

/** Applies `desired` to the workload. Never throws: failures become an {@link ApplyOutcome}. */
export async function apply(
  desired: Desired,
  w: Workload,
  api: PrometheusApi,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  // The trust store first: promtool and Prometheus read the CAs the config points at.
  const trustStore = desired.trustStore ? await applyTrustStore(w, desired.trustStore) : undefined;
  const logForwardingError = await forwardLogs(w, desired);
  const core = await applyConfig(desired, w, api, opts, trustStore?.changed === true);
  return { ...core, trustStore, logForwardingError };
}

/** Sets the log forwarding layer; returns why it could not, if so. */
async function forwardLogs(w: Workload, desired: Desired): Promise<string | undefined> {
  if (!desired.logForwarding) return undefined;
  try {
    await applyLogForwarding(w, desired.logForwarding.active, desired.logForwarding.topology);
    return undefined;
  } catch (e) {
    return errText(e);
  }
}

async function applyConfig(
  desired: Desired,
  w: Workload,
  api: PrometheusApi,
  opts: ApplyOptions,
  trustChanged: boolean,
): Promise<ApplyResult> {
  const base = {
    changed: false,
    restarted: false,
    reloaded: false,
    reloadPending: opts.reloadPending ?? false,
  };
  let configChanged: boolean;
  let ruleChanges: ReturnType<typeof diffFiles>;
  let extraChanges: ReturnType<typeof diffFiles>;
  let toRemove: string[];
  let known: Awaited<ReturnType<typeof knownFiles>>;
  try {
    known = await knownFiles(w, opts.pushed);
    const recorded = known?.digests;
    const configDigest = recorded?.get(PATHS.config);
    configChanged =
      configDigest !== undefined
        ? configDigest !== sha256(desired.config)
        : (await w.read(PATHS.config)) !== desired.config;
    // Only files we wrote may go: rule files another charm (the Python one, before a swap) left in
    // the directory are kept unless we write a file of the same name.
    const managed = parseManifest(await w.read(RULES_MANIFEST));
    const listed =
      known !== undefined
        ? [...known.stamps.keys()].filter((p) => p.startsWith(`${RULES_DIR}/`))
        : await w.list(RULES_DIR);
    const ruleNames = listed.filter((p) => managed.has(p) || p in desired.ruleFiles);
    // Files recorded as pushed and unchanged on disk since are compared by digest; others read.
    const onDisk: Record<string, string | undefined> = {};
    const toRead: string[] = [];
    for (const p of ruleNames) {
      const digest = recorded?.get(p);
      const want = desired.ruleFiles[p];
      if (digest === undefined) toRead.push(p);
      else onDisk[p] = want !== undefined && digest === sha256(want) ? want : undefined;
    }
    Object.assign(onDisk, await readAll(w, toRead));
    ruleChanges = diffFiles(desired.ruleFiles, onDisk);
    extraChanges = diffFiles(desired.extraFiles, await readAll(w, Object.keys(desired.extraFiles)));
    toRemove = [];
    for (const p of desired.absentFiles) if (await w.exists(p)) toRemove.push(p);
  } catch (e) {
    return {
      ...base,
      outcome: { kind: "push-failed", detail: `reading the workload's files: ${errText(e)}` },
    };
  }
  const filesChanged =
    configChanged || !noFileChanges(ruleChanges) || !noFileChanges(extraChanges) || toRemove.length > 0;

  let promtoolOutput: string | undefined;
  if (filesChanged) {
    try {
      // TLS material first: the candidate refers to it and promtool checks that it exists.
      for (const [p, c] of Object.entries(extraChanges.write)) await w.write(p, c);
      for (const p of toRemove) await w.remove(p);
    } catch (e) {
      return { ...base, outcome: { kind: "push-failed", detail: errText(e) } };
    }

    if (configChanged || !noFileChanges(ruleChanges)) {
      const timeout = opts.promtoolTimeoutMs ?? 60_000;
      const check = await checkCandidate(desired, w, timeout, opts.verified);
      if (check.kind !== "ok") {
        // Taken apart by relation: apply what promtool accepts, leave out (and name) the rest.
        const isolated =
          check.outcome.kind === "invalid-config" && opts.isolate
            ? await isolateRefused(desired, w, opts.isolate, timeout)
            : undefined;
        if (isolated === undefined || isolated.length === 0)
          return { ...base, outcome: check.outcome, promtoolOutput: check.output };
        const jobs = new Set(isolated.filter((p) => p.part === "jobs").map((p) => p.relationId));
        const rules = new Set(isolated.filter((p) => p.part === "rules").map((p) => p.relationId));
        const rest = await apply(opts.isolate!.candidate({ jobs, rules }), w, api, {
          ...opts,
          isolate: undefined,
        });
        return { ...rest, isolated: [...isolated, ...(rest.isolated ?? [])] };
      }
      promtoolOutput = check.output;
      try {
        for (const [p, c] of Object.entries(ruleChanges.write)) await w.write(p, c);
        for (const p of ruleChanges.remove) await w.remove(p);
        await w.write(RULES_MANIFEST, `${JSON.stringify(Object.keys(desired.ruleFiles).sort())}\n`);
        if (configChanged) await w.write(PATHS.config, desired.config);
      } catch (e) {
        return { ...base, outcome: { kind: "push-failed", detail: errText(e) } };
      }
    }
  }
  // The config and rule files on disk are the wanted ones now: recorded when pushed, or when some
  // had to be read back (no record of them yet).
  const complete = known !== undefined && known.digests.size === 1 + Object.keys(desired.ruleFiles).length;
  if (opts.pushed !== undefined && (filesChanged || !complete)) {
    try {
      await recordPushed(w, opts.pushed, desired);
    } catch {
      // Only a record: the next hook reads back what it cannot vouch for.
    }
  }

  let needRestart: boolean;
  try {
    const planned = await w.plannedService(SERVICE_NAME);
    needRestart =
      serviceChanged(planned, desired.layer.services.prometheus) || !(await w.serviceRunning(SERVICE_NAME));
  } catch (e) {
    return { ...base, changed: filesChanged, outcome: { kind: "restart-failed", detail: errText(e) } };
  }
  if (needRestart || trustChanged) {
    try {
      if (needRestart) {
        await w.addLayer("prometheus", desired.layer);
        await w.replan();
      } else {
        // New CAs: Go reads the system roots once per process, so only a restart makes them count.
        await w.restart(SERVICE_NAME);
      }
    } catch (e) {
      return {
        ...base,
        changed: filesChanged,
        outcome: { kind: "restart-failed", detail: errText(e) },
        promtoolOutput,
      };
    }
    // A (re)start reads the current files, so any pending reload is satisfied.
    return {
      changed: filesChanged,
      restarted: true,
      reloaded: false,
      reloadPending: false,
      outcome: { kind: "ok" },
      promtoolOutput,
    };
  }

  if (!filesChanged && !opts.reloadPending) {
    return { ...base, reloadPending: false, outcome: { kind: "ok" } };
  }
  const r = await api.reload(opts.reloadTimeoutMs ?? DEFAULT_RELOAD_TIMEOUT_MS);
  const common = { changed: filesChanged, restarted: false, promtoolOutput };
  switch (r.kind) {
    case "ok":
      return { ...common, reloaded: true, reloadPending: false, outcome: { kind: "ok" } };
    case "timeout":
      return { ...common, reloaded: false, reloadPending: true, outcome: { kind: "reload-pending" } };
    case "failed":
      return {
        ...common,
        reloaded: false,
        reloadPending: true,
        outcome: { kind: "reload-failed", detail: r.detail },
      };
  }
}

/** promtool's message without the file names of the staging area, bounded. */
function promtoolMessage(out: string): string {
  const text = out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^Checking /.test(l) && !/^(SUCCESS|FAILED)[:!]?$/.test(l))
    .join("; ")
    .replaceAll(`${STAGED_RULES_DIR}/`, "")
    .replaceAll(STAGED_CONFIG, "prometheus.yml");
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

/**
 * Finds the relations whose parts make promtool refuse `desired`: its rule files checked one by
 * one (`promtool check rules` reports each file), then its jobs by bisection over relations, each
 * step a `promtool check config` of the configuration with only some relations' jobs and no rule
 * files. Returns nothing when the refusal cannot be pinned on relations (e.g. the configuration
 * is refused without any relation's jobs), so the caller keeps the running configuration.
 */
async function isolateRefused(
  desired: Desired,
  w: Workload,
  iso: Isolation,
  timeoutMs: number,
): Promise<IsolatedPart[] | undefined> {
  const found: IsolatedPart[] = [];
  try {
    // Rule files: one promtool run checks them all and reports each.
    const staged = new Map<string, string>();
    await w.remove(STAGED_RULES_DIR);
    for (const [p, c] of Object.entries(desired.ruleFiles)) {
      const s = `${STAGED_RULES_DIR}/${p.slice(RULES_DIR.length + 1)}`;
      await w.write(s, c);
      staged.set(s, p);
    }
    if (staged.size > 0) {
      const r = await w.exec([PROMTOOL, "check", "rules", ...staged.keys()], timeoutMs);
      if (r.exitCode !== 0) {
        // promtool writes "Checking <file>" and, for a file it accepts, "SUCCESS" to stdout, and
        // each refusal to stderr: "FAILED:" then lines that start with the file's name. Pebble
        // returns the two streams apart (split-stderr), so a refusal is matched to its file by
        // name, not by where it falls after the stdout reports.
        const refusals = r.stderr
          .split(/^\s*FAILED:\s*$/m)
          .map((t) => t.trim())
          .filter((t) => t !== "");
        for (const report of r.stdout.split(/^Checking /m).slice(1)) {
          const file = report.split("\n")[0]!.trim();
          const path = staged.get(file);
          const id = path === undefined ? undefined : iso.ruleFileRelations.get(path);
          if (id === undefined || /SUCCESS/.test(report)) continue;
          const why = refusals.find((t) => t.startsWith(`${file}:`)) ?? report.slice(file.length);
          found.push({
            relationId: id,
            part: "rules",
            reason: `promtool refused its rules: ${promtoolMessage(why)}`,
          });
        }
      }
    }
    const ruleExcluded = new Set(found.map((p) => p.relationId));
    const none = new Set<number>();
    const all = new Set(iso.ruleFileRelations.values());
    // Jobs: checked without any rule file, so only jobs can be at fault.
    const jobsOnly = async (keep: readonly number[]): Promise<{ ok: boolean; out: string }> => {
      const drop = new Set(iso.jobRelations.filter((id) => !keep.includes(id)));
      const config = iso.candidate({ jobs: drop, rules: all }).config;
      await w.remove(STAGED_RULES_DIR);
      await w.write(STAGED_CONFIG, config.split(RULE_FILES_GLOB).join(`${STAGED_RULES_DIR}/juju_*.rules`));
      const r = await w.exec([PROMTOOL, "check", "config", STAGED_CONFIG], timeoutMs);
      return { ok: r.exitCode === 0, out: `${r.stdout}\n${r.stderr}` };
    };
    const withRulesOut = iso.candidate({ jobs: none, rules: ruleExcluded });
    const again = await validateCandidate(withRulesOut, w, timeoutMs);
    if (again.kind === "ok") return found;
    if (!(await jobsOnly([])).ok) return undefined;
    const bisect = async (ids: readonly number[]): Promise<void> => {
      if (ids.length === 0) return;
      const r = await jobsOnly(ids);
      if (r.ok) return;
      if (ids.length === 1) {
        found.push({
          relationId: ids[0]!,
          part: "jobs",
          reason: `promtool refused its jobs: ${promtoolMessage(r.out)}`,
        });
        return;
      }
      const half = Math.ceil(ids.length / 2);
      await bisect(ids.slice(0, half));
      await bisect(ids.slice(half));
    };
    await bisect(iso.jobRelations);
  } catch {
    return undefined;
  } finally {
    await w.remove(STAGED_CONFIG).catch(() => undefined);
    await w.remove(STAGED_RULES_DIR).catch(() => undefined);
  }
  return found;
}

type CheckResult =
  | { kind: "ok"; output?: string | undefined }
  | { kind: "bad"; outcome: ApplyOutcome; output?: string | undefined };

/** What promtool accepted, by digest (see {@link VerifiedStore}). */
interface VerifiedRecord {
  readonly key: string;
  readonly head: string;
  readonly files: string;
  readonly jobs: readonly string[];
  readonly rules: readonly string[];
}

function digest(...texts: string[]): string {
  const h = createHash("sha256");
  for (const t of texts) h.update(t).update("\0");
  return h.digest("base64");
}

function recordOf(desired: Desired, parts: ConfigParts, key: string): VerifiedRecord {
  const extra = Object.keys(desired.extraFiles)
    .sort()
    .map((p) => [p, desired.extraFiles[p]]);
  return {
    key,
    head: digest(parts.head),
    files: digest(JSON.stringify([extra, [...desired.absentFiles].sort()])),
    jobs: parts.jobs.map((j) => digest(j)),
    rules: Object.entries(desired.ruleFiles).map(([p, c]) => digest(p, c)),
  };
}

function parseRecord(text: string | undefined): VerifiedRecord | undefined {
  try {
    const r = JSON.parse(text ?? "") as Partial<VerifiedRecord>;
    const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
    if (
      typeof r.key === "string" &&
      typeof r.head === "string" &&
      typeof r.files === "string" &&
      strings(r.jobs) &&
      strings(r.rules)
    )
      return r as VerifiedRecord;
  } catch {
    // No record: the whole candidate is checked.
  }
  return undefined;
}

/**
 * {@link validateCandidate}, of only what changed since the last accepted candidate when the
 * store allows it (see the module comment); remembers an accepted candidate.
 */
async function checkCandidate(
  desired: Desired,
  w: Workload,
  timeoutMs: number,
  store: VerifiedStore | undefined,
): Promise<CheckResult> {
  const parts = store === undefined ? undefined : configParts(desired.config);
  if (store === undefined || parts === undefined) return validateCandidate(desired, w, timeoutMs);
  const now = recordOf(desired, parts, store.key);
  const before = parseRecord(store.read());
  let check: CheckResult | undefined;
  if (before?.key === now.key && before.head === now.head && before.files === now.files) {
    const okJobs = new Set(before.jobs);
    const okRules = new Set(before.rules);
    const jobs = parts.jobs.filter((_, i) => !okJobs.has(now.jobs[i]!));
    const ruleFiles: Record<string, string> = {};
    Object.entries(desired.ruleFiles).forEach(([p, c], i) => {
      if (!okRules.has(now.rules[i]!)) ruleFiles[p] = c;
    });
    const reduced = { ...desired, config: assembleConfig(parts.head, jobs), ruleFiles };
    const r = await validateCandidate(reduced, w, timeoutMs);
    if (r.kind === "ok") check = r;
  }
  check ??= await validateCandidate(desired, w, timeoutMs);
  // Only a verdict promtool gave is remembered (without promtool nothing was checked).
  if (check.kind === "ok" && check.output !== undefined) {
    try {
      store.write(JSON.stringify(now));
    } catch {
      // Only a cache.
    }
  }
  return check;
}

/**
 * Stages the candidate config (pointing at staged rules) and runs promtool on it. Without
 * promtool in the workload the candidate is accepted unchecked, as nothing better is possible.
 */
async function validateCandidate(desired: Desired, w: Workload, timeoutMs: number): Promise<CheckResult> {
  let hasPromtool: boolean;
  try {
    hasPromtool = await w.exists(PROMTOOL);
  } catch (e) {
    return { kind: "bad", outcome: { kind: "validate-failed", detail: errText(e) } };
  }
  if (!hasPromtool) return { kind: "ok" };
  const stagedGlob = `${STAGED_RULES_DIR}/juju_*.rules`;
  const candidate = desired.config.split(RULE_FILES_GLOB).join(stagedGlob);
  try {
    await w.remove(STAGED_RULES_DIR);
    for (const [p, c] of Object.entries(desired.ruleFiles)) {
      await w.write(`${STAGED_RULES_DIR}/${p.slice(RULES_DIR.length + 1)}`, c);
    }
    await w.write(STAGED_CONFIG, candidate);
    const r = await w.exec([PROMTOOL, "check", "config", STAGED_CONFIG], timeoutMs);
    const output = `${r.stdout}${r.stderr}`.trim();
    if (r.exitCode !== 0) {
      const why = r.stderr.trim() || r.stdout.trim() || `promtool exited with ${r.exitCode}`;
      return { kind: "bad", outcome: { kind: "invalid-config", detail: why }, output };
    }
    return { kind: "ok", output };
  } catch (e) {
    return { kind: "bad", outcome: { kind: "validate-failed", detail: errText(e) } };
  } finally {
    await w.remove(STAGED_CONFIG).catch(() => undefined);
    await w.remove(STAGED_RULES_DIR).catch(() => undefined);
  }
}

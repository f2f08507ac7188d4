/**
 * The blind hostile-input corpus (testdata/hostile-blind, described in its README.md): loading a
 * case, expanding the macros that keep big inputs small on disk, and what Juju vouches for about
 * each relation (its true topology), which every output label is checked against.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A relation in the consumer fixture format (`prometheus-scrape render`'s input). */
export interface CaseRelation {
  id: number;
  remote_app: string;
  app_data: Record<string, string>;
  units: Record<string, Record<string, string>>;
  remote_model_uuid?: string;
  /** Macro: `count` units `<remote_app>/N` whose bag is `bag` with @@N@@ and @@IP4@@ filled in. */
  units_generate?: { count: number; bag: Record<string, string> };
}

/** The model state of a case (consumer fixture format). */
export interface CaseState {
  model: { name: string; uuid: string };
  leader?: boolean;
  config?: Record<string, string | number | boolean>;
  relations: CaseRelation[];
}

/** What must happen, in behavioural terms (README.md lists the meaning of every field). */
export interface Expectation {
  behaviour: string[];
  rejected?: number[];
  accepted?: number[];
  jobs?: Record<string, "none" | "some">;
  rules?: Record<string, "none" | "some">;
  targets?: Record<string, string[]>;
  absentTargets?: Record<string, string[]>;
  labels?: Record<string, Record<string, string>>;
  noLocalFileReads?: number[];
  note?: string;
}

/** One corpus case. */
export interface Case {
  id: string;
  file: string;
  class: string;
  description: string;
  state: CaseState;
  expect: Expectation;
}

/** The relation every case shares; its output must not change whatever the others send. */
export const GOOD_ID = 1;

/** Every case file in `dir`, sorted by name, macros not yet expanded. */
export function listCases(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => join(dir, f));
}

/** Reads one case file and expands its macros. */
export function loadCase(file: string): Case {
  const raw = JSON.parse(readFileSync(file, "utf8")) as Omit<Case, "id" | "file">;
  const id = file.slice(file.lastIndexOf("/") + 1, -".json".length);
  const state = expandState(raw.state);
  return { ...raw, id, file, state };
}

const MACRO = /@@(REPEAT|SEQ)\|(\d+)\|([\s\S]*?)@@/g;

/**
 * Expands `@@REPEAT|n|text@@` (text n times) and `@@SEQ|n|sep|template@@` (template n times with
 * `#` replaced by 0..n-1, joined by the URI-decoded sep) in one string.
 */
export function expandString(s: string): string {
  if (!s.includes("@@")) return s;
  return s.replace(MACRO, (_m, kind: string, count: string, body: string) => {
    const n = Number(count);
    if (kind === "REPEAT") return body.repeat(n);
    const cut = body.indexOf("|");
    const sep = decodeURIComponent(body.slice(0, cut));
    const template = body.slice(cut + 1);
    const parts: string[] = new Array(n);
    for (let i = 0; i < n; i++) parts[i] = template.replaceAll("#", String(i));
    return parts.join(sep);
  });
}

function expandBag(bag: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(bag)) out[expandString(k)] = expandString(v);
  return out;
}

/** An IPv4 address for generated unit N (10.100.0.0/14, distinct for N < 2^18). */
export function generatedIp(n: number): string {
  return `10.${100 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

function expandState(s: CaseState): CaseState {
  return {
    ...s,
    relations: s.relations.map((r) => {
      const units: Record<string, Record<string, string>> = {};
      for (const [name, bag] of Object.entries(r.units)) units[name] = expandBag(bag);
      if (r.units_generate) {
        const { count, bag } = r.units_generate;
        for (let i = 0; i < count; i++) {
          const b: Record<string, string> = {};
          for (const [k, v] of Object.entries(bag))
            b[k] = v.replaceAll("@@N@@", String(i)).replaceAll("@@IP4@@", generatedIp(i));
          units[`${r.remote_app}/${i}`] = b;
        }
      }
      const { units_generate: _g, ...rest } = r;
      return { ...rest, app_data: expandBag(r.app_data), units };
    }),
  };
}

/** What Juju vouches for about one relation. */
export interface Truth {
  id: number;
  app: string;
  uuid: string;
  /** The model name, only for same-model relations (a remote model's name is not vouched for). */
  model: string | undefined;
  units: ReadonlySet<string>;
  trusted: boolean;
}

/** The applications named in the charm option `trusted_aggregators`. */
export function trustedApps(s: CaseState): Set<string> {
  const v = s.config?.trusted_aggregators;
  if (typeof v !== "string") return new Set();
  return new Set(
    v
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  );
}

/** The true topology of every relation of a case, by relation id. */
export function truths(s: CaseState): Map<number, Truth> {
  const trusted = trustedApps(s);
  const out = new Map<number, Truth>();
  for (const r of s.relations) {
    out.set(r.id, {
      id: r.id,
      app: r.remote_app,
      uuid: r.remote_model_uuid ?? s.model.uuid,
      model: r.remote_model_uuid ? undefined : s.model.name,
      units: new Set(Object.keys(r.units)),
      trusted: trusted.has(r.remote_app),
    });
  }
  return out;
}

/** The case's state with only the good relation: the reference run. */
export function goodOnly(s: CaseState): CaseState {
  return { ...s, relations: s.relations.filter((r) => r.id === GOOD_ID) };
}

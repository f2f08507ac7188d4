/**
 * Alert rule files on disk (as the Python consumer's `alerts` writes them): one `juju_<key>.rules` per relation plus the charm's own
 * self-monitoring rules, and the changes that turn what is on disk into that set (write the changed
 * ones, remove the stale ones) so unchanged rules cause no reload.
 */
import { dumpYaml, fileStem } from "./render.js";
import { memoDump } from "./yaml-memo.js";

export const RULES_DIR = "/etc/prometheus/rules";

/**
 * An official rules document, `{groups: [...]}`, or one already rendered by
 * {@link renderRulesDoc} (the charm keeps those between hooks for relations whose data did not
 * change).
 */
export type RulesDoc = Readonly<{ groups: readonly unknown[] }> | Readonly<{ text: string }>;

/**
 * A rule file's text; `undefined` for a document without groups, which gets no file (an empty
 * file would still be valid, but it would only add noise).
 */
export function renderRulesDoc(doc: RulesDoc): string | undefined {
  if ("text" in doc) return doc.text;
  if (!Array.isArray(doc.groups) || doc.groups.length === 0) return undefined;
  // Remembered between hooks: only the files whose rules changed are serialised.
  return memoDump({ groups: doc.groups }, dumpYaml);
}

/**
 * File name of a rule key: `juju_<key>.rules`, the Python charm's name, for every key made of
 * safe characters and of a sane length; others (the key comes from remote data: model, group and
 * application names) get their safe characters plus a hash, unique and short enough for any file
 * system.
 */
export function ruleFileName(key: string): string {
  return `juju_${fileStem(key)}.rules`;
}

/**
 * Renders the rule files. Entries with no groups produce no file (an empty file would still be
 * valid, but it would only add noise).
 * @returns absolute path to YAML content, sorted by path.
 */
export function renderRuleFiles(entries: Readonly<Record<string, RulesDoc>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(entries).sort()) {
    const text = renderRulesDoc(entries[key]!);
    if (text !== undefined) out[`${RULES_DIR}/${ruleFileName(key)}`] = text;
  }
  return out;
}

/** What to change on disk to reach the wanted rule files. */
export interface FileChanges {
  /** Paths to (re)write with their content. */
  readonly write: Readonly<Record<string, string>>;
  /** Paths to delete. */
  readonly remove: readonly string[];
}

/**
 * Diffs wanted files against those on disk. `onDisk` maps path to content, or to `undefined`
 * when only the name is known (it is then rewritten to be safe).
 */
export function diffFiles(
  wanted: Readonly<Record<string, string>>,
  onDisk: Readonly<Record<string, string | undefined>>,
): FileChanges {
  const write: Record<string, string> = {};
  for (const path of Object.keys(wanted).sort()) {
    if (onDisk[path] !== wanted[path]) write[path] = wanted[path]!;
  }
  const remove = Object.keys(onDisk)
    .filter((p) => !(p in wanted))
    .sort();
  return { write, remove };
}

/** True when `changes` writes and removes nothing. */
export function noFileChanges(changes: FileChanges): boolean {
  return Object.keys(changes.write).length === 0 && changes.remove.length === 0;
}

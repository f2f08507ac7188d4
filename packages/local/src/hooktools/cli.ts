/**
 * The command-line layer every hook tool shares, as Juju's jujuc has it: gnuflag's parsing
 * (GNU-style `--long[=v]`, bundled single-letter `-abc`, `-rVALUE`, flags interspersed with
 * arguments, `--` ending the flags), juju/cmd's exit codes (2 for flag and argument errors, 1 for
 * failures while running, 0 with the help text for `-h`/`--help`), its `ERROR <text>` messages
 * with flags called "option", and the `--format` writers (smart, yaml, json) with `-o/--output`.
 * Go's formatting of quoted strings and JSON is reproduced where it shows in the output.
 */
import { writeFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { stringify as stringifyYaml } from "yaml";

/** A tool failure: printed as `ERROR <message>`; `code` 2 for usage errors, 1 otherwise. */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
    this.name = "ToolError";
  }
}

/** A usage error (flag parsing or arguments), which juju/cmd reports with exit code 2. */
export function usage(message: string): ToolError {
  return new ToolError(message, 2);
}

/** How one flag takes its value. `set` may throw an Error whose message follows "for option -x: ". */
export type FlagKind =
  | { readonly kind: "bool" }
  | { readonly kind: "string"; readonly set?: (value: string) => unknown };

/** Flags by every name they answer to (aliases map to the same canonical name). */
export interface FlagSpec {
  /** canonical name to kind */
  readonly flags: Readonly<Record<string, FlagKind>>;
  /** alias to canonical name (e.g. `r: "relation"`) */
  readonly aliases?: Readonly<Record<string, string>>;
}

/** Parsed flags (by canonical name: string, boolean, or what `set` returned) and positional arguments. */
export interface ParsedArgs {
  readonly values: ReadonlyMap<string, unknown>;
  readonly args: readonly string[];
  /** `-h`/`--help` was given and is not a defined flag. */
  readonly help: boolean;
}

/** Go's strconv.ParseBool. */
function parseBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

/** gnuflag's name display: one letter with `-`, longer names with `--`. */
function dashed(name: string): string {
  return [...name].length > 1 ? `--${name}` : `-${name}`;
}

/**
 * Parses argv as gnuflag does with interspersed flags allowed (juju/cmd's default).
 * @throws ToolError (code 2) with gnuflag's message, "flag" called "option" as jujuc does
 */
export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const values = new Map<string, unknown>();
  const args: string[] = [];
  const canonical = (name: string): string | undefined => {
    if (name in spec.flags) return name;
    const a = spec.aliases?.[name];
    return a !== undefined && a in spec.flags ? a : undefined;
  };
  let help = false;
  let i = 0;
  const apply = (name: string, long: boolean, inline: string | undefined): void => {
    const canon = canonical(name);
    if (canon === undefined) {
      if (name === "help" || name === "h") {
        help = true;
        return;
      }
      throw usage(`option provided but not defined: ${dashed(name)}`);
    }
    const kind = spec.flags[canon]!;
    if (kind.kind === "bool" && (inline === undefined || !inline.startsWith("="))) {
      values.set(canon, true);
      if (inline !== undefined && inline !== "") pending = inline;
      return;
    }
    let value: string | undefined;
    if (inline !== undefined && inline !== "") value = long ? inline.slice(1) : inline;
    else if (i < argv.length) value = argv[i++];
    if (value === undefined) throw usage(`option needs an argument: ${dashed(name)}`);
    if (kind.kind === "bool") {
      const b = parseBool(value);
      if (b === undefined) {
        throw usage(
          `invalid value ${goQuote(value)} for option ${dashed(name)}: strconv.ParseBool: parsing ${goQuote(value)}: invalid syntax`,
        );
      }
      values.set(canon, b);
      return;
    }
    if (kind.set === undefined) {
      values.set(canon, value);
      return;
    }
    try {
      values.set(canon, kind.set(value));
    } catch (e) {
      throw usage(`invalid value ${goQuote(value)} for option ${dashed(name)}: ${(e as Error).message}`);
    }
  };
  // Letters still to process from a bundle such as `-ab` (gnuflag's procFlag).
  let pending: string | undefined;
  while (i < argv.length || pending !== undefined) {
    if (pending !== undefined) {
      const letter = String.fromCodePoint(pending.codePointAt(0)!);
      const rest = pending.slice(letter.length);
      pending = undefined;
      apply(letter, false, rest === "" ? undefined : rest);
      continue;
    }
    const a = argv[i++]!;
    if (a === "-" || a === "" || !a.startsWith("-")) {
      args.push(a);
      continue;
    }
    if (a === "--") {
      args.push(...argv.slice(i));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq === 2) throw usage(`empty option in argument ${goQuote(a)}`);
      if (eq < 0) apply(a.slice(2), true, undefined);
      else apply(a.slice(2, eq), true, a.slice(eq));
      continue;
    }
    const body = a.slice(1);
    const letter = String.fromCodePoint(body.codePointAt(0)!);
    const rest = body.slice(letter.length);
    apply(letter, false, rest === "" ? undefined : rest);
  }
  return { values, args, help };
}

/** juju/cmd's CheckEmpty. */
export function checkEmpty(args: readonly string[]): void {
  if (args.length > 0) throw usage(`unrecognized args: [${args.map(goQuote).join(" ")}]`);
}

/** Go's `%q` of a string (strconv.Quote). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\x07") out += "\\a";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\v") out += "\\v";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad || c === 0xfeff)
      out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * Go's encoding/json output: as JSON.stringify, plus the HTML-safe escapes Go applies by default
 * (`<`, `>`, `&`, U+2028, U+2029). Object keys keep the order given (build maps sorted, as Go
 * sorts map keys, and structs in field order).
 */
export function goJson(value: unknown): string {
  return (JSON.stringify(value) ?? "null").replace(/[<>&\u2028\u2029]/g, (ch) => {
    return `\\u${ch.codePointAt(0)!.toString(16).padStart(4, "0")}`;
  });
}

/** A map with its keys sorted, as Go's encoders write maps. */
export function sortedMap<T>(m: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

/** A `--format` value: juju/cmd's smart, yaml and json formatters. */
export type Formatter = "smart" | "yaml" | "json";

/** Output in yaml.v2's shape (YAML 1.1 quoting, no trailing blank lines); nothing for null. */
export function goYaml(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = stringifyYaml(value, { version: "1.1", lineWidth: 0 }).replace(/\n+$/, "");
  return text === "" ? "" : `${text}\n`;
}

/** juju/cmd's FormatSmart: strings as they are, string lists one per line, bools True/False. */
export function goSmart(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s: string;
  if (typeof value === "string") s = value;
  else if (Array.isArray(value) && value.every((v) => typeof v === "string")) s = value.join("\n");
  else if (typeof value === "boolean") s = value ? "True" : "False";
  else return goYaml(value);
  return s === "" ? "" : `${s}\n`;
}

/** Renders `value` with the chosen formatter. */
export function formatValue(format: Formatter, value: unknown): string {
  if (format === "json") return `${goJson(value === undefined ? null : value)}\n`;
  if (format === "yaml") return goYaml(value);
  return goSmart(value);
}

/** The `--format`/`-o`/`--output` flags of a tool that writes structured output. */
export function outputFlags(formats: readonly Formatter[]): Record<string, FlagKind> {
  const set = (v: string) => {
    if (!formats.includes(v as Formatter)) throw new Error(`unknown format ${goQuote(v)}`);
    return v;
  };
  return { format: { kind: "string", set }, o: { kind: "string" }, output: { kind: "string" } };
}

/**
 * Writes `value` as juju/cmd's Output does: to stdout, or to the file named by `-o/--output`
 * (relative to the tool's working directory).
 */
export function writeOutput(
  parsed: ParsedArgs,
  defaultFormat: Formatter,
  value: unknown,
  cwd: string,
): string {
  const format = (parsed.values.get("format") as Formatter | undefined) ?? defaultFormat;
  const text = formatValue(format, value);
  const path = (parsed.values.get("output") ?? parsed.values.get("o")) as string | undefined;
  if (path === undefined || path === "") return text;
  const target = isAbsolute(path) ? path : resolve(cwd, path);
  try {
    writeFileSync(target, text);
  } catch (e) {
    throw new ToolError(`open ${target}: ${errnoText(e)}`);
  }
  return "";
}

/** The text Go's os package gives for a Node errno error. */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return (e as Error).message;
}

/** Go's strconv.Atoi with its error text. */
export function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new Error(`strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
  return n;
}

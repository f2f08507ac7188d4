/**
 * Regular expressions as Prometheus sees them: Go's RE2 syntax, matched in linear time.
 *
 * Prometheus compiles relabel regexes and PromQL `=~`/`!~` matchers with Go's `regexp` (RE2), fully
 * anchored. JavaScript's engine accepts a different language (lookaround, backreferences, `\Z`
 * means nothing to Go, `a{1001}` is fine for it) and backtracks, so a pathological pattern from
 * relation data could hang a hook. Everything here goes through `re2js`, a port of RE2, so both
 * the verdict (valid or not) and the run time (linear in the input) are Go's.
 */
import { RE2JS } from "re2js";

/** A pattern compiled the way Prometheus anchors it: it must match the whole input. */
export interface FullMatcher {
  test(input: string): boolean;
}

// Compiled patterns are small; relation data repeats the same few (`(.*)`, `.+`), so keep them.
const compiled = new Map<string, FullMatcher | string>();
const CACHE_LIMIT = 4096;

function compileAnchored(regex: string): FullMatcher | string {
  const hit = compiled.get(regex);
  if (hit !== undefined) return hit;
  let out: FullMatcher | string;
  // Go before 1.22 (Prometheus 2.x) only knows `(?P<name>`; newer Go also reads `(?<name>`.
  // Refused everywhere so one config serves both.
  if (/\(\?<(?![=!])/.test(regex)) out = "named groups must be written (?P<name>...) for Prometheus' RE2";
  else {
    try {
      const re = RE2JS.compile(`^(?:${regex})$`);
      out = { test: (input: string) => re.matches(input) };
    } catch (e) {
      out = (e as Error).message.replace(/^error parsing regexp: /, "");
    }
  }
  if (compiled.size >= CACHE_LIMIT) compiled.clear();
  compiled.set(regex, out);
  return out;
}

/**
 * Why Prometheus would refuse `regex`, or `undefined` when it compiles under Go's RE2 syntax.
 *
 * @example re2Problem("\\Z") // "invalid escape sequence: `\\Z`"
 */
export function re2Problem(regex: string): string | undefined {
  const c = compileAnchored(regex);
  return typeof c === "string" ? c : undefined;
}

/**
 * The fully anchored matcher of `regex` (as Prometheus applies a relabel regex or a label
 * matcher), or `undefined` when it does not compile. Matching takes linear time.
 */
export function fullMatcher(regex: string): FullMatcher | undefined {
  const c = compileAnchored(regex);
  return typeof c === "string" ? undefined : c;
}

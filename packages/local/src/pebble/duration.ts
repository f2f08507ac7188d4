/**
 * Go `time.Duration` strings as Pebble's API and layers use them ("500ms", "1m30s", "4.000s"):
 * parsing to milliseconds and formatting back the way Go's `Duration.String()` does.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go duration string into milliseconds.
 *
 * @throws RangeError when the text is not a Go duration (Go's message wording).
 * @example parseDuration("1m30s") // 90000
 */
export function parseDuration(text: string): number {
  let s = text.trim();
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw new RangeError(`time: invalid duration "${text}"`);
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) throw new RangeError(`time: invalid duration "${text}"`);
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = PART.lastIndex;
  }
  return sign * total;
}

/**
 * Formats milliseconds like Go's `Duration.String()`: "500ms", "30s", "1m0s", "1h2m3.5s".
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const neg = ms < 0;
  let rest = Math.abs(ms);
  let out: string;
  if (rest < 1) {
    const us = rest * 1000;
    out = us < 1 ? `${trim(us * 1000)}ns` : `${trim(us)}µs`;
  } else if (rest < 1000) {
    out = `${trim(rest)}ms`;
  } else {
    const h = Math.floor(rest / 3_600_000);
    rest -= h * 3_600_000;
    const m = Math.floor(rest / 60_000);
    rest -= m * 60_000;
    const sec = `${trim(rest / 1000)}s`;
    out = h > 0 ? `${h}h${m}m${sec}` : m > 0 ? `${m}m${sec}` : sec;
  }
  return neg ? `-${out}` : out;
}

function trim(n: number): string {
  // Go prints the shortest exact decimal; nine significant fractional digits is its maximum.
  return Number(n.toFixed(9)).toString();
}

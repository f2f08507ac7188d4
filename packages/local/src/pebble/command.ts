/**
 * Splits a Pebble `command` string into argv the way Pebble does (POSIX shell word rules via
 * shlex, no shell involved) and drops the brackets around default arguments (`cmd [ --x ]`).
 */

/**
 * Splits a command line into words: single quotes are literal, double quotes allow `\"`, `\\`,
 * `\$` and `` \` `` escapes, a backslash outside quotes escapes the next character.
 *
 * @throws Error on an unterminated quote or a trailing backslash.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0)
        throw new Error(`cannot parse command: unterminated single quote in ${JSON.stringify(text)}`);
      cur += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && j + 1 < text.length && '"\\$`\n'.includes(text[j + 1] as string)) j++;
        cur += text[j];
      }
      if (j >= text.length)
        throw new Error(`cannot parse command: unterminated double quote in ${JSON.stringify(text)}`);
      i = j;
    } else if (c === "\\") {
      if (i + 1 >= text.length)
        throw new Error(`cannot parse command: trailing backslash in ${JSON.stringify(text)}`);
      cur += text[++i];
      inWord = true;
    } else if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/**
 * Parses a service command into argv, keeping default arguments given in `[ ... ]`.
 *
 * @throws Error when the command is empty, unparsable, or its brackets are misplaced.
 */
export function parseCommand(text: string): string[] {
  const words = splitWords(text);
  const open = words.indexOf("[");
  const close = words.indexOf("]");
  if (open < 0 && close < 0) {
    if (!words.length) throw new Error("empty command");
    return words;
  }
  if (
    open < 1 ||
    close !== words.length - 1 ||
    words.lastIndexOf("[") !== open ||
    words.indexOf("]") !== close
  ) {
    throw new Error(`cannot parse command: default arguments must be a single trailing "[ ... ]" group`);
  }
  return [...words.slice(0, open), ...words.slice(open + 1, close)];
}

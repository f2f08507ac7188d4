/**
 * Checks of the Go templates in alerting rules' labels and annotations.
 *
 * Prometheus parses every label and annotation value of an alerting rule as a Go `text/template`
 * (with its own functions) when it loads the rule file (`rulefmt.go` `testTemplateParsing`), and
 * refuses the file when one does not parse. This checker finds the mistakes that make Go's parser
 * fail (unclosed actions, strings or comments, unknown functions, undefined variables, `if`/`range`
 * /`with` without `end`, `else` or `end` out of place) without trying to be Go's parser: anything
 * it misses is caught by promtool in the charm's apply step. It also reports which functions a
 * template calls, so the consumer can refuse `query`, which runs PromQL outside any topology.
 */

/** Functions Prometheus 2.42's templates know (measured with its promtool), Go's builtins included. */
const FUNCTIONS_2 = new Set([
  "query",
  "first",
  "label",
  "value",
  "strvalue",
  "args",
  "reReplaceAll",
  "safeHtml",
  "match",
  "title",
  "toUpper",
  "toLower",
  "graphLink",
  "tableLink",
  "sortByLabel",
  "humanize",
  "humanize1024",
  "humanizeDuration",
  "humanizePercentage",
  "humanizeTimestamp",
  "toTime",
  "pathPrefix",
  "externalURL",
  "parseDuration",
  "stripPort",
  "stripDomain",
  "and",
  "or",
  "not",
  "len",
  "index",
  "slice",
  "printf",
  "print",
  "println",
  "html",
  "js",
  "urlquery",
  "call",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
]);
/** Added by Prometheus 3. */
const FUNCTIONS_3 = new Set([...FUNCTIONS_2, "toDuration", "now", "urlQueryEscape"]);
const KEYWORDS = new Set([
  "if",
  "else",
  "end",
  "range",
  "with",
  "define",
  "block",
  "template",
  "break",
  "continue",
]);
const CONSTANTS = new Set(["true", "false", "nil"]);
/** Variables Prometheus defines before every alert template. */
const PREDEFINED = ["$", "$labels", "$externalLabels", "$externalURL", "$value"];

/** What a template calls, and why Go would refuse it (empty when it parses). */
export interface TemplateCheck {
  readonly problems: string[];
  readonly functions: ReadonlySet<string>;
}

interface Token {
  readonly kind: "ident" | "var" | "field" | "string" | "number" | "punct" | "declare";
  readonly text: string;
}

/** Splits one action's text into tokens; a problem string when a literal is unterminated. */
function tokenize(action: string): Token[] | string {
  const out: Token[] = [];
  let i = 0;
  while (i < action.length) {
    const c = action[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < action.length && action[j] !== '"') {
        if (action[j] === "\n") return "unterminated quoted string";
        j += action[j] === "\\" ? 2 : 1;
      }
      if (j >= action.length) return "unterminated quoted string";
      out.push({ kind: "string", text: action.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    if (c === "`") {
      const j = action.indexOf("`", i + 1);
      if (j < 0) return "unterminated raw quoted string";
      out.push({ kind: "string", text: action.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      while (j < action.length && action[j] !== "'") j += action[j] === "\\" ? 2 : 1;
      if (j >= action.length) return "unterminated character constant";
      out.push({ kind: "number", text: action.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    if (c === ":" && action[i + 1] === "=") {
      out.push({ kind: "declare", text: ":=" });
      i += 2;
      continue;
    }
    const word =
      /^(\$[A-Za-z0-9_]*|\.[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*|[+-]?[0-9][0-9A-Za-z_.+-]*)/.exec(
        action.slice(i),
      );
    if (word) {
      const w = word[1]!;
      const kind = w.startsWith("$")
        ? "var"
        : w.startsWith(".")
          ? "field"
          : /^[A-Za-z_]/.test(w)
            ? "ident"
            : "number";
      out.push({ kind, text: w });
      i += w.length;
      continue;
    }
    out.push({ kind: "punct", text: c });
    i++;
  }
  return out;
}

const PLAIN: TemplateCheck = Object.freeze({ problems: [], functions: new Set<string>() });

/**
 * Checks one label or annotation value of an alerting rule the way Prometheus' template parse
 * does, for the given Prometheus major version.
 *
 * @example checkTemplate("{{ $labels.instance }} is down").problems // []
 */
export function checkTemplate(text: string, prometheusMajor = 3): TemplateCheck {
  // Nearly every label and annotation is plain text: nothing to parse.
  if (!text.includes("{{")) return PLAIN;
  const problems: string[] = [];
  const functions = new Set<string>();
  const known = prometheusMajor >= 3 ? FUNCTIONS_3 : FUNCTIONS_2;
  const declared = new Set(PREDEFINED);
  const blocks: string[] = [];
  let pos = 0;
  while (problems.length === 0) {
    const open = text.indexOf("{{", pos);
    if (open < 0) break;
    let start = open + 2;
    // A left trim marker is "-" followed by white space.
    if (/^-\s/.test(text.slice(start, start + 2))) start += 2;
    if (text.startsWith("/*", start)) {
      // Comments start and end at the delimiters and do not nest.
      const endComment = text.indexOf("*/", start + 2);
      if (endComment < 0) {
        problems.push("unclosed comment");
        break;
      }
      const after = text.slice(endComment + 2);
      const closeLen = after.startsWith("}}") ? 2 : /^\s-}}/.test(after) ? 4 : 0;
      if (closeLen === 0) {
        problems.push("comment ends before closing delimiter");
        break;
      }
      pos = endComment + 2 + closeLen;
      continue;
    }
    // The action ends at the first `}}` outside a quoted string.
    let close = -1;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (c === '"' || c === "'") {
        for (i++; i < text.length && text[i] !== c; i += text[i] === "\\" ? 2 : 1);
      } else if (c === "`") {
        const j = text.indexOf("`", i + 1);
        i = j < 0 ? text.length : j;
      } else if (c === "}" && text[i + 1] === "}") {
        close = i;
        break;
      }
    }
    if (close < 0) {
      problems.push("unclosed action");
      break;
    }
    let body = text.slice(start, close);
    if (/\s-$/.test(body)) body = body.slice(0, -1);
    pos = close + 2;
    const tokens = tokenize(body);
    if (typeof tokens === "string") {
      problems.push(tokens);
      break;
    }
    if (tokens.length === 0) {
      problems.push("missing value for command");
      break;
    }
    const first = tokens[0]!;
    if (first.kind === "ident" && KEYWORDS.has(first.text)) {
      const kw = first.text;
      if (kw === "if" || kw === "range" || kw === "with" || kw === "define" || kw === "block")
        blocks.push(kw);
      else if (kw === "end") {
        if (blocks.pop() === undefined) problems.push("unexpected {{end}}");
      } else if (kw === "else") {
        const top = blocks.at(-1);
        if (top !== "if" && top !== "range" && top !== "with") problems.push("unexpected {{else}}");
      } else if ((kw === "break" || kw === "continue") && !blocks.includes("range")) {
        problems.push(`{{${kw}}} outside {{range}}`);
      }
    }
    for (let t = 0; t < tokens.length; t++) {
      const tok = tokens[t]!;
      if (tok.kind === "var") {
        const name = tok.text.split(".")[0]!;
        // `$x :=` and `$i, $e :=` declare; anything else must already be declared.
        const declares =
          tokens[t + 1]?.kind === "declare" ||
          (tokens[t + 1]?.text === "," && tokens[t + 2]?.kind === "var" && tokens[t + 3]?.kind === "declare");
        if (declares) declared.add(name);
        else if (!declared.has(name)) problems.push(`undefined variable "${name}"`);
      } else if (tok.kind === "ident") {
        const name = tok.text.split(".")[0]!;
        if (KEYWORDS.has(name) || CONSTANTS.has(name)) continue;
        functions.add(name);
        if (!known.has(name)) problems.push(`function "${name}" not defined`);
      }
    }
  }
  if (problems.length === 0 && blocks.length > 0)
    problems.push(`unexpected EOF (a {{${blocks.at(-1)}}} has no {{end}})`);
  return { problems, functions };
}

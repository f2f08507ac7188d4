// relation-set and state-set data must come back from Juju as sent. Juju parses `--file` with
// gopkg.in/yaml.v2 (juju/juju worker/uniter/runner/jujuc/relation-set.go `readSettings`; state-set
// reads its file the same way), a YAML 1.1 parser derived from libyaml: its reader refuses raw
// DEL, C1 controls and U+FFFE/U+FFFF, and a raw NEL inside a quoted scalar is a line break that
// folds. PyYAML implements the same YAML 1.1 reader and folding (python3-yaml), so it stands in for
// yaml.v2 here; the same cases were checked by hand against gopkg.in/yaml.v2 itself (Debian's
// golang-gopkg-yaml.v2-dev). ops escapes with json.dumps for the same reason
// (ops/hookcmds/_relation.py), but json.dumps writes astral characters as surrogate pairs
// (\ud83d\ude00), which yaml.v2 refuses ("found invalid Unicode character escape code").
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { HookCommandError } from "../errors.js";
import { yamlSafeJson } from "./run.js";

const pyyaml = spawnSync("python3", ["-c", "import yaml"]).status === 0;

/** What a YAML 1.1 parser reads from `text`: the parsed map, or its error. */
function yaml11(text: string): { value?: unknown; error?: string } {
  const r = spawnSync(
    "python3",
    [
      "-c",
      "import sys,json,yaml\ntry:\n print(json.dumps(yaml.safe_load(sys.stdin.buffer.read().decode('utf-8'))))\nexcept yaml.YAMLError as e:\n print('ERROR '+str(e).replace('\\n',' '))",
    ],
    { input: text, encoding: "utf8" },
  );
  const out = r.stdout.trim();
  return out.startsWith("ERROR ") ? { error: out } : { value: JSON.parse(out) };
}

const HARD = {
  del: "a\u007fb",
  c1: "\u0080\u0081\u009f",
  nel: "line one\u0085line two",
  "line-separators": "a \u2028 b \u2029 c",
  bom: "\ufeffstart",
  noncharacters: "x\ufffey\uffff",
  controls: 'tab\there\r\nnl \\ "quoted" \u0000 \u001b',
  astral: "emoji \u{1f600} and \u{10ffff}",
  "plain-looking": "yes",
  "": "empty key",
};

describe("relation-set / state-set encoding", {
  skip: pyyaml ? false : "python3-yaml is not installed",
}, () => {
  test("every string survives a YAML 1.1 parse of what the SDK sends", () => {
    const sent = yamlSafeJson("relation-set", HARD);
    assert.doesNotMatch(
      sent,
      /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/,
      "nothing raw that YAML 1.1 mangles",
    );
    assert.doesNotMatch(sent, /\\ud[89a-f]/i, "no surrogate escapes: yaml.v2 refuses them");
    assert.deepEqual(yaml11(sent).value, HARD);
  });

  test("plain JSON does not survive: C1 controls are refused and NEL folds (why the escaping exists)", () => {
    assert.match(
      yaml11(JSON.stringify({ k: "\u0080" })).error ?? "",
      // PyYAML's reader (yaml/reader.py, check_printable) on the first C1 control of the text.
      /unacceptable character #x0080: special characters are not allowed/,
    );
    assert.deepEqual(yaml11(JSON.stringify({ k: "a\u0085b" })).value, { k: "a b" });
  });

  test("a lone surrogate is refused before any tool runs", () => {
    assert.throws(() => yamlSafeJson("state-set", { k: "half \ud800 pair" }), HookCommandError);
    assert.throws(() => yamlSafeJson("relation-set", { "\udc00": "v" }), /not valid Unicode/);
  });
});

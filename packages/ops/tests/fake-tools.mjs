// Fake Juju hook tools for the slow dispatch path: tiny POSIX sh scripts that append their argv
// (tab-separated) and, for `--file -`, their stdin to a log, then print a canned response chosen
// by the exact argv. Plain .mjs so the cold-start benchmark can use it without a TS loader.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Every hook tool the SDK can call. */
export const TOOLS = [
  "relation-ids",
  "relation-list",
  "relation-get",
  "relation-set",
  "relation-model-get",
  "config-get",
  "is-leader",
  "status-get",
  "status-set",
  "application-version-set",
  "juju-log",
  "action-get",
  "action-set",
  "action-log",
  "action-fail",
  "network-get",
  "open-port",
  "close-port",
  "opened-ports",
  "storage-list",
  "storage-get",
  "storage-add",
  "secret-add",
  "secret-get",
  "secret-info-get",
  "secret-set",
  "secret-grant",
  "secret-revoke",
  "secret-remove",
  "secret-ids",
  "state-get",
  "state-set",
  "state-delete",
  "goal-state",
];

// Responses live in $FAKE_DIR/resp/<tool>: lines "<argv joined by single spaces>\t<stdout>";
// a line whose key is "*" is the default. A response starting with "!EXIT <n> " fails with that
// code and the rest on stderr.
const SCRIPT = `#!/bin/sh
t=\${0##*/}
{ printf '%s' "$t"; for a in "$@"; do printf '\\t%s' "$a"; done; printf '\\n'; } >> "$FAKE_DIR/log"
case " $* " in *" --file - "*) printf 'STDIN\\t' >> "$FAKE_DIR/log"; cat >> "$FAKE_DIR/log"; printf '\\n' >> "$FAKE_DIR/log";; esac
r="$FAKE_DIR/resp/$t"
[ -f "$r" ] || exit 0
out=$(awk -F '\\t' -v k="$*" '$1==k{print $2; f=1; exit} $1=="*"{d=$2} END{if(!f && d!="") print d}' "$r")
case "$out" in
  "!EXIT "*) rest=\${out#!EXIT }; code=\${rest%% *}; echo "\${rest#* }" >&2; exit "$code";;
esac
[ -n "$out" ] && printf '%s\\n' "$out"
exit 0
`;

/**
 * Create a temp dir with `bin/` (the fake tools) and an empty log.
 * @returns {{dir: string, bin: string, respond(tool: string, argv: string, stdout: string): void, calls(): {tool: string, args: string[], stdin?: string}[], reset(): void}}
 */
export function makeFakeTools() {
  const dir = mkdtempSync(join(tmpdir(), "charmkit-fake-tools-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  mkdirSync(join(dir, "resp"));
  for (const t of TOOLS) {
    const p = join(bin, t);
    writeFileSync(p, SCRIPT);
    chmodSync(p, 0o755);
  }
  writeFileSync(join(dir, "log"), "");
  const responses = new Map();
  return {
    dir,
    bin,
    /** Set the stdout for `tool` called with exactly `argv` ("*" = any). */
    respond(tool, argv, stdout) {
      // A later response for the same argv replaces the earlier one.
      const lines = (responses.get(tool) ?? []).filter((l) => !l.startsWith(`${argv}\t`));
      lines.push(`${argv}\t${stdout}`);
      responses.set(tool, lines);
      writeFileSync(join(dir, "resp", tool), `${lines.join("\n")}\n`);
    },
    /** Parse the log into calls; stdin is attached to the call that read it. */
    calls() {
      const out = [];
      for (const line of readFileSync(join(dir, "log"), "utf8").split("\n")) {
        if (line === "") continue;
        if (line.startsWith("STDIN\t")) {
          const last = out.at(-1);
          if (last) last.stdin = line.slice("STDIN\t".length);
          continue;
        }
        const [tool, ...args] = line.split("\t");
        out.push({ tool, args });
      }
      return out;
    },
    reset() {
      writeFileSync(join(dir, "log"), "");
    },
  };
}

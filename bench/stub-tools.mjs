// Stub Juju hook tools for whole-process hook benchmarks: one POSIX sh script per tool that logs
// its name and arguments and prints a canned answer chosen by its exact argv (one answer file per argv, or the
// tool's `_default`), so a lookup costs one `tr` and one `cat` whatever the size of the model.
// Every charm under test gets the same stubs; only the canned answers differ.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const STUB = `#!/bin/sh
t=\${0##*/}
printf '%s %s\\n' "$t" "$*" >> "$FAKE_DIR/log"
case " $* " in *" --file - "*) cat > /dev/null;; esac
k=$(printf '%s' "$*" | tr ' /' '_~')
f="$FAKE_DIR/resp/$t/$k"
[ -f "$f" ] || f="$FAKE_DIR/resp/$t/_default"
[ -f "$f" ] && cat "$f"
exit 0
`;

/**
 * Creates the stub tools in a temporary directory.
 * @param {readonly string[]} tools the tool names
 */
export function makeStubTools(tools) {
  const dir = mkdtempSync(join(tmpdir(), "stub-tools-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const t of tools) {
    writeFileSync(join(bin, t), STUB);
    chmodSync(join(bin, t), 0o755);
    mkdirSync(join(dir, "resp", t), { recursive: true });
  }
  writeFileSync(join(dir, "log"), "");
  return {
    dir,
    bin,
    /** Answers `tool argv...` (exact argv joined by spaces, or "*" for any) with `stdout`. */
    respond(tool, argv, stdout) {
      const key = argv === "*" ? "_default" : argv.replaceAll(" ", "_").replaceAll("/", "~");
      writeFileSync(join(dir, "resp", tool, key), `${stdout}\n`);
    },
    reset() {
      writeFileSync(join(dir, "log"), "");
    },
    /** The calls since the last reset, in order: each the tool name and its arguments. */
    calls() {
      return readFileSync(join(dir, "log"), "utf8")
        .split("\n")
        .filter((l) => l !== "");
    },
  };
}

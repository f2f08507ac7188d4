/**
 * Puts the hook tools on disk: compiles `jujuc.c` once (cached by source hash) when a C compiler
 * exists, otherwise uses the python3 client, and links every tool name to it, as Juju links its
 * tools to `jujuc`. The client picks the tool from the basename it was called by.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { basename, join } from "node:path";
import { TOOL_NAMES } from "./tools.js";

/** Which client the tools use: a compiled C binary or the python3 script. */
export type ToolClientKind = "c" | "python";

/**
 * Creates `<dir>/<tool>` links for every hook tool.
 * @returns the client kind and the directory to put first on PATH
 */
export function installHookTools(dir: string): { dir: string; kind: ToolClientKind } {
  mkdirSync(dir, { recursive: true });
  const src = readFileSync(new URL("./jujuc.c", import.meta.url));
  const hash = createHash("sha256").update(src).digest("hex").slice(0, 12);
  let target = join(dir, `.jujuc-${hash}`);
  let kind: ToolClientKind = "c";
  if (!existsSync(target)) {
    const cc = ["cc", "gcc", "clang"].find(
      (c) => spawnSync(c, ["--version"], { stdio: "ignore" }).status === 0,
    );
    const tmp = `${target}.tmp${process.pid}`;
    const built =
      cc !== undefined &&
      spawnSync(cc, ["-O2", "-o", tmp, "-x", "c", "-"], { input: src, stdio: ["pipe", "ignore", "ignore"] })
        .status === 0;
    if (built) renameSync(tmp, target);
    else {
      kind = "python";
      target = join(dir, ".jujuc.py");
      copyFileSync(new URL("./jujuc.py", import.meta.url), target);
      chmodSync(target, 0o755);
    }
  }
  for (const name of TOOL_NAMES) {
    const link = join(dir, name);
    rmSync(link, { force: true });
    // Relative, as Juju links its tools to ./jujuc: the directory is seen at another path in a pod.
    symlinkSync(basename(target), link);
  }
  return { dir, kind };
}
